"""Every cart action through the views: htmx and plain post, refusals, query budgets."""

# The budgets count a command's stream lock: on PostgreSQL a statement of its own, sent with
# the load in one round trip.

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from carts import services
from carts.domain import NothingToUndo
from carts.models import CartLine, CartSummary, Coupon
from catalog.services import product_adjust_stock, product_change_price, product_delist, shop_money
from shop import eventstore
from shop.models import Event
from tests.factories import SYSTEM, ProductFactory, add_to_cart, cart_id_of

pytestmark = pytest.mark.django_db

HTMX = {"headers": {"HX-Request": "true"}}
ACTIONS = ["/cart/change/", "/cart/remove/", "/cart/undo/", "/cart/coupon/remove/"]
PATHS = pytest.mark.parametrize("extra", [{}, HTMX], ids=["plain", "htmx"])


@pytest.fixture
def welcome():
    return Coupon.objects.create(code="WELCOME10", kind=Coupon.Kind.PERCENT, value=Decimal(10))


@pytest.fixture
def cart(client, kenya, assam):
    """A cart holding 2 × Kenya AA and 1 × Assam Breakfast (41.00 EUR)."""
    add_to_cart(client, kenya, 2)
    add_to_cart(client, assam, 1)
    return uuid.UUID(cart_id_of(client))


def events_of(cart_id):
    return [e.event_type for e in eventstore.load(cart_id)]


def change(client, product, quantity, **extra):
    return client.post("/cart/change/", {"product": str(product.id), "quantity": quantity}, **extra)


def remove(client, product, **extra):
    return client.post("/cart/remove/", {"product": str(product.id)}, **extra)


def apply(client, code, **extra):
    return client.post("/cart/coupon/", {"code": code}, **extra)


def answered(response, extra):
    """The page a shopper sees: the htmx partial, or the page the redirect leads to."""
    if extra:
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html
        return html
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    return response.client.get("/cart/").content.decode()


class TestChangeQuantity:
    @PATHS
    def test_changes_the_line(self, client, cart, kenya, extra):
        response = change(client, kenya, 5, **extra)
        html = answered(response, extra)
        assert events_of(cart)[-1] == "ItemQuantityChanged"
        metadata = eventstore.load(cart)[-1].metadata
        assert metadata["actor"].startswith("guest:")
        assert metadata["correlation_id"] == response["X-Correlation-Id"]
        assert uuid.UUID(metadata["command_id"]) != uuid.UUID(metadata["correlation_id"])
        assert CartLine.objects.get(cart_id=cart, product=kenya).quantity == 5
        assert "Kenya AA: quantity is now 5." in html
        assert "Cart (6)" in html
        assert "89.00 EUR" in html  # 5 × 16.00 + 9.00
        assert 'value="5"' in html

    def test_htmx_swaps_the_line_the_summary_and_the_badge_out_of_band(
        self, client, cart, kenya, assam
    ):
        html = change(client, kenya, 3, **HTMX).content.decode()
        assert f'<tr id="line-{kenya.id}" hx-swap-oob="true">' in html
        assert '<div id="cart-summary" class="cart-summary" hx-swap-oob="true">' in html
        assert '<a id="cart-link" class="cart-link" href="/cart/" hx-swap-oob="true">' in html
        assert 'id="messages"' in html
        assert f'id="line-{assam.id}"' not in html  # the other line is left alone

    @PATHS
    def test_zero_removes_the_line(self, client, cart, kenya, extra):
        html = answered(change(client, kenya, 0, **extra), extra)
        assert events_of(cart)[-1] == "ItemRemoved"
        assert not CartLine.objects.filter(cart_id=cart, product=kenya).exists()
        assert "Removed Kenya AA from your cart." in html
        assert ">Undo</button>" in html

    @PATHS
    def test_more_than_in_stock_says_how_many(self, client, cart, kenya, extra):
        response = change(client, kenya, 9, **extra)
        assert response.status_code == 409
        assert "Kenya AA: Only 8 available." in response.content.decode()
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    def test_the_same_quantity_stores_nothing(self, client, cart, kenya):
        assert change(client, kenya, 2).status_code == 302
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    def test_query_budget(self, client, cart, kenya, django_assert_max_num_queries):
        with django_assert_max_num_queries(12):  # one is the line's picture
            response = change(client, kenya, 3, **HTMX)
        assert response.status_code == 200
        with django_assert_max_num_queries(9):
            response = change(client, kenya, 4)
        assert response.status_code == 302


