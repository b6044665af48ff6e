"""Catalog search: the category counts, name matches rank first, typos find something
(PostgreSQL), and hostile input is only text. On SQLite and PostgreSQL."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import search
from catalog.models import Category, Product
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.django_db

TEAS = {
    "Darjeeling First Flush",
    "Assam Breakfast",
    "Sencha Uji",
    "Jasmine Pearls",
    "Earl Grey Supreme",
    "Rooibos Vanilla",
    "Oolong Tieguanyin",
}
CARD = re.compile(r'<h2 id="product-[^"]+"><a [^>]+>([^<]+)</a>')


@pytest.fixture
def demo():
    call_command("seed_demo", "--no-pictures", verbosity=0)


def found(client, query, **params) -> list[str]:
    response = client.get("/", {"q": query, **params})
    assert response.status_code == 200
    return CARD.findall(response.content.decode())


def test_tea_finds_every_tea_by_its_category_and_the_tea_bowl_last(client, demo):
    names = found(client, "tea")
    assert set(names) == {*TEAS, "Tea Bowl"}
    assert names[-1] == "Tea Bowl"


def test_the_category_a_search_names_comes_first_then_name_matches(client, demo):
    names = found(client, "mug")
    assert names[:2] == ["Enamel Camp Mug", "Stoneware Mug"]  # the category, and the name
    mugs = set(Product.objects.filter(category_id="mugs").values_list("name", flat=True))
    assert set(names) == mugs


def test_name_matches_rank_before_description_matches(client):
    mugs = Category.objects.create(slug="mugs", name="Mugs & cups")
    Category.objects.create(slug="tea", name="Tea")
    from tests.factories import ProductFactory

    ProductFactory(name="Jasmine Pearls", category=mugs, description="Green with jasmine.")
    ProductFactory(name="Green Bowl", category=mugs, description="A bowl.")
    assert found(client, "green") == ["Green Bowl", "Jasmine Pearls"]


def test_every_word_must_match_somewhere(client, demo):
    assert set(found(client, "green tea")) == {"Sencha Uji", "Jasmine Pearls", "Tea Bowl"}
    assert found(client, "kenya") == ["Kenya AA"]
    assert found(client, "bergamot") == ["Earl Grey Supreme", "Ethiopia Yirgacheffe"]


def test_words_are_stemmed_and_a_partial_word_still_finds_its_product(client, demo):
    assert found(client, "grinders") == ["Hand Grinder"]
    html = client.get("/", {"q": "darj"}).content.decode()
    # SQLite: a substring match; PostgreSQL: whole words, so among the closest matches.
    assert ">Darjeeling First Flush</a>" in html


def test_a_category_filter_narrows_the_search(client, demo):
    assert found(client, "green", category="mugs") == ["Tea Bowl"]


def test_search_terms_keep_the_category_link_and_pagination(client, demo):
    html = client.get("/", {"q": "tea"}).content.decode()
    assert "Results for “tea”" in html


@pytest.mark.skipif(not ON_POSTGRES, reason="trigram similarity needs PostgreSQL (pg_trgm)")
def test_a_typo_offers_the_closest_names(client, demo):
    response = client.get("/", {"q": "darjeling"})
    html = response.content.decode()
    assert "No products match “darjeling”." in html
    assert "Closest matches" in html
    assert ">Darjeeling First Flush</a>" in html


def test_nothing_found_says_so(client, demo):
    html = client.get("/", {"q": "zzzqqq"}).content.decode()
    assert "No products match “zzzqqq”." in html
    assert "Closest matches" not in html


def test_every_catalog_page_costs_the_same_queries(client, demo):
    counts = {}
    cases = {"home": {}, "category": {"category": "tea"}, "search": {"q": "tea"}}
    if ON_POSTGRES:  # SQLite offers no closest matches, so its empty search costs one less
        cases["search, typo"] = {"q": "darjeling"}
    for label, params in cases.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/", params).status_code == 200
        counts[label] = len(captured)
    assert len(set(counts.values())) == 1, counts


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=40))
def test_any_text_is_a_search_not_an_error(client, demo, query):
    if "\x00" in query:
        return  # refused by the form (test_catalog)
    response = client.get("/", {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["'", "\\", "a:*", "tea & !coffee", "a | b", "(tea", "<->"])
def test_tsquery_operators_are_only_text(client, demo, query):
    assert client.get("/", {"q": query}).status_code == 200


def test_words_drop_operators_and_keep_letters():
    assert search.words("Tea & !coffee's <-> ÉCLAIR:*") == ["tea", "coffee", "s", "éclair"]


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plans")
def test_a_selective_search_reads_the_full_text_index():
    """Benchmark 4's catalog: 50,000 products, every name holds 'Catalog item'."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (id, slug, name, description, category_id, price,
                currency, stock, is_listed, version, last_position)
            SELECT md5('plan' || i::text)::uuid, 'plan-item-' || i, 'Catalog item ' || i,
                'A product for the plan test.', 'tea', 5, 'EUR', 1, true, 1, 0
            FROM generate_series(1, 50000) AS i
            """
        )
        cursor.execute("ANALYZE catalog_product")
    products = search.search(Product.objects.filter(is_listed=True), "item 4242", [])
    plan = products.explain()
    assert "product_search_document_idx" in plan, plan
    assert [p.name for p in products] == ["Catalog item 4242"]
