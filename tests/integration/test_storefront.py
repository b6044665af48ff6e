"""What a shopper sees: refusals on the page they were on, the product page, the cart."""

import re
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from carts.models import CartLine, Coupon
from shop import eventstore, projections
from shop.models import Event
from tests import factories
from tests.factories import CategoryFactory, ProductFactory, add_to_cart, cart_id_of

pytestmark = pytest.mark.django_db

HTMX = {"headers": {"HX-Request": "true"}}


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price="16.00", stock=8, category__slug="coffee")


@pytest.fixture
def assam():
    return ProductFactory(name="Assam Breakfast", price="9.00", stock=20, category__slug="tea")


@pytest.fixture
def cart(client, kenya, assam):
    add_to_cart(client, kenya, 2)
    add_to_cart(client, assam, 1)
    return uuid.UUID(cart_id_of(client))


def field_error(html: str, error_id: str) -> str:
    found = re.search(rf'<p class="field-error[^"]*" id="{error_id}"[^>]*>([^<]*)</p>', html)
    assert found, f"no field error {error_id}"
    return found.group(1)


def assert_no_dead_end(html: str) -> None:
    assert "Sorry, that did not work" not in html
    assert "<html" in html and 'class="site-header"' in html


class TestRefusalsWithoutJavaScript:
    """Defect 2: a refused form answers with its page, the message beside the field."""

    @pytest.mark.parametrize(
        ("code", "status", "message"),
        [
            ("NOPE", 404, "There is no coupon with the code &#x27;NOPE&#x27;."),
            ("", 422, "Enter a coupon code."),
            ("W" * 41, 422, "That coupon code is too long."),
        ],
    )
    def test_a_refused_coupon(self, client, cart, code, status, message):
        before = Event.objects.count()
        response = client.post("/cart/coupon/", {"code": code})
        html = response.content.decode()
        assert response.status_code == status
        assert_no_dead_end(html)
        assert "<h1>Your cart</h1>" in html
        assert field_error(html, "coupon-error") == message
        assert 'aria-invalid="true" aria-describedby="coupon-error"' in html
        assert f'value="{code[:40]}"' in html  # what was typed is still there
        assert ">Apply coupon</button>" in html and "Kenya AA" in html
        assert Event.objects.count() == before

    def test_an_expired_coupon_is_a_conflict_shown_beside_the_field(self, client, cart):
        Coupon.objects.create(code="OLD", kind=Coupon.Kind.PERCENT, value=10, active=False)
        response = client.post("/cart/coupon/", {"code": "old"})
        assert response.status_code == 409
        assert "no longer active" in field_error(response.content.decode(), "coupon-error")

    def test_a_refused_coupon_with_htmx_swaps_the_summary_with_the_error(self, client, cart):
        response = client.post("/cart/coupon/", {"code": "NOPE"}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 404
        assert '<div id="cart-summary" class="cart-summary" hx-swap-oob="true">' in html
        assert "There is no coupon" in field_error(html, "coupon-error")

    @pytest.mark.parametrize(
        ("quantity", "status", "message"),
        [
            ("abc", 422, "Quantity must be a whole number from 0 to 99."),
            ("100", 422, "Quantity must be a whole number from 0 to 99."),
            ("9", 409, "Kenya AA: Only 8 available."),
        ],
    )
    def test_a_refused_quantity_on_the_cart(self, client, cart, kenya, quantity, status, message):
        response = client.post("/cart/change/", {"product": str(kenya.id), "quantity": quantity})
        html = response.content.decode()
        assert response.status_code == status
        assert_no_dead_end(html)
        assert field_error(html, f"quantity-error-{kenya.id}") == message
        assert f'value="{quantity}" min="0"' in html
        assert CartLine.objects.get(cart_id=cart, product_id=kenya.id).quantity == 2

    def test_a_refused_quantity_with_htmx_swaps_its_line(self, client, cart, kenya):
        response = client.post("/cart/change/", {"product": str(kenya.id), "quantity": 0.5}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 422
        assert f'<tr id="line-{kenya.id}" hx-swap-oob="true">' in html
        assert field_error(html, f"quantity-error-{kenya.id}").startswith("Quantity must be")

    @pytest.mark.parametrize(
        ("quantity", "status", "message"),
        [
            ("0", 422, "Quantity must be a whole number from 1 to 99."),
            ("", 422, "Enter a quantity."),
            ("9", 409, "Only 8 available."),
        ],
    )
    def test_a_refused_add_on_the_product_page(self, client, kenya, quantity, status, message):
        response = client.post(
            "/cart/add/",
            {"product": str(kenya.id), "quantity": quantity, "next": kenya.get_absolute_url()},
        )
        html = response.content.decode()
        assert response.status_code == status
        assert_no_dead_end(html)
        assert '<nav class="breadcrumbs"' in html and "<h1>Kenya AA</h1>" in html
        assert field_error(html, f"add-error-{kenya.id}") == message
        assert f'aria-describedby="add-error-{kenya.id}"' in html
        assert f'<input type="hidden" name="next" value="{kenya.get_absolute_url()}">' in html
        assert cart_id_of(client) is None or not CartLine.objects.exists()

    def test_a_refused_add_on_a_category_page(self, client, kenya):
        ProductFactory(name="Brazil Cerrado", category__slug="coffee")
        response = client.post(
            "/cart/add/", {"product": str(kenya.id), "quantity": "-1", "next": "/?category=coffee"}
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "<h1>Coffee</h1>" in html and "Brazil Cerrado" in html
        assert field_error(html, f"add-error-{kenya.id}").startswith("Quantity must be")
        assert 'value="/?category=coffee"' in html  # the next add goes back there too

    def test_an_unknown_product_is_a_404_on_the_page_the_shopper_was_on(self, client, kenya):
        response = client.post(
            "/cart/add/", {"product": str(uuid.uuid4()), "quantity": 1, "next": "/"}
        )
        html = response.content.decode()
        assert response.status_code == 404
        assert_no_dead_end(html)
        assert "That product is not in our catalog." in html
        assert "<h1>All products</h1>" in html and "Kenya AA" in html

    def test_a_refused_add_with_htmx_swaps_its_form(self, client, kenya):
        response = client.post("/cart/add/", {"product": str(kenya.id), "quantity": 0}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 422
        assert f'<div id="buy-{kenya.id}" class="buy" hx-swap-oob="true">' in html
        assert field_error(html, f"add-error-{kenya.id}").startswith("Quantity must be")

    @pytest.mark.parametrize("url", ["/cart/remove/", "/cart/undo/"])
    def test_other_refusals_show_the_cart_with_the_message(self, client, cart, url):
        response = client.post(url, {"product": str(uuid.uuid4()), "removal": 1})
        html = response.content.decode()
        assert response.status_code in (404, 409)
        assert_no_dead_end(html)
        assert "<h1>Your cart</h1>" in html and 'class="message message-error"' in html

    @pytest.mark.parametrize(
        ("url", "service", "form"),
        [
            ("/cart/add/", "cart_add_item", {"quantity": "1", "next": "/"}),
            ("/cart/change/", "cart_change_quantity", {"quantity": "3"}),
            ("/cart/remove/", "cart_remove_item", {}),
            ("/cart/coupon/", "cart_apply_coupon", {"code": "ANY"}),
        ],
    )
    @pytest.mark.parametrize("extra", [{}, HTMX])
    def test_a_command_that_lost_every_retry_is_a_409_on_the_page(
        self, client, cart, kenya, monkeypatch, url, service, form, extra
    ):
        from carts import services
        from shop.eventstore import ConcurrencyError

        def lost(**kwargs):
            raise ConcurrencyError(cart, 1)

        monkeypatch.setattr(services, service, lost)
        before = Event.objects.count()
        response = client.post(url, {"product": str(kenya.id), **form}, **extra)
        html = response.content.decode()
        assert response.status_code == 409
        assert "Someone changed this at the same moment." in html
        assert "Sorry, that did not work" not in html
        if not extra:
            assert_no_dead_end(html)
            assert (
                "<h1>All products</h1>" in html
                if url == "/cart/add/"
                else "<h1>Your cart</h1>" in html
            )
        assert Event.objects.count() == before


def checkout_fields(client) -> dict:
    """The checkout form as its second step renders it (hidden fields and the shipping
    method chosen included), filled in."""
    return {**CHECKOUT_ADDRESS, **factories.checkout_fields(client, CHECKOUT_ADDRESS)}


CHECKOUT_ADDRESS = {
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "address": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "United Kingdom",
}


def assert_checkout_page_again(html: str, message: str) -> None:
    """The checkout page, its form as the shopper filled it in, ``message`` at its top."""
    assert_no_dead_end(html)
    assert "<h1>Checkout</h1>" in html
    assert '<form class="checkout-form" method="post" action="/checkout/" novalidate' in html
    assert 'aria-describedby="checkout-error"' in html
    assert field_error(html, "checkout-error") == message
    assert f'<div class="message message-error">{message}</div>' in html
    assert 'value="Ada Lovelace"' in html and 'value="SW1Y 4JH"' in html
    assert ">Place order</button>" in html or ">Continue to shipping</button>" in html


class TestCheckoutRefusals:
    """A refused checkout answers with the checkout page, not a dead end; nothing stored."""

    STALE = "This checkout form is out of date. Please review your order and place it again."

    @pytest.mark.parametrize(
        "forged",
        [
            {"command_id": "not-a-uuid"},
            {"command_id": ""},
            {"command_id": '{"id": 1}'},
            {"expected_total": "abc"},
            {"expected_total": "1e309"},
            {"expected_total": "[1, 2]"},
        ],
    )
    def test_a_forged_hidden_field_is_422_with_a_fresh_form(self, client, cart, forged):
        data = {**checkout_fields(client), **forged}
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        html = response.content.decode()
        assert response.status_code == 422
        assert_checkout_page_again(html, self.STALE)
        # 41.00 of goods (the expected total) and 14.90 of shipping to the United Kingdom
        assert "Kenya AA" in html and '<dt>Total</dt><dd id="checkout-total">55.90 EUR' in html
        form = response.context["form"]
        uuid.UUID(form["command_id"].value())  # a fresh, valid command id
        assert form["expected_total"].value() == "41.00"
        assert Event.objects.count() == before
        # the form shown again places the order
        fresh = {name: form[name].value() for name in form.HIDDEN}
        assert client.post("/checkout/", {**data, **fresh}).status_code == 302

    def test_a_forged_hidden_field_and_a_missing_field_show_both(self, client, cart):
        data = {**checkout_fields(client), "command_id": "x", "city": ""}
        response = client.post("/checkout/", data)
        html = response.content.decode()
        assert response.status_code == 422
        assert field_error(html, "checkout-error") == self.STALE
        assert field_error(html, "id_city_error") == "Enter your city."

    def test_a_total_changed_since_the_page_was_shown_is_409(self, client, cart, kenya):
        from catalog.services import product_change_price, shop_money
        from tests.factories import SYSTEM

        data = checkout_fields(client)
        product_change_price(product_id=kenya.id, price=shop_money("17.00"), context=SYSTEM)
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        html = response.content.decode()
        assert response.status_code == 409
        assert_checkout_page_again(
            html,
            "Prices changed while you were checking out: the total is now 57.90 EUR. "
            "Please review your order and place it again.",
        )
        assert '<dt>Total</dt><dd id="checkout-total">57.90 EUR</dd>' in html
        assert 'name="expected_total" value="43.00"' in html
        assert Event.objects.count() == before

    def test_a_cart_changed_since_the_page_was_shown_is_409(self, client, cart, assam):
        data = checkout_fields(client)
        add_to_cart(client, assam, 1)  # in another tab
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        assert response.status_code == 409
        html = response.content.decode()
        assert_checkout_page_again(html, field_error(html, "checkout-error"))
        assert "the total is now 64.90 EUR" in field_error(html, "checkout-error")
        assert Event.objects.count() == before

    @pytest.mark.parametrize("forged", [{}, {"command_id": "forged"}])
    def test_an_empty_cart_is_409_on_the_checkout_page(self, client, cart, kenya, assam, forged):
        data = {**checkout_fields(client), **forged}
        for product in (kenya, assam):  # emptied in another tab
            client.post("/cart/remove/", {"product": str(product.id)})
        before = Event.objects.count()
        response = client.post("/checkout/", data)
        html = response.content.decode()
        assert response.status_code == 409
        assert_checkout_page_again(html, "Your cart is empty.")
        assert "Browse the catalog" in html and '<th scope="row">Kenya AA</th>' not in html
        assert Event.objects.count() == before

    def test_no_cart_at_all_is_409_on_the_checkout_page(self, client):
        data = {**CHECKOUT_ADDRESS, "command_id": str(uuid.uuid4()), "expected_total": "1.00"}
        response = client.post("/checkout/", data)
        assert response.status_code == 409
        assert_checkout_page_again(response.content.decode(), "Your cart is empty.")
        assert not Event.objects.exists()

    def test_a_command_id_of_another_cart_is_409_with_a_fresh_one(self, client, cart, kenya):
        data = checkout_fields(client)
        assert client.post("/checkout/", data).status_code == 302
        add_to_cart(client, kenya, 1)  # a new cart, the old form resent
        before = Event.objects.count()
        response = client.post("/checkout/", {**data, "expected_total": "16.00"})
        assert response.status_code == 409
        assert_checkout_page_again(
            response.content.decode(),
            "This checkout form belongs to another cart. Please review your order and try again.",
        )
        assert response.context["form"]["command_id"].value() != data["command_id"]
        assert Event.objects.count() == before

    def test_with_htmx_the_summary_and_form_come_back_out_of_band(self, client, cart):
        data = {**checkout_fields(client), "command_id": "forged"}
        before = Event.objects.count()
        response = client.post("/checkout/", data, **HTMX)
        html = response.content.decode()
        assert response.status_code == 422
        assert "<html" not in html
        assert '<section id="checkout-summary" class="order-summary"' in html
        details = '<section id="checkout-details" aria-labelledby="details-heading"'
        assert details + ' hx-swap-oob="true">' in html
        assert field_error(html, "checkout-error") == self.STALE
        assert 'value="Ada Lovelace"' in html
        assert Event.objects.count() == before


class TestCatalogFilterRefusals:
    """A category or search the catalog cannot run: the catalog page, the message beside it."""

    @pytest.mark.parametrize(
        ("query", "status", "message"),
        [
            ({"category": "<garbage>"}, 422, "There is no such category."),
            ({"category": '{"a": 1}'}, 422, "There is no such category."),
            ({"category": "no-such-category"}, 404, "There is no such category."),
            ({"category": "nope", "q": "kenya"}, 404, "There is no such category."),
            ({"q": "kenya\x00"}, 422, "Null characters are not allowed."),
        ],
    )
    @pytest.mark.parametrize("extra", [{}, HTMX])
    def test_a_bad_filter(self, client, kenya, assam, query, status, message, extra):
        before = Event.objects.count()
        response = client.get("/", query, **extra)
        html = response.content.decode()
        assert response.status_code == status
        assert_no_dead_end(html)
        assert field_error(html, "filter-error") == message
        assert '<nav class="categories" aria-label="Categories">' in html
        assert "Kenya AA" in html  # the filter that could not run is left out
        if "q" in query and "category" in query:  # the search that could run still does
            assert "Assam Breakfast" not in html
        elif "category" in query:
            assert "<h1>All products</h1>" in html and "Assam Breakfast" in html
        else:
            assert 'aria-invalid="true" aria-describedby="filter-error"' in html
        assert Event.objects.count() == before

    def test_a_good_filter_has_no_error(self, client, kenya):
        response = client.get("/", {"category": "coffee"})
        assert response.status_code == 200
        assert 'id="filter-error"' not in response.content.decode()


class TestProductPage:
    def test_breadcrumbs(self, client, kenya):
        html = client.get(kenya.get_absolute_url()).content.decode()
        start = html.index('<nav class="breadcrumbs"')
        crumbs = html[start : html.index("</nav>", start)]
        assert re.findall(r">([^<>]+)</a>", crumbs) == ["Home", kenya.category.name, "Kenya AA"]
        assert 'href="/?category=coffee"' in crumbs
        assert 'aria-current="page">Kenya AA' in crumbs

    @pytest.mark.parametrize(
        ("stock", "words", "buyable"),
        [
            (50, "In stock", True),
            (6, "In stock", True),
            (5, "Only 5 left", True),
            (1, "Only 1 left", True),
            (0, "Out of stock", False),
        ],
    )
    def test_stock_in_words_and_a_quantity_box_only_when_it_can_be_bought(
        self, client, stock, words, buyable
    ):
        product = ProductFactory(name="Hand Grinder", stock=stock)
        html = client.get(product.get_absolute_url()).content.decode()
        assert f'<p class="stock" id="stock-{product.id}">{words}</p>' in html
        if stock > 5:
            assert f"({stock})" not in html and f"{stock} left" not in html
        assert ('name="quantity"' in html) is buyable
        assert (">Add to cart</button>" in html) is buyable
        listing = client.get("/").content.decode()
        assert f'<p class="stock">{words}</p>' in listing
        assert (f'id="quantity-{product.id}"' in listing) is buyable

    def test_related_products_come_from_the_same_category(self, client, kenya):
        brazil = ProductFactory(name="Brazil Cerrado", category__slug="coffee")
        ProductFactory(name="Sencha", category=CategoryFactory(slug="green-tea"))
        html = client.get(kenya.get_absolute_url()).content.decode()
        related = html[html.index('<section class="related"') :]
        assert "More from" in related and brazil.name in related
        assert "Sencha" not in related and 'id="product-' + str(kenya.id) not in related


class TestCart:
    def test_the_added_message_links_to_the_cart(self, client, kenya):
        for extra in ({}, HTMX):
            response = add_to_cart(client, kenya, 1, follow=not extra, **extra)
            html = response.content.decode()
            assert re.search(
                r"Added 1 × Kenya AA to your cart\. <a href=\"/cart/\">View cart</a>", html
            )

    def test_the_coupon_box_is_hidden_while_a_coupon_is_applied(self, client, cart):
        Coupon.objects.create(code="WELCOME10", kind=Coupon.Kind.PERCENT, value=Decimal(10))
        html = client.get("/cart/").content.decode()
        assert 'id="coupon-code"' in html and "remove-coupon" not in html
        assert "Discount" not in html  # no "Discount 0.00" row without a coupon
        client.post("/cart/coupon/", {"code": "WELCOME10"})
        html = client.get("/cart/").content.decode()
        assert 'id="coupon-code"' not in html and 'id="remove-coupon"' in html
        assert '<dt>Discount</dt><dd id="cart-discount">−4.10 EUR</dd>' in html
        client.post("/cart/coupon/remove/")
        html = client.get("/cart/").content.decode()
        assert 'id="coupon-code"' in html and "Discount" not in html

    def test_undo_puts_the_line_back_where_it_was(self, client, cart, kenya, assam):
        third = ProductFactory(name="Tea Bowl", category__slug="mugs")
        add_to_cart(client, third, 1)
        order = ["Kenya AA", "Assam Breakfast", "Tea Bowl"]

        def names():
            html = client.get("/cart/").content.decode()
            return re.findall(r'<a id="name-[^"]+" href="[^"]+">([^<]+)</a>', html)

        assert names() == order
        for product, extra in ((assam, {}), (kenya, HTMX)):
            client.post("/cart/remove/", {"product": str(product.id)})
            assert product.name not in names()
            removal = eventstore.load(cart)[-1].position
            client.post("/cart/undo/", {"removal": removal}, **extra)
            assert names() == order
        # removed and undone twice: still in its first slot
        client.post("/cart/remove/", {"product": str(assam.id)})
        client.post("/cart/undo/", {"removal": eventstore.load(cart)[-1].position})
        assert names() == order
        # a rebuild from the log gives the same slots, by both paths
        slots = list(CartLine.objects.values_list("product_id", "slot"))
        drift, _ = projections.check()
        assert drift == []
        projections.rebuild(batch=False)
        assert list(CartLine.objects.values_list("product_id", "slot")) == slots
        assert names() == order

    def test_every_line_has_a_thumbnail(self, client, cart):
        html = client.get("/cart/").content.decode()
        assert html.count('<span class="line-thumb">') == 2
        assert html.count('class="picture"') == 2


def test_seed_demo_gives_every_product_its_drawing(client):
    call_command("seed_demo")
    from catalog import demo
    from catalog.models import Product, ProductImage

    assert ProductImage.objects.count() == Product.objects.count() == len(demo.PRODUCTS)
    drawings = list(demo.PICTURES.glob("*.webp"))
    assert len(drawings) == len(demo.PRODUCTS)
    assert sum(p.stat().st_size for p in drawings) < 300_000  # small in the repository
    html = client.get("/").content.decode()
    assert html.count("<img ") == 12 and '<svg class="picture"' not in html
    call_command("seed_demo")  # again: nothing doubles
    assert ProductImage.objects.count() == len(demo.PRODUCTS)
