"""Hostile input on every endpoint: never a 500, a 4xx for what is invalid, no stray events.

Endpoints are discovered from the URL configuration, so a new view is fuzzed without
anyone remembering to add it here. A URL that answers GET with 405 is a command endpoint.
"""

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.models import Event
from tests.factories import ProductFactory, add_to_cart

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        [
            "' OR 1=1 --",
            '"; DROP TABLE shop_event; --',
            "<script>alert(1)</script>",
            "%00",
            "../../etc/passwd",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
            "A" * 10_000,
            "-1",
            "0",
            "1e309",
            "NaN",
            str(10**30),
        ]
    ),
)
FIELD_VALUE = st.one_of(
    NASTY_TEXT,
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.uuids().map(str),
    st.just(""),
)
FIELD_NAMES = [
    "product",
    "quantity",
    "code",
    "next",
    "command_id",
    "email",
    "full_name",
    "address",
    "city",
    "postal_code",
    "country",
    "line",
    "undo",
    "username",
    "password",
    "password1",
    "password2",
]
FORM = st.dictionaries(st.sampled_from(FIELD_NAMES), FIELD_VALUE, max_size=8)
QUERY = st.dictionaries(st.sampled_from(["q", "category", "page"]), NASTY_TEXT, max_size=3)

cases_tried = {"count": 0}


def shop_urls(resolver=None, prefix=""):
    """Every non-admin URL, with sample values in place of its parameters."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            yield from shop_urls(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + fill(prefix + route)


def fill(route: str) -> str:
    for converter, sample in {
        "<slug:slug>": "no-such-product",
        "<uuid:": str(uuid.uuid4()),
        "<int:": "999999",
        "<str:": "nothing",
    }.items():
        while converter in route:
            start = route.index(converter)
            end = route.index(">", start)
            route = route[:start] + sample + route[end + 1 :]
    return route.replace("^", "").replace("$", "")


URLS = sorted(set(shop_urls()))


@pytest.fixture
def shopper(client):
    product = ProductFactory(name="Fuzz Target", stock=5)
    add_to_cart(client, product, 1)  # a session with a cart, so cart endpoints have state
    return client


def is_command(client: Client, url: str) -> bool:
    return client.get(url).status_code == 405


def test_the_fuzz_covers_the_shop():
    assert "/cart/add/" in URLS and "/" in URLS and "/cart/" in URLS


@pytest.mark.parametrize("url", URLS)
def test_every_endpoint_survives_hostile_input(shopper, url):
    """Commands get fuzzed forms (plain and htmx); pages get fuzzed query strings."""
    command = is_command(shopper, url)

    @FUZZ
    @given(form=FORM, query=QUERY, htmx=st.booleans())
    def check(form, query, htmx):
        cases_tried["count"] += 1
        before = Event.objects.count()
        headers = {"HX-Request": "true"} if htmx else {}
        if command:
            response = shopper.post(url, form, headers=headers)
        else:
            response = shopper.get(url, query, headers=headers)
        assert response.status_code < 500, (url, form, query, response.content[:300])
        if response.status_code >= 400:
            assert Event.objects.count() == before, (url, form)

    check()


@pytest.mark.parametrize("url", URLS)
def test_wrong_methods_are_refused(shopper, url):
    command = is_command(shopper, url)
    for method in ("put", "patch", "delete"):
        assert getattr(shopper, method)(url).status_code == 405, (method, url)
    if command:
        assert shopper.head(url).status_code == 405, url


@pytest.mark.parametrize("url", ["/cart/add/"])
def test_wrong_content_type_and_huge_bodies(shopper, url):
    before = Event.objects.count()
    as_json = shopper.post(url, '{"product": "x", "quantity": 1}', content_type="application/json")
    assert 400 <= as_json.status_code < 500
    huge = shopper.post(url, {"product": "x" * 3_000_000, "quantity": "1"})
    assert 400 <= huge.status_code < 500
    assert Event.objects.count() == before