class TestRemoveAndUndo:
    @PATHS
    def test_remove(self, client, cart, assam, extra):
        html = answered(remove(client, assam, **extra), extra)
        assert events_of(cart)[-1] == "ItemRemoved"
        assert "Removed Assam Breakfast from your cart." in html
        assert "Cart (2)" in html
        assert ">Undo</button>" in html
        assert "32.00 EUR" in html

    def test_htmx_deletes_the_row_out_of_band(self, client, cart, assam):
        html = remove(client, assam, **HTMX).content.decode()
        assert f'<tr id="line-{assam.id}" hx-swap-oob="delete">' in html
        assert 'hx-swap-oob="true">Cart (2)</a>' in html

    def test_removing_the_last_line_swaps_the_whole_panel(self, client, kenya):
        add_to_cart(client, kenya, 1)
        html = remove(client, kenya, **HTMX).content.decode()
        assert '<section id="cart-panel" aria-label="Cart contents" hx-swap-oob="true">' in html
        assert "Your cart is empty." in html

    @PATHS
    def test_undo_puts_the_line_back_and_names_the_removal(self, client, cart, assam, extra):
        remove(client, assam)
        removal = eventstore.load(cart)[-1]
        html = answered(client.post("/cart/undo/", {"removal": removal.position}, **extra), extra)
        restored = eventstore.load(cart)[-1]
        assert restored.event_type == "ItemAdded"
        assert restored.event.quantity == 1 and restored.event.product_id == assam.id
        assert restored.metadata["undoes"] == removal.position
        assert "Put 1 × Assam Breakfast back in your cart." in html
        assert "Cart (3)" in html

    def test_undo_only_once(self, client, cart, assam):
        remove(client, assam)
        removal = eventstore.load(cart)[-1].position
        client.post("/cart/undo/", {"removal": removal})
        response = client.post("/cart/undo/", {"removal": removal}, **HTMX)
        assert response.status_code == 409
        assert b"nothing to undo" in response.content
        assert events_of(cart).count("ItemAdded") == 3

    def test_undo_is_only_offered_for_a_while(self, client, cart, assam):
        remove(client, assam)
        removal = eventstore.load(cart)[-1].position
        later = timezone.now() + services.UNDO_WINDOW + timedelta(seconds=1)
        with pytest.raises(NothingToUndo):
            services.cart_undo_removal(
                cart_id=cart, removal_position=removal, now=later, context=SYSTEM
            )
        assert events_of(cart)[-1] == "ItemRemoved"

    def test_cannot_undo_another_carts_removal(self, client, cart, assam):
        other = Client()
        add_to_cart(other, assam, 1)
        remove(other, assam)
        theirs = eventstore.load(uuid.UUID(cart_id_of(other)))[-1].position
        response = client.post("/cart/undo/", {"removal": theirs})
        assert response.status_code == 409
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    def test_query_budget(self, client, cart, assam, django_assert_max_num_queries):
        with django_assert_max_num_queries(15):  # one reads the line's slot, kept for undo
            response = remove(client, assam, **HTMX)
        assert response.status_code == 200
        removal = eventstore.load(cart)[-1].position
        with django_assert_max_num_queries(17):  # one reads the VAT rates
            response = client.post("/cart/undo/", {"removal": removal}, **HTMX)
        assert response.status_code == 200


