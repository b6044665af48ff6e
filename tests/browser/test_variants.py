"""A shopper in a real Chromium buys two variants of one coffee in one order, with and
without JavaScript: a select per option group, price and stock following the choice, a cart
line per variant named by it; axe-core finds nothing and nothing scrolls sideways at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import ProductVariant
from catalog.services import product_adjust_stock
from orders.models import OrderLine, OrderSummary
from tests.browser.test_audit import Audit, fill_checkout, pay_by_card
from tests.factories import SYSTEM, coffee_with_variants, variant_id_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def coffee():
    coffee = coffee_with_variants()
    product_adjust_stock(
        product_id=coffee.id,
        variant_id=variant_id_for(coffee.id, ("1 kg", "French press")),
        on_hand=0,
        context=SYSTEM,
    )
    return coffee


def choose_and_add(page, size, grind, quantity, *, javascript):
    page.get_by_label("Size").select_option(size)
    page.get_by_label("Grind").select_option(grind)
    if javascript:  # htmx swapped the buy box: the price follows the choice
        expect(page.get_by_label("Size")).to_have_value(size)
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()


class NoAudit:
    """With JavaScript off axe-core cannot run (the same pages are audited with it on)."""

    problems: list[str] = []

    def visit(self, url, name, **kwargs):
        self.page.goto(url)

    def check(self, name, **kwargs):
        pass


def buy_two_variants(page, base, coffee, *, javascript):
    audit = Audit(page) if javascript else NoAudit()
    audit.page = page
    page.set_viewport_size({"width": 360, "height": 800})
    audit.visit(base + "/?category=coffee", "category")
    expect(page.get_by_text("from 9.80 EUR")).to_be_visible()
    page.get_by_role("link", name="Brazil Cerrado").first.click()
    audit.check("product")
    price = page.locator(f"#price-{coffee.id}")
    expect(price).to_have_text("9.80 EUR")

    if javascript:
        page.get_by_label("Size").select_option("1 kg")
        page.get_by_label("Grind").select_option("French press")
        expect(page.locator(f"#stock-{coffee.id}")).to_have_text("Out of stock")
        expect(price).to_have_text("25.80 EUR")
    # A variant out of stock cannot be added: a message, nothing stored.
    choose_and_add(page, "1 kg", "French press", 1, javascript=javascript)
    message = "Sorry, Brazil Cerrado, 1 kg, French press is out of stock."
    expect(page.locator(f"#add-error-{coffee.id}")).to_have_text(message)
    audit.check("refused", refused=409)

    choose_and_add(page, "500 g", "Filter", 2, javascript=javascript)
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()
    if not javascript:  # the page of the variant just added
        expect(page).to_have_url(re.compile(r"option-1=500\+g&option-2=Filter$"))
        expect(price).to_have_text("17.80 EUR")
    choose_and_add(page, "1 kg", "Espresso", 1, javascript=javascript)
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()

    page.get_by_role("link", name="Cart (3)").click()
    audit.check("cart")
    expect(page.get_by_role("link", name="Brazil Cerrado, 500 g, Filter")).to_be_visible()
    expect(page.get_by_role("link", name="Brazil Cerrado, 1 kg, Espresso")).to_be_visible()
    quantity = page.get_by_label("Quantity for Brazil Cerrado, 500 g, Filter")
    expect(quantity).to_have_value("2")
    page.get_by_role("link", name="Checkout").click()
    fill_checkout(page)
    audit.check("checkout")
    page.get_by_role("button", name="Continue to shipping").click()
    audit.check("checkout, shipping")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    expect(page.get_by_text("Brazil Cerrado, 500 g, Filter").first).to_be_visible()
    pay_by_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    expect(page.get_by_text("Brazil Cerrado, 500 g, Filter").first).to_be_visible()
    expect(page.get_by_text("61.40 EUR").first).to_be_visible()
    audit.check("confirmation")
    assert audit.problems == [], audit.problems
    order = OrderSummary.objects.get()
    assert sorted(OrderLine.objects.filter(order=order).values_list("sku", "quantity")) == [
        ("BC-1KG-ESPRESSO", 1),
        ("BC-500G-FILTER", 2),
    ]
    stock = dict(ProductVariant.objects.values_list("sku", "stock"))
    assert (stock["BC-500G-FILTER"], stock["BC-1KG-ESPRESSO"]) == (8, 9)


def test_two_variants_in_one_order_with_javascript(live_server, page, coffee, csp_violations):
    buy_two_variants(page, live_server.url, coffee, javascript=True)
    assert csp_violations == []


def test_two_variants_in_one_order_without_javascript(live_server, browser, coffee):
    context = browser.new_context(java_script_enabled=False)
    buy_two_variants(context.new_page(), live_server.url, coffee, javascript=False)
    context.close()
