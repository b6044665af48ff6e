"""A shopper in a real Chromium: from the home page to the order confirmation, choosing how
the order ships, with the VAT included per rate; with and without JavaScript."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from catalog.models import Product
from catalog.services import product_adjust_stock
from orders.models import OrderSummary
from shipping.models import ShippingMethod
from shop.money import TaxClass
from tests.browser.test_audit import pay_by_card
from tests.factories import SYSTEM, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


@pytest.fixture
def products():
    return [
        ProductFactory(name="Kenya AA", price="16.20", stock=8, tax_class=TaxClass.REDUCED),
        ProductFactory(name="Pour-over Dripper", price="24.00", stock=20),
        ProductFactory(name="Assam Breakfast", price="6.40", stock=20, tax_class="reduced"),
    ]


def add(page, name, quantity, count):
    card = page.get_by_role("listitem").filter(has_text=name)
    card.get_by_label("Quantity").fill(str(quantity))
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name=f"Cart ({count})")).to_be_visible()


def fits_a_phone_and_passes_axe(page, auditor=None) -> None:
    """axe-core finds nothing and the page does not scroll sideways at 360 px. A page shown
    with JavaScript off is audited as that browser got it, in a tab of the same origin with
    JavaScript on (axe is a script)."""
    page.wait_for_load_state("load")
    if auditor is not None:
        origin = re.match(r"https?://[^/]+", page.url)[0]
        auditor.goto(origin + "/healthz")
        auditor.set_content(page.content(), wait_until="load")
        page = auditor
    assert AXE.run(page).response["violations"] == []
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 800})


def shop_and_check_out(page, base_url, auditor=None):
    page.goto(base_url)
    add(page, "Kenya AA", 2, 2)
    add(page, "Pour-over Dripper", 1, 3)

    page.get_by_role("link", name="Cart (3)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    # Prices include VAT: the cart says how much, per rate (before any shipping).
    expect(page.locator(".totals")).to_contain_text("incl. VAT 7 %")
    page.get_by_label("Ship to").select_option(label="Germany")
    page.get_by_role("button", name="Estimate shipping").click()
    expect(page.locator("#cart-shipping")).to_have_text("free")  # Standard: free from 50 EUR
    fits_a_phone_and_passes_axe(page, auditor)
    page.get_by_role("link", name="Checkout").click()

    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Kenya AA")).to_contain_text("32.40 EUR")
    expect(page.get_by_label("Country")).to_have_value("DE")  # the cart's country
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address").fill("Unter den Linden 1")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10117")
    expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    page.get_by_role("button", name="Continue to shipping").click()

    methods = page.get_by_role("group", name="Shipping method")
    expect(methods.get_by_role("radio")).to_have_count(2)
    expect(methods.get_by_label("Standard: free")).to_be_checked()
    expect(methods).to_contain_text("2–4 working days")
    fits_a_phone_and_passes_axe(page, auditor)
    methods.get_by_label("Express: 9.90 EUR").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    pay_by_card(page, "4242 4242 4242 4242")

    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    order = OrderSummary.objects.get()
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_contain_text(order.number)
    expect(page).to_have_url(re.compile(rf"/orders/{order.order_id}/$"))
    totals = page.locator(".totals")
    # 56.40 of goods + 9.90 Express; the shipping's VAT split 5.69 / 4.21 by the goods'
    # rates: 38.09 at 7 % holds 2.49 VAT, 28.21 at 19 % holds 4.50.
    expect(totals).to_contain_text("Shipping (Express)9.90 EUR")
    expect(totals).to_contain_text("Total66.30 EUR")
    expect(totals).to_contain_text("incl. VAT 7 %2.49 EUR")
    expect(totals).to_contain_text("incl. VAT 19 %4.50 EUR")
    expect(page.locator("address")).to_contain_text("Germany")
    fits_a_phone_and_passes_axe(page, auditor)
    expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()
    assert Product.objects.get(name="Kenya AA").stock == 6
    assert (order.shipping_method, str(order.total)) == ("Express", "66.30")
    return order


def test_checkout_with_javascript(live_server, page, products, csp_violations):
    shop_and_check_out(page, live_server.url)
    assert csp_violations == []


def test_checkout_without_javascript(live_server, browser, products):
    context = browser.new_context(java_script_enabled=False)
    auditor = browser.new_context()
    page = context.new_page()
    shop_and_check_out(page, live_server.url, auditor.new_page())
    context.close()
    auditor.close()


def test_a_method_withdrawn_meanwhile_is_refused_on_the_page(live_server, page, products):
    page.goto(live_server.url)
    add(page, "Assam Breakfast", 1, 1)
    page.goto(live_server.url + "/checkout/")
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada"),
        ("Address", "1 Rue de Rivoli"),
        ("City", "Paris"),
        ("Postal code", "75001"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Country").select_option(label="France")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_label("Express: 9.90 EUR").check()
    ShippingMethod.objects.filter(name="Express").update(active=False)  # staff, meanwhile
    page.get_by_role("button", name="Place order").click()

    methods = page.get_by_role("group", name="Shipping method")
    expect(methods).to_contain_text("That shipping method does not ship to your address.")
    expect(methods.get_by_role("radio")).to_have_count(1)
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")
    assert not OrderSummary.objects.exists()
    page.get_by_label("Standard: 4.90 EUR").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    pay_by_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    order = OrderSummary.objects.get()
    assert (order.shipping_method, str(order.total)) == ("Standard", "11.30")  # 6.40 + 4.90


def test_out_of_stock_at_checkout_is_explained(live_server, page, products, csp_violations):
    page.goto(live_server.url)
    add(page, "Kenya AA", 3, 3)
    page.goto(live_server.url + "/checkout/")
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada"),
        ("Address", "1 Road"),
        ("City", "Town"),
        ("Postal code", "1"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_label("Standard: 14.90 EUR")).to_be_checked()
    product_adjust_stock(product_id=products[0].id, on_hand=1, context=SYSTEM)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("status")).to_contain_text("Only 1 of Kenya AA left in stock.")
    form = page.locator("form.checkout-form")
    expect(form.locator("#checkout-error")).to_contain_text("Only 1 of Kenya AA left in stock.")
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")
    assert not OrderSummary.objects.exists()
    assert csp_violations == []