class TestCoupons:
    @PATHS
    def test_apply_any_case_and_see_the_discount(self, client, cart, welcome, extra):
        html = answered(apply(client, " welcome10 ", **extra), extra)
        assert events_of(cart)[-1] == "CouponApplied"
        assert CartSummary.objects.get(cart_id=cart).coupon_code == "WELCOME10"
        assert "Coupon WELCOME10 applied." in html
        assert "Subtotal" in html and "Discount" in html and "Total" in html
        assert "41.00 EUR" in html  # subtotal
        assert "−4.10 EUR" in html  # discount
        assert "36.90 EUR" in html  # total
        assert ">Remove coupon</button>" in html

    @PATHS
    def test_remove_coupon(self, client, cart, welcome, extra):
        apply(client, "WELCOME10")
        html = answered(client.post("/cart/coupon/remove/", **extra), extra)
        assert events_of(cart)[-1] == "CouponRemoved"
        assert "Coupon WELCOME10 removed." in html
        assert ">Remove coupon</button>" not in html

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"active": False}, "no longer active"),
            ({"valid_until": timezone.now() - timedelta(days=1)}, "has expired"),
            ({"valid_from": timezone.now() + timedelta(days=1)}, "not valid yet"),
            ({"minimum_subtotal": Decimal(100)}, "needs a subtotal of at least 100.00 EUR"),
            ({"max_redemptions": 0}, "has been used up"),
        ],
    )
    def test_refusals(self, client, cart, welcome, changes, message):
        Coupon.objects.filter(pk=welcome.pk).update(**changes)
        for extra in ({}, HTMX):
            response = apply(client, "WELCOME10", **extra)
            assert response.status_code == 409
            assert message in response.content.decode()
        assert "CouponApplied" not in events_of(cart)

    def test_unknown_code(self, client, cart):
        response = apply(client, "NOPE", **HTMX)
        assert response.status_code == 404
        assert b"There is no coupon with the code" in response.content
        assert "CouponApplied" not in events_of(cart)

    def test_a_coupon_falls_away_below_its_minimum(self, client, cart, kenya, welcome):
        Coupon.objects.filter(pk=welcome.pk).update(minimum_subtotal=Decimal(40))
        apply(client, "WELCOME10")
        html = change(client, kenya, 1, **HTMX).content.decode()  # subtotal 25.00
        assert "This coupon no longer applies." in html
        assert "needs a subtotal of at least 40.00 EUR" in html
        assert '<dd id="cart-discount">0.00 EUR</dd>' in html
        assert '<dd id="cart-total">25.00 EUR</dd>' in html

    def test_an_empty_cart_takes_no_coupon(self, client, welcome):
        response = apply(client, "WELCOME10")
        assert response.status_code == 409
        assert b"Your cart is empty." in response.content
        assert cart_id_of(client) is None

    def test_query_budget(self, client, cart, welcome, django_assert_max_num_queries):
        # One of them: the guessing throttle's check; one the VAT rates (of the answer).
        with django_assert_max_num_queries(15):
            response = apply(client, "WELCOME10", **HTMX)
        assert response.status_code == 200
        with django_assert_max_num_queries(10):  # one reads the VAT rates
            response = client.post("/cart/coupon/remove/", **HTMX)
        assert response.status_code == 200


class TestPrices:
    def test_a_changed_price_is_shown_and_totalled_at_todays_price(self, client, cart, kenya):
        product_change_price(product_id=kenya.id, price=shop_money("18.00"), context=SYSTEM)
        html = client.get("/cart/").content.decode()
        assert "Price changed from 16.00 EUR to 18.00 EUR" in html
        assert "36.00 EUR" in html  # 2 × 18.00
        assert '<dd id="cart-total">45.00 EUR</dd>' in html

    def test_cart_page_query_budget(self, client, cart, welcome, django_assert_max_num_queries):
        apply(client, "WELCOME10")
        with django_assert_max_num_queries(6):  # one reads the VAT rates
            response = client.get("/cart/")
        assert response.status_code == 200


class TestStock:
    def test_out_of_stock_cannot_be_added(self, client, kenya):
        product_adjust_stock(product_id=kenya.id, on_hand=0, context=SYSTEM)
        response = add_to_cart(client, kenya, 1, **HTMX)
        assert response.status_code == 409
        assert b"out of stock" in response.content

    def test_delisted_cannot_be_added_nor_raised(self, client, cart, kenya):
        product_delist(product_id=kenya.id, context=SYSTEM)
        assert add_to_cart(client, kenya, 1).status_code == 404
        response = change(client, kenya, 3)
        assert response.status_code == 409
        assert b"out of stock" in response.content
        assert "No longer sold" in client.get("/cart/").content.decode()
        assert remove(client, kenya).status_code == 302  # it can still be removed


