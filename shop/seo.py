"""What search engines and shared links read: sitemap.xml, robots.txt, a product's
schema.org data. Links are absolute on the request's own host (which ALLOWED_HOSTS vouches
for), so no site domain needs configuring."""

from django.contrib.flatpages.models import FlatPage
from django.contrib.sitemaps import Sitemap
from django.contrib.sites.requests import RequestSite
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from catalog.models import Category, Product


class HomeSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["catalog:home"]

    def location(self, item):
        return reverse(item)


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Category.objects.order_by("slug")


class ProductSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6
    limit = 50_000  # the sitemap protocol's limit per file

    def items(self):
        return Product.objects.filter(is_listed=True).only("slug").order_by("slug")


class PageSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return FlatPage.objects.filter(registration_required=False).order_by("url")

    def location(self, item):
        return item.url


SITEMAPS = (HomeSitemap, CategorySitemap, ProductSitemap, PageSitemap)


@require_safe
@cache_control(max_age=3600)
def sitemap_xml(request):
    """``django.contrib.sitemaps``' sitemap, on the host the request came to."""
    site, protocol = RequestSite(request), request.scheme
    urls = [url for cls in SITEMAPS for url in cls().get_urls(site=site, protocol=protocol)]
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


def product_data(product: Product, url: str) -> dict:
    """schema.org ``Product`` with its ``Offer``: what a search result shows as price and
    availability."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": product.slug,
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": str(product.price),
            "priceCurrency": product.currency,
            "availability": "https://schema.org/"
            + ("InStock" if product.is_listed and product.in_stock else "OutOfStock"),
        },
    }
    if product.category_id:
        data["category"] = product.category.name
    return data
