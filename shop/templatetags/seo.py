"""What every page's head says to search engines and shared links: ``{% canonical_url %}``
and ``|plain_text`` (a meta description from HTML)."""

import html as entities
import re

from django import template
from django.utils.html import strip_tags
from django.utils.http import urlencode
from django.utils.text import Truncator

register = template.Library()

# The query parameters that make a page another page (the catalog's); any other (a
# tracking tag, a typo) is left out of the canonical address.
CANONICAL_PARAMS = ("category", "q", "page")


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's address on its own host, with only ``CANONICAL_PARAMS`` (page 1 is the
    page without a number)."""
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    kept = {
        name: request.GET[name]
        for name in CANONICAL_PARAMS
        if request.GET.get(name) and (name, request.GET[name]) != ("page", "1")
    }
    return f"{url}?{urlencode(kept)}" if kept else url


@register.filter
def plain_text(html: str, limit: int = 155) -> str:
    """HTML as one line of text, cut at a word near ``limit`` characters (a meta description)."""
    text = strip_tags(re.sub(r"<[^>]+>", " \\g<0> ", str(html)))
    text = " ".join(entities.unescape(text).split())
    return Truncator(text).chars(limit)
