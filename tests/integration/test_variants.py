"""A shopper chooses a coffee's size and grind, buys two variants of it in one order (with
and without JavaScript); refusals of a combination not sold or out of stock store nothing;
the catalog lists products "from" their lowest price; the projections never drift."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from carts.models import CartLine
from carts.selectors import cart_contents
from catalog.models import ProductVariant
from catalog.services import product_adjust_stock, product_change_price, shop_money
from orders.models import OrderLine, OrderSummary
from orders.services import order_quote
from shop.models import Event
from tests.factories import cart_id_of, coffee_with_variants, variant_id_for
from tests.integration.test_checkout import ADDRESS, checkout_form
from tests.journeys import shopper

pytestmark = pytest.mark.django_db

HTMX = {"headers": {"HX-Request": "true"}}


@pytest.fixture
def coffee():
    return coffee_with_variants()


def add(client, product, size, grind, quantity=1, **extra):
    data = {
        "product": str(product.id),
        "option-1": size,
        "option-2": grind,
        "quantity": quantity,
        "next": product.get_absolute_url(),
    }
    return client.post("/cart/add/", data, **extra)


def no_drift() -> bool:
    out = StringIO()
    call_command("rebuild_projections", "--check", stdout=out)
    return "No drift" in out.getvalue()


def field_error(html: str, element_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{element_id}">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_the_product_page_has_a_select_per_option_group(client, coffee):
    html = client.get(coffee.get_absolute_url()).content.decode()
    for n, group in ((1, "Size"), (2, "Grind")):
        assert f'<label for="option-{n}-{coffee.id}">{group}</label>' in html
        assert f'<select id="option-{n}-{coffee.id}" name="option-{n}"' in html
    assert "<option selected>250 g</option>" in html
    assert "<option selected>Whole bean</option>" in html
    assert "9.80 EUR" in html


def test_price_and_stock_follow_the_choice(client, coffee):
    product_adjust_stock(
        product_id=coffee.id,
        variant_id=variant_id_for(coffee.id, ("1 kg", "Filter")),
        on_hand=2,
        context=shopper(),
    )
    url = coffee.get_absolute_url()
    # Without JavaScript: a GET with the options is the chosen variant's page.
    html = client.get(url, {"option-1": "1 kg", "option-2": "Filter"}).content.decode()
    assert f'<p class="price" id="price-{coffee.id}">25.80 EUR</p>' in html
    assert "Only 2 left" in html
    assert "<option selected>1 kg</option>" in html and "<!doctype html>" in html
    # With htmx: only the buy box, to swap in place.
    response = client.get(url, {"option-1": "500 g", "option-2": "Espresso"}, **HTMX)
    box = response.content.decode()
    assert box.lstrip().startswith(f'<div id="buy-{coffee.id}" class="buy"')
    assert "17.80 EUR" in box and "<!doctype" not in box


def test_buy_two_variants_of_one_coffee_without_javascript(client, coffee):
    response = add(client, coffee, "500 g", "Filter", 2)
    assert response.status_code == 302
    assert response["Location"] == f"{coffee.get_absolute_url()}?option-1=500+g&option-2=Filter"
    page = client.get(response["Location"]).content.decode()
    assert "Added 2 × Brazil Cerrado, 500 g, Filter to your cart." in page
    assert add(client, coffee, "1 kg", "Espresso").status_code == 302
    cart = client.get("/cart/").content.decode()
    assert ">Brazil Cerrado, 500 g, Filter</a>" in cart
    assert ">Brazil Cerrado, 1 kg, Espresso</a>" in cart
    assert '<label class="visually-hidden" for="quantity-' in cart
    assert ">Quantity for Brazil Cerrado, 500 g, Filter</label>" in cart
    assert client.post("/checkout/", {**ADDRESS, **checkout_form(client)}).status_code == 302
    order = OrderSummary.objects.get()
    lines = {line.sku: line for line in OrderLine.objects.filter(order=order)}
    assert set(lines) == {"BC-500G-FILTER", "BC-1KG-ESPRESSO"}
    filter_line = lines["BC-500G-FILTER"]
    assert (filter_line.title, filter_line.quantity, filter_line.weight_grams) == (
        "Brazil Cerrado, 500 g, Filter",
        2,
        500,
    )
    assert filter_line.unit_price == Decimal("17.80")
    assert order.total == Decimal("17.80") * 2 + Decimal("25.80")
    stock = dict(ProductVariant.objects.values_list("sku", "stock"))
    assert (stock["BC-500G-FILTER"], stock["BC-1KG-ESPRESSO"], stock["BC-250G-FILTER"]) == (
        8,
        9,
        10,
    )
    reserved = Event.objects.filter(stream_id=coffee.id, event_type="StockReserved")
    assert sorted(e.data["quantity"] for e in reserved) == [1, 2]
    assert no_drift()


def test_buy_two_variants_of_one_coffee_with_htmx(client, coffee):
    assert add(client, coffee, "500 g", "Filter", 1, **HTMX).status_code == 200
    assert add(client, coffee, "500 g", "Whole bean", 3, **HTMX).status_code == 200
    assert add(client, coffee, "500 g", "Filter", 1, **HTMX).status_code == 200  # same line
    lines = CartLine.objects.filter(cart_id=cart_id_of(client)).select_related("variant", "product")
    assert sorted((line.title, line.quantity) for line in lines) == [
        ("Brazil Cerrado, 500 g, Filter", 2),
        ("Brazil Cerrado, 500 g, Whole bean", 3),
    ]
    filter_id = variant_id_for(coffee.id, ("500 g", "Filter"))
    changed = client.post(
        "/cart/change/",
        {"product": str(coffee.id), "variant": str(filter_id), "quantity": 4},
        **HTMX,
    )
    html = changed.content.decode()
    assert f'<tr id="line-{filter_id}" hx-swap-oob="true">' in html
    assert "Brazil Cerrado, 500 g, Filter: quantity is now 4." in html
    response = client.post("/checkout/", {**ADDRESS, **checkout_form(client)}, **HTMX)
    assert response.status_code in (200, 302)
    assert OrderLine.objects.count() == 2
    assert dict(OrderLine.objects.values_list("variant_label", "quantity")) == {
        "500 g, Filter": 4,
        "500 g, Whole bean": 3,
    }
    assert no_drift()


def test_a_combination_not_sold_cannot_be_added(client):
    coffee = coffee_with_variants(sold=[("250 g", "Whole bean"), ("500 g", "Filter")])
    before = Event.objects.count()
    response = add(client, coffee, "500 g", "Espresso")
    assert response.status_code == 422
    html = response.content.decode()
    message = "Brazil Cerrado, 500 g, Espresso is not sold. Choose another option."
    assert field_error(html, f"add-error-{coffee.id}") == message
    assert "<option selected>Espresso</option>" in html  # the choice is kept
    assert f'<p class="stock" id="stock-{coffee.id}">Not sold in this combination</p>' in html
    assert add(client, coffee, '{"x": 1}', "Filter").status_code == 422  # an unknown value
    assert add(client, coffee, "500 g", "Espresso", **HTMX).status_code == 422
    assert Event.objects.count() == before


def test_an_out_of_stock_variant_cannot_be_added(client, coffee):
    product_adjust_stock(
        product_id=coffee.id,
        variant_id=variant_id_for(coffee.id, ("1 kg", "Filter")),
        on_hand=0,
        context=shopper(),
    )
    before = Event.objects.count()
    response = add(client, coffee, "1 kg", "Filter")
    assert response.status_code == 409
    message = "Sorry, Brazil Cerrado, 1 kg, Filter is out of stock."
    assert field_error(response.content.decode(), f"add-error-{coffee.id}") == message
    assert Event.objects.count() == before
    assert add(client, coffee, "1 kg", "Espresso").status_code == 302  # its neighbour sells


def test_the_catalog_lists_products_from_their_lowest_price(client, coffee):
    html = client.get("/", {"category": "coffee"}).content.decode()
    assert html.count(f'id="product-{coffee.id}"') == 1  # the product, not its variants
    assert "from 9.80 EUR" in html
    assert "Choose options" in html
    search = client.get("/", {"q": "brazil"}).content.decode()
    assert "from 9.80 EUR" in search


def test_the_price_changed_notice_is_per_variant(client, coffee):
    add(client, coffee, "500 g", "Filter")
    add(client, coffee, "250 g", "Filter")
    product_change_price(
        product_id=coffee.id,
        variant_id=variant_id_for(coffee.id, ("500 g", "Filter")),
        price=shop_money("18.50"),
        context=shopper(),
    )
    cart = client.get("/cart/").content.decode()
    assert cart.count("Price changed from") == 1
    assert "Price changed from 17.80 EUR to 18.50 EUR" in cart
    quote = order_quote(cart_id=cart_id_of(client))
    assert [line.name for line in quote.price_changes] == ["Brazil Cerrado, 500 g, Filter"]


def test_lines_weigh_what_their_variants_weigh(client, coffee):
    add(client, coffee, "500 g", "Filter", 2)
    add(client, coffee, "1 kg", "Filter", 1)
    contents = cart_contents(cart_id=cart_id_of(client))
    assert sorted(line.weight_grams for line in contents.lines) == [500, 1000]
    assert contents.weight_grams == 2000
    quote = order_quote(cart_id=cart_id_of(client))
    assert sorted((line.weight_grams, line.quantity) for line in quote.lines) == [
        (500, 2),
        (1000, 1),
    ]


def test_undo_puts_a_variant_line_back(client, coffee):
    add(client, coffee, "500 g", "Filter", 2)
    add(client, coffee, "1 kg", "Filter", 1)
    variant = variant_id_for(coffee.id, ("500 g", "Filter"))
    removed = client.post("/cart/remove/", {"product": str(coffee.id), "variant": str(variant)})
    assert removed.status_code == 302
    assert CartLine.objects.filter(variant_id=variant).count() == 0
    undo = client.session["cart_undo"]
    assert client.post("/cart/undo/", {"removal": undo}).status_code == 302
    line = CartLine.objects.get(variant_id=variant)
    assert line.quantity == 2
    first = CartLine.objects.filter(cart_id=cart_id_of(client)).order_by("slot").first()
    assert first.variant_id == variant  # back in its place
    assert no_drift()


def test_a_line_form_naming_a_variant_of_another_product_is_refused(client, coffee):
    other = coffee_with_variants("Colombia Huila")
    add(client, coffee, "500 g", "Filter")
    before = Event.objects.count()
    response = client.post(
        "/cart/change/",
        {
            "product": str(coffee.id),
            "variant": str(variant_id_for(other.id, ("500 g", "Filter"))),
            "quantity": 3,
        },
    )
    assert response.status_code == 404
    assert Event.objects.count() == before
