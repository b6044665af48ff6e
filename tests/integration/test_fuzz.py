"""Hostile input on every endpoint: never a 500, a 4xx for what is invalid, no stray events.

Endpoints are discovered from the URL configuration, so a new view is fuzzed without
anyone remembering to add it here. A URL that answers GET with 405 is a command endpoint.
The forms that post to them are discovered from the pages a shopper sees (every field,
hidden ones included): each field gets either the value the page gave it or something
hostile, so a fuzzed field is also reached when the rest of the form is valid.
"""

import json
import uuid
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.models import Event
from tests.factories import ProductFactory, add_to_cart
from tests.integration.test_checkout import place

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
    "shipping_method",
    "step",
    "line",
    "undo",
    "username",
    "password",
    "password1",
    "password2",
]
# What a crafted hidden field holds: plain words (URL names among them), numbers, JSON.
WORDS = st.one_of(
    st.sampled_from(
        ["home", "cart", "checkout", "admin", "next", "carts:detail", "catalog:home", "None"]
    ),
    st.from_regex(r"[A-Za-z_]{1,12}", fullmatch=True),
)
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
).map(json.dumps)
HOSTILE = st.one_of(FIELD_VALUE, WORDS, NUMBERS, JSON_LIKE)
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


# The order the fuzzing shopper places (``shopper_forms``), so its payment page has a form.
ORDER_ID = uuid.UUID("00000000-0000-4000-8000-00000000fa11")


def fill(route: str) -> str:
    for converter, sample in {
        "<uuid:order_id>": str(ORDER_ID),
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
    product = ProductFactory(name="Fuzz Target", stock=1_000_000)
    add_to_cart(client, product, 1)  # a session with a cart, so cart endpoints have state
    return client


def is_command(client: Client, url: str) -> bool:
    return client.get(url).status_code == 405


class PostForms(HTMLParser):
    """Every ``<form method="post">`` of a page: its action and each field's name and value."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: dict[str, dict[str, str]] = {}
        self._fields: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            action = (attrs.get("action") or self.page_url).split("?")[0]
            self._fields = self.forms.setdefault(action, {})
        elif tag in ("input", "select", "textarea", "button") and self._fields is not None:
            name = attrs.get("name")
            if name:
                self._fields.setdefault(name, attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None


def forms_on(client: Client, urls) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for url in urls:
        parser = PostForms(url)
        parser.feed(client.get(url, follow=True).content.decode())
        for action, fields in parser.forms.items():
            found.setdefault(action, {}).update(
                {k: v for k, v in fields.items() if k not in found.get(action, {})}
            )
    return found


@pytest.fixture
def shopper_forms(shopper, django_user_model):
    """Every form a shopper or a customer is shown, by action: the client that saw it (the
    guest's where both did) and its fields."""
    from carts.models import Coupon

    product = ProductFactory(name="Second Target", stock=1_000_000)
    Coupon.objects.create(code="FUZZ10", kind="percent", value=10)
    pages = ["/", product.get_absolute_url(), "/cart/", "/checkout/"]
    pages += ["/accounts/login/", "/accounts/signup/", "/admin/login/"]
    forms = forms_on(shopper, pages)
    shopper.post("/cart/coupon/", {"code": "FUZZ10"})  # now the cart offers to remove it
    add_to_cart(shopper, product, 1)
    shopper.post("/cart/remove/", {"product": str(product.id)})  # and to undo the removal
    forms |= {k: v for k, v in forms_on(shopper, ["/cart/"]).items() if k not in forms}
    # An order of the shopper's own, waiting for its payment: its payment page's form.
    with mock.patch("orders.services.uuid.uuid4", return_value=ORDER_ID):
        assert place(shopper)[0].status_code == 302
    pay_page = f"/orders/{ORDER_ID}/pay/"
    forms |= {k: v for k, v in forms_on(shopper, [pay_page]).items() if k not in forms}
    add_to_cart(shopper, product, 1)  # and a cart with a line again
    found = {action: (shopper, fields) for action, fields in forms.items()}
    customer = Client()
    customer.force_login(django_user_model.objects.create_user("fuzzer"))
    pages = [url for url in URLS if not is_command(customer, url)]
    for action, fields in forms_on(customer, pages).items():
        found.setdefault(action, (customer, fields))
    return shopper, found


def is_local_path(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("url", [*URLS, "/admin/login/"])
def test_every_form_survives_hostile_fields(shopper_forms, url):
    """Each field of each form, hidden ones included: its own value, or a hostile one."""
    shopper, forms = shopper_forms
    if url not in forms:  # a page only: nothing posts to it, and it takes no post
        assert not is_command(shopper, url), f"no page shows a form that posts to {url}"
        assert shopper.post(url, {}).status_code == 405
        return
    client, fields = forms[url]
    extras = st.dictionaries(st.sampled_from(FIELD_NAMES), HOSTILE, max_size=3)

    @st.composite
    def form(draw):
        """The page's own values, one or two fields replaced, sometimes stray fields added."""
        data = dict(fields)
        for name in draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2)):
            data[name] = draw(HOSTILE)
        if draw(st.booleans()):
            data = {**draw(extras), **data}
        return data

    @FUZZ
    @given(data=form(), htmx=st.booleans())
    def check(data, htmx):
        cases_tried["count"] += 1
        before = Event.objects.count()
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, data, headers=headers)
        assert response.status_code < 500, (url, data, response.content[:300])
        if response.status_code >= 400:
            assert Event.objects.count() == before, (url, data)
            # a refusal answers with the page the shopper was on, never a dead end
            assert b"Sorry, that did not work" not in response.content, (url, data)
        if 300 <= response.status_code < 400:
            assert is_local_path(response["Location"]), (url, data, response["Location"])

    check()


