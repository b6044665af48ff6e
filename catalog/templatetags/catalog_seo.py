"""``{% product_json_ld product %}``: a product's schema.org data for search engines."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from catalog.seo import product_data

register = template.Library()

# As django.utils.html.json_script: nothing in the JSON can close the script element.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def product_json_ld(context, product):
    """``<script type="application/ld+json">`` with the page's CSP nonce: data, not code."""
    request = context["request"]
    data = product_data(product, request.build_absolute_uri(product.get_absolute_url()))
    payload = json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
    return format_html(
        '<script type="application/ld+json" nonce="{}">{}</script>',
        context.get("csp_nonce", ""),
        mark_safe(payload),  # escaped above, as json_script does
    )