class TestBadInput:
    """Every cart endpoint: a 4xx with a message, never a 500, and nothing stored."""

    @pytest.mark.parametrize("quantity", ["abc", "-1", str(10**9), "", "1.5", "1e3"])
    def test_bad_quantity(self, client, cart, kenya, quantity):
        for extra in ({}, HTMX):
            response = change(client, kenya, quantity, **extra)
            assert response.status_code == 422
            assert (
                b"Quantity must be" in response.content or b"Enter a quantity" in response.content
            )
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    @pytest.mark.parametrize("url", ["/cart/change/", "/cart/remove/"])
    @pytest.mark.parametrize("product", ["", "not-a-uuid", "1 OR 1=1"])
    def test_bad_product(self, client, cart, url, product):
        response = client.post(url, {"product": product, "quantity": 1}, **HTMX)
        assert response.status_code == 422
        assert b"your cart" in response.content
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    @pytest.mark.parametrize("url", ["/cart/change/", "/cart/remove/"])
    def test_unknown_product(self, client, cart, url):
        response = client.post(url, {"product": str(uuid.uuid4()), "quantity": 1})
        assert response.status_code == 404
        assert b"That product is not in your cart." in response.content
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    @pytest.mark.parametrize("url", ["/cart/change/", "/cart/remove/"])
    def test_another_shoppers_line(self, client, cart, url):
        other = Client()
        theirs = ProductFactory(name="Darjeeling")
        add_to_cart(other, theirs, 1)
        response = client.post(url, {"product": str(theirs.id), "quantity": 1}, **HTMX)
        assert response.status_code == 409
        assert b"That product is not in your cart." in response.content
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]
        assert events_of(uuid.UUID(cart_id_of(other))) == ["ItemAdded"]

    @pytest.mark.parametrize("url", ["/cart/change/", "/cart/remove/", "/cart/undo/"])
    def test_missing_fields(self, client, cart, url):
        response = client.post(url, {})
        assert response.status_code == 422
        assert b'class="message message-error"' in response.content

    def test_a_ten_thousand_character_coupon(self, client, cart):
        for extra in ({}, HTMX):
            response = apply(client, "W" * 10_000, **extra)
            assert response.status_code == 422
            assert b"That coupon code is too long." in response.content
        assert apply(client, "").status_code == 422
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    @pytest.mark.parametrize("removal", ["abc", "-5", "0", str(10**30), ""])
    def test_bad_undo(self, client, cart, removal):
        response = client.post("/cart/undo/", {"removal": removal}, **HTMX)
        assert response.status_code == 422
        assert b"nothing to undo" in response.content

    def test_undo_a_position_that_is_not_a_removal(self, client, cart):
        first = eventstore.load(cart)[0].position
        response = client.post("/cart/undo/", {"removal": first})
        assert response.status_code == 409
        assert events_of(cart) == ["ItemAdded", "ItemAdded"]

    @pytest.mark.parametrize(
        "url",
        ["/cart/change/", "/cart/remove/", "/cart/undo/", "/cart/coupon/", "/cart/coupon/remove/"],
    )
    def test_get_is_not_allowed(self, client, url):
        assert client.get(url).status_code == 405

    @pytest.mark.parametrize("url", ACTIONS)
    def test_without_a_cart(self, client, kenya, url):
        response = client.post(url, {"product": str(kenya.id), "quantity": 1, "removal": 1})
        assert response.status_code in (404, 409)
        assert b'class="message message-error"' in response.content
        assert cart_id_of(client) is None
        assert not Event.objects.filter(stream_type="cart").exists()

    def test_missing_csrf_token(self, cart, kenya):
        strict = Client(enforce_csrf_checks=True)
        assert (
            strict.post("/cart/change/", {"product": str(kenya.id), "quantity": 1}).status_code
            == 403
        )
