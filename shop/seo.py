"""What search engines read: sitemap.xml (the apps' sections, composed in shop/urls.py)
and robots.txt. Links are absolute on the request's own host (which ALLOWED_HOSTS vouches
for), so no site domain needs configuring."""

from django.contrib.flatpages.models import FlatPage
from django.contrib.sitemaps import Sitemap
from django.contrib.sites.requests import RequestSite
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


class PageSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return FlatPage.objects.filter(registration_required=False).order_by("url")

    def location(self, item):
        return item.url


@require_safe
@cache_control(max_age=3600)
def sitemap_xml(request, sitemaps):
    """``django.contrib.sitemaps``' sitemap of ``sitemaps`` (classes; shop/urls.py names
    them), on the host the request came to."""
    site, protocol = RequestSite(request), request.scheme
    urls = [url for cls in sitemaps for url in cls().get_urls(site=site, protocol=protocol)]
    return TemplateResponse(
        request, "sitemap.xml", {"urlset": urls}, content_type="application/xml; charset=utf-8"
    )


# Orders, accounts and the admin are private: not for crawlers. The cart and checkout stay
# crawlable (a crawler sees an empty cart), as Lighthouse's SEO audit asks of every page it
# scores.
ROBOTS = """User-agent: *
Disallow: /admin/
Disallow: /orders/
Disallow: /accounts/
Allow: /

Sitemap: {sitemap}
"""


@require_safe
@cache_control(max_age=3600)
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    return HttpResponse(ROBOTS.format(sitemap=sitemap), content_type="text/plain; charset=utf-8")
