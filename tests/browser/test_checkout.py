"""A shopper in a real Chromium: from the home page to the order confirmation."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from catalog.services import product_adjust_stock
from orders.models import OrderSummary
from tests.browser.test_audit import pay_by_card
from tests.factories import SYSTEM, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def products():
    return [
        ProductFactory(name="Kenya AA", price="16.20", stock=8),
        ProductFactory(name="Assam Breakfast", price="6.40", stock=20),
    ]


def shop_and_check_out(page, base_url):
    page.goto(base_url)
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()

    page.get_by_role("link", name="Cart (2)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.get_by_role("link", name="Checkout").click()

    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Kenya AA")).to_contain_text("32.40 EUR")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address").fill("12 St James's Square")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("SW1Y 4JH")
    page.get_by_label("Country").fill("United Kingdom")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    pay_by_card(page, "4242 4242 4242 4242")

    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    order = OrderSummary.objects.get()
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_contain_text(order.number)
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_id}/$"))
    expect(page.get_by_role("row").filter(has_text="Kenya AA")).to_contain_text("2")
    expect(page.get_by_text("32.40 EUR").first).to_be_visible()
    expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()
    assert Product.objects.get(name="Kenya AA").stock == 6
    return order


def test_checkout_with_javascript(live_server, page, products, csp_violations):
    shop_and_check_out(page, live_server.url)
    assert csp_violations == []


def test_checkout_without_javascript(live_server, browser, products):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    shop_and_check_out(page, live_server.url)
    context.close()


def test_out_of_stock_at_checkout_is_explained(live_server, page, products, csp_violations):
    page.goto(live_server.url)
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("3")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()
    page.goto(live_server.url + "/checkout/")
    product_adjust_stock(product_id=products[0].id, on_hand=1, context=SYSTEM)
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada"),
        ("Address", "1 Road"),
        ("City", "Town"),
        ("Postal code", "1"),
        ("Country", "UK"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("status")).to_contain_text("Only 1 of Kenya AA left in stock.")
    form = page.locator("form.checkout-form")
    expect(form.locator("#checkout-error")).to_contain_text("Only 1 of Kenya AA left in stock.")
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")
    assert not OrderSummary.objects.exists()
    assert csp_violations == []
