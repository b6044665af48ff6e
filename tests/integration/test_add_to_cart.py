import uuid

import pytest
from django.db import transaction
from django.test import Client

from carts.models import CartLine, CartSummary
from shop import eventstore, projections
from shop.models import Event
from tests.factories import ProductFactory, add_to_cart, cart_id_of

pytestmark = pytest.mark.django_db

HTMX = {"headers": {"HX-Request": "true"}}


@pytest.fixture
def product():
    return ProductFactory(name="Colombia Huila", stock=10)


def cart_events():
    return Event.objects.filter(stream_type="cart")


def test_plain_form_adds_and_redirects_with_a_message(client, product):
    response = client.post(
        "/cart/add/", {"product": str(product.id), "quantity": 2, "next": "/?page=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/?page=1"
    page = client.get(response["Location"])
    assert "Added 2 × Colombia Huila to your cart." in page.content.decode()
    assert "Cart (2)" in page.content.decode()


def test_plain_form_never_redirects_off_site(client, product):
    response = client.post(
        "/cart/add/", {"product": str(product.id), "quantity": 1, "next": "https://evil.test/"}
    )
    assert response["Location"] == product.get_absolute_url()


def test_htmx_answers_the_badge_out_of_band(client, product):
    response = add_to_cart(client, product, 3, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cart-link"' in html and 'hx-swap-oob="true"' in html
    assert "Cart (3)" in html
    assert "Added 3 × Colombia Huila" in html
    assert "<html" not in html


def test_add_appends_item_added_and_updates_the_projection(client, product):
    add_to_cart(client, product, 2)
    add_to_cart(client, product, 1)
    cart_id = uuid.UUID(cart_id_of(client))
    events = eventstore.load(cart_id)
    assert [e.event_type for e in events] == ["ItemAdded", "ItemAdded"]
    assert events[0].event.unit_price == product.unit_price  # the catalog's price
    assert events[0].metadata["actor"].startswith("guest:")
    assert {"command_id", "correlation_id"} <= events[0].metadata.keys()
    summary = CartSummary.objects.get(cart_id=cart_id)
    assert summary.item_count == 3 and summary.version == 2
    assert CartLine.objects.get(cart=summary).quantity == 3


def test_price_comes_from_the_catalog_not_the_form(client, product):
    client.post("/cart/add/", {"product": str(product.id), "quantity": 1, "unit_price": "0.01"})
    event = eventstore.load(uuid.UUID(cart_id_of(client)))[0].event
    assert event.unit_price.amount == product.price


def test_add_to_cart_query_budget(client, product, django_assert_max_num_queries):
    add_to_cart(client, product, 1)  # the session and cart exist now
    # Session, product, the stream's lock and load (2 statements on PostgreSQL, sent in one
    # round trip), the insert, the summary, the line upsert; the test's transaction adds a
    # savepoint and its release.
    with django_assert_max_num_queries(9):
        response = add_to_cart(client, product, 1, **HTMX)
    assert response.status_code == 200


def test_cart_page_shows_lines_and_totals(client, product):
    other = ProductFactory(name="Kenya AA", price="16.20")
    add_to_cart(client, product, 2)
    add_to_cart(client, other, 1)
    html = client.get("/cart/").content.decode()
    assert "<h1>Your cart</h1>" in html
    assert "Colombia Huila" in html and "Kenya AA" in html
    assert "20.00 EUR" in html  # 2 × 10.00
    assert "36.20 EUR" in html  # subtotal and total
    assert 'hx-history="false"' in html


def test_empty_cart_page(client):
    html = client.get("/cart/").content.decode()
    assert "Your cart is empty" in html


def test_carts_are_per_session(product):
    alice, bob = Client(), Client()
    add_to_cart(alice, product, 2)
    assert "Your cart is empty" in bob.get("/cart/").content.decode()
    assert cart_id_of(bob) is None


class TestBadInput:
    @pytest.mark.parametrize("quantity", ["0", "-1", "abc", str(10**9), "", "1.5"])
    def test_bad_quantity(self, client, product, quantity):
        for extra in ({}, HTMX):
            response = client.post(
                "/cart/add/", {"product": str(product.id), "quantity": quantity}, **extra
            )
            assert response.status_code == 422
            assert (
                b"Quantity must be" in response.content or b"Enter a quantity" in response.content
            )
        assert not cart_events().exists()

    @pytest.mark.parametrize("product_id", [str(uuid.uuid4()), "not-a-uuid", "", "1 OR 1=1"])
    def test_unknown_or_malformed_product(self, client, product_id):
        response = client.post("/cart/add/", {"product": product_id, "quantity": 1})
        assert response.status_code in (404, 422)
        assert b"catalog" in response.content or b"Choose a product" in response.content
        assert not cart_events().exists()

    def test_more_than_in_stock_says_how_many(self, client, product):
        response = add_to_cart(client, product, 11, **HTMX)
        assert response.status_code == 409
        assert b"Only 10 available" in response.content
        assert not cart_events().exists()

    def test_out_of_stock(self, client):
        sold_out = ProductFactory(stock=0)
        response = add_to_cart(client, sold_out, 1)
        assert response.status_code == 409
        assert b"out of stock" in response.content

    def test_missing_csrf_token_is_refused(self, product):
        strict = Client(enforce_csrf_checks=True)
        response = add_to_cart(strict, product, 1)
        assert response.status_code == 403
        response = add_to_cart(strict, product, 1, **HTMX)
        assert response.status_code == 403
        assert not cart_events().exists()

    def test_get_is_not_allowed(self, client):
        assert client.get("/cart/add/").status_code == 405


def test_an_add_seen_again_changes_neither_the_summary_nor_the_line(client, product):
    """The projection applies each event once, in stream order; on PostgreSQL the summary
    and the line are one statement, whose line part runs only if the summary advanced."""
    for quantity in (2, 1, 4):
        add_to_cart(client, product, quantity=quantity)
    second = eventstore.load(uuid.UUID(cart_id_of(client)))[1]
    with transaction.atomic():
        projections.project("cart", [second])  # replayed: the summary is at version 3 already
    summary = CartSummary.objects.get()
    assert (summary.version, summary.item_count) == (3, 7)
    assert CartLine.objects.get().quantity == 7
