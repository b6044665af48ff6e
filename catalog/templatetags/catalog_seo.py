"""A product page's head for search engines and shared links: ``{% product_json_ld product %}``
(schema.org data) and ``{% product_og_image product %}`` (Open Graph picture tags)."""

import dataclasses
import json

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from catalog.models import Product, Rendition
from catalog.seo import product_data

register = template.Library()

# As django.utils.html.json_script: nothing in the JSON can close the script element.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def shared_pictures(request, product: Product) -> list[Rendition]:
    """The largest copy of each of the product's pictures, main first, at an absolute address
    on the request's own host, as the canonical URL is (an object store's address, already
    absolute, is kept). Reads ``prefetch_related("images")`` when the view did."""
    return [
        dataclasses.replace(r, src=request.build_absolute_uri(r.src))
        for r in (image.largest for image in product.gallery)
    ]


@register.simple_tag(takes_context=True)
def product_json_ld(context, product):
    """``<script type="application/ld+json">`` with the page's CSP nonce: data, not code."""
    request = context["request"]
    images = [picture.src for picture in shared_pictures(request, product)]
    data = product_data(product, request.build_absolute_uri(product.get_absolute_url()), images)
    payload = json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
    return format_html(
        '<script type="application/ld+json" nonce="{}">{}</script>',
        context.get("csp_nonce", ""),
        mark_safe(payload),  # escaped above, as json_script does
    )


@register.simple_tag(takes_context=True)
def product_og_image(context, product):
    """``og:image`` and its size, type and text alternative: the product's main picture, as
    a shared link's preview shows it. Nothing for a product without pictures."""
    pictures = shared_pictures(context["request"], product)
    if not pictures:
        return ""
    main, image = pictures[0], product.main_image
    tags = [
        ("og:image", main.src),
        ("og:image:type", "image/webp" if main.src.endswith(".webp") else ""),
        ("og:image:width", main.width),
        ("og:image:height", main.height),
        ("og:image:alt", image.alt or product.name),
    ]
    return format_html_join(
        "\n  ", '<meta property="{}" content="{}">', ((k, v) for k, v in tags if v)
    )
