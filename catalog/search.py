"""Catalog search: which listed products a shopper's words find, best first.

A product matches when every word of the search is a word of its name, its category or
its description (PostgreSQL: full-text search, whole words stemmed in English; SQLite:
``icontains``, a plural's "s" dropped), or when the whole search names its category ("tea"
finds the teas, "cups" the mugs). Ranking, the same on both: the products of the category
the search names first, then those whose name holds every word, then those whose
description does (so "tea" lists the teas before the Tea Bowl, and "mug" the mugs named
Mug first); then the name. No ``ts_rank``: ranking every match by it cost 350 ms for
"tea" in benchmark 4's catalog (12,508 matches) against 60 ms for the tiers alone, and the
tiers already say what a shopper means by "best".

On PostgreSQL the matching reads a GIN index over ``Product.search_document`` (a stored,
generated ``tsvector``: the name weighs A, the category B, the description C), and a
search that finds nothing offers the products whose names are closest by trigram word
similarity (``pg_trgm``, a GIN trigram index on the name): typos find something.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    Case,
    ExpressionWrapper,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from catalog.models import Category, Product

CONFIG = "english"
WORD = re.compile(r"\w+")
MAX_WORDS = 8
SUGGESTIONS = 12  # at most this many "closest matches" for a search that finds nothing
CATEGORY, NAME, DESCRIPTION = 4, 2, 1  # what each kind of match adds to a product's tier


def words(query: str) -> list[str]:
    """The search's words, lower-cased; punctuation and operators are dropped."""
    return [w.lower() for w in WORD.findall(query)][:MAX_WORDS]


def named_categories(terms: list[str], categories: list[Category]) -> list[str]:
    """The slugs of the categories the whole search names: every word starts a word of
    the category's name or slug."""
    if not terms:
        return []
    named = []
    for category in categories:
        vocabulary = words(f"{category.name} {category.slug.replace('-', ' ')}")
        if all(any(v.startswith(t) for v in vocabulary) for t in terms):
            named.append(category.slug)
    return named


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _tsquery(terms: list[str], weight: str = "") -> SearchQuery:
    """Every word (stemmed: "teas" finds tea), restricted to a weight if one is given.

    Whole words only: a prefix (``'darj':*``) makes PostgreSQL guess that a fiftieth of
    the catalog matches, and it reads the whole table (45 ms for 'item 4242' in benchmark
    4's catalog, against 2 ms through the index). A partial word finds its product among
    the closest matches instead."""
    raw = " & ".join(f"'{t}'{':' + weight if weight else ''}" for t in terms)
    return SearchQuery(raw, search_type="raw", config=CONFIG)


def _every_word(terms, categories=(), fields=("name", "description")) -> Q:
    """SQLite: every word is in one of ``fields`` (or starts a word of the category)."""
    every = Q()
    for term in terms:
        found = Q()
        stem = term[:-1] if len(term) > 3 and term.endswith("s") else term  # "teas" finds tea
        for field in fields:
            found |= Q(**{f"{field}__icontains": stem})
        named = named_categories([term], list(categories))
        if named:
            found |= Q(category_id__in=named)
        every &= found
    return every


def search(products: QuerySet[Product], query: str, categories: list[Category]):
    """``products`` that match ``query``, annotated with ``search_tier``, best first."""
    terms = words(query)
    if not terms:
        return products.none()
    named = named_categories(terms, categories)
    in_named = Q(category_id__in=named) if named else Q(pk__in=[])  # Q(pk__in=[]): never
    if on_postgresql():
        every = _tsquery(terms)
        match = Q(search_document=every) | in_named
        name_hit = Q(search_document=_tsquery(terms, "A"))
        description_hit = Q(search_document=_tsquery(terms, "C"))
    else:
        match = in_named | _every_word(terms, categories)
        name_hit = _every_word(terms, fields=("name",))
        description_hit = _every_word(terms, fields=("description",))
    tier = (
        Case(When(in_named, then=Value(CATEGORY)), default=Value(0))
        + Case(When(name_hit, then=Value(NAME)), default=Value(0))
        + Case(When(description_hit, then=Value(DESCRIPTION)), default=Value(0))
    )
    return (
        products.filter(match)
        .annotate(search_tier=ExpressionWrapper(tier, output_field=IntegerField()))
        .order_by("-search_tier", "name", "id")
    )


def closest(products: QuerySet[Product], query: str) -> list[Product]:
    """For a search that found nothing: the products whose names are closest to it by
    trigram word similarity (PostgreSQL; SQLite offers none). One query, at most
    ``SUGGESTIONS`` products, read through the trigram index (``%>``)."""
    text = " ".join(words(query))
    if not text or not on_postgresql():
        return []
    return list(
        products.filter(name__trigram_word_similar=text)
        .annotate(similarity=TrigramWordSimilarity(text, "name"))
        .order_by("-similarity", "name")[:SUGGESTIONS]
    )
