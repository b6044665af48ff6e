import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

from catalog import seo as catalog_seo
from shop import pages, seo, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path(
        "sitemap.xml",
        seo.sitemap_xml,
        {"sitemaps": (*catalog_seo.SITEMAPS, seo.PageSitemap)},
        name="sitemap",
    ),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("", include(pages)),  # contact, shipping and returns, privacy, terms (flat pages)
    path("", include("catalog.urls")),
    path("", include("carts.urls")),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("", include("accounts.urls")),
    path("", include("subscriptions.urls")),
    path("", include("privacy.urls")),
]

# A picture's files are never rewritten under the same name (an upload gets a new random
# name, its copies are named after it), so browsers may keep them for a year.
PICTURE_CACHE = cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)

if settings.SHOP_SERVE_MEDIA:
    # Product pictures from MEDIA_ROOT; in production a proxy or object storage serves them.
    urlpatterns.append(
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            PICTURE_CACHE(require_safe(serve)),
            {"document_root": settings.MEDIA_ROOT},
        )
    )

handler500 = "shop.views.server_error"
