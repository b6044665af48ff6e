"""What search engines read about the catalog: its sitemap sections, and a product's
schema.org data (``{% product_json_ld product %}``, catalog/templatetags/catalog_seo.py)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

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


SITEMAPS = (HomeSitemap, CategorySitemap, ProductSitemap)


def product_data(product: Product, url: str, images: list[str] = ()) -> dict:
    """schema.org ``Product`` with its ``Offer``: what a search result shows as price and
    availability; ``images``: the absolute addresses of its pictures, the main one first."""
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "sku": product.slug,
        "url": url,
        **({"image": list(images)} if images else {}),
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