def test_forms_are_found_for_every_command(shopper_forms):
    _, found = shopper_forms
    forms = {action: fields for action, (_, fields) in found.items()}
    commands = {"/cart/add/", "/cart/change/", "/cart/remove/", "/cart/undo/", "/cart/coupon/"}
    commands |= {"/cart/coupon/remove/", "/checkout/", "/accounts/logout/", "/accounts/login/"}
    assert commands <= set(forms), commands - set(forms)
    assert {"next", "product", "quantity"} <= set(forms["/cart/add/"])
    assert {"command_id", "expected_total"} <= set(forms["/checkout/"])
    assert "removal" in forms["/cart/undo/"]
    pay = forms[f"/orders/{ORDER_ID}/pay/"]
    assert {"card_number", "expiry", "security_code", "payment_id"} <= set(pay)


CHECKOUT_ADDRESS = {
    "email": "fuzz@example.com",
    "full_name": "Fuzz",
    "address": "1 Road",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
}


def test_the_checkout_shipping_step_survives_hostile_fields(shopper):
    """The second step's form (the address kept, the methods offered, hidden fields), each
    field its own value or a hostile one: never a 500, a refusal stores nothing, and an
    order is placed only with a shipping method and price the shop offers."""
    from orders.models import OrderSummary

    product = ProductFactory(name="Step Target", stock=1_000_000)

    def second_step() -> dict[str, str]:
        if not shopper.get("/cart/").context["lines"]:
            add_to_cart(shopper, product, 1)
        page = shopper.get("/checkout/")
        hidden = {k: str(page.context["form"].initial[k]) for k in ("command_id", "expected_total")}
        step = shopper.post("/checkout/", {**CHECKOUT_ADDRESS, **hidden, "step": "shipping"})
        parser = PostForms("/checkout/")
        parser.feed(step.content.decode())
        fields = parser.forms["/checkout/"]
        assert {"shipping_method", "command_id", "expected_total", "country"} <= set(fields)
        fields.pop("step")  # the "Update shipping options" button; "Place order" has no name
        return fields

    fields = second_step()
    offered = {
        o.choice
        for o in shopper.post("/checkout/", {**fields, "step": "shipping"}).context["quote"].offers
    }

    @FUZZ
    @given(
        names=st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2),
        values=st.lists(HOSTILE, min_size=2, max_size=2),
        htmx=st.booleans(),
    )
    def check(names, values, htmx):
        cases_tried["count"] += 1
        data = second_step()
        data.update(zip(names, values, strict=False))
        before = Event.objects.count(), OrderSummary.objects.count()
        headers = {"HX-Request": "true"} if htmx else {}
        response = shopper.post("/checkout/", data, headers=headers)
        assert response.status_code < 500, (data, response.content[:300])
        if response.status_code >= 400:
            assert (Event.objects.count(), OrderSummary.objects.count()) == before, data
        if response.status_code == 302 and OrderSummary.objects.count() > before[1]:
            assert data["shipping_method"] in offered, data

    check()


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
            assert b"Sorry, that did not work" not in response.content, (url, form, query)

    check()


@pytest.mark.parametrize("url", [*URLS, "/admin/login/", "/admin/"])
def test_wrong_methods_are_refused_and_head_works_wherever_get_does(shopper, url):
    command = is_command(shopper, url)
    for method in ("put", "patch", "delete", "trace"):
        assert getattr(shopper, method)(url).status_code == 405, (method, url)
    if command:
        assert shopper.head(url).status_code == 405, url
    else:
        assert shopper.head(url).status_code == shopper.get(url).status_code, url


@pytest.mark.parametrize("url", ["/cart/add/"])
def test_wrong_content_type_and_huge_bodies(shopper, url):
    before = Event.objects.count()
    as_json = shopper.post(url, '{"product": "x", "quantity": 1}', content_type="application/json")
    assert 400 <= as_json.status_code < 500
    huge = shopper.post(url, {"product": "x" * 3_000_000, "quantity": "1"})
    assert 400 <= huge.status_code < 500
    assert Event.objects.count() == before
