"""A shopper pays in a real Chromium, with JavaScript and without: a declined card says why
beside its field, a good one pays; the payment page passes axe and fits a 360 px phone; the
order page tells the order's story."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from orders.models import OrderSummary
from tests.browser.test_audit import pay_by_card
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


@pytest.fixture
def kenya():
    return ProductFactory(name="Kenya AA", price="16.20", stock=8)


def place_order(page, base_url):
    page.goto(base_url)
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()
    page.goto(base_url + "/checkout/")
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada Lovelace"),
        ("Address", "12 St James's Square"),
        ("City", "London"),
        ("Postal code", "SW1Y 4JH"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_label("Standard: 14.90 EUR").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()


def audited(page, javascript=True):
    """axe's violations on the page, and how far it scrolls sideways at 360 px. Without
    JavaScript nothing runs in the page (axe neither): the form's controls must fit."""
    page.set_viewport_size({"width": 360, "height": 800})
    if javascript:
        violations = [v["id"] for v in AXE.run(page).response["violations"]]
        overflow = page.evaluate("document.documentElement.scrollWidth") - 360
    else:
        violations = []
        parts = page.locator("main :is(h1, p, input, button, a, table, dl, ol)").all()
        boxes = [part.bounding_box() for part in parts]
        overflow = max(box["x"] + box["width"] for box in boxes if box) - 360
    page.set_viewport_size({"width": 1280, "height": 800})
    return violations, max(overflow, 0)


def declined_then_paid(page, base_url, javascript=True):
    place_order(page, base_url)
    assert audited(page, javascript) == ([], 0)
    expect(page.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_label("Expiry")).to_be_visible()
    expect(page.get_by_label("Security code")).to_be_visible()

    pay_by_card(page, "4000 0000 0000 0002")
    error = page.locator("#id_card_number_error")
    expect(error).to_contain_text("Your card was declined.")
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    assert audited(page, javascript) == ([], 0)

    pay_by_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    expect(page.get_by_text("We received your payment of 47.30 EUR.")).to_be_visible()
    story = page.locator(".order-story")
    expect(story).to_contain_text("Placed (47.30 EUR).")
    expect(story).to_contain_text("Payment declined: card ending 0002")
    expect(story).to_contain_text("Paid 47.30 EUR.")
    assert audited(page, javascript) == ([], 0)
    order = OrderSummary.objects.get()
    assert order.status == "paid" and order.captured == order.total


def test_pay_with_javascript(live_server, page, kenya, csp_violations):
    declined_then_paid(page, live_server.url)
    assert csp_violations == []


def test_pay_without_javascript(live_server, browser, kenya):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    declined_then_paid(page, live_server.url, javascript=False)
    context.close()


def test_a_malformed_card_keeps_the_form_on_a_phone(live_server, browser, kenya):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    place_order(page, live_server.url)
    pay_by_card(page, "1234 5678", expiry="13/99", code="1")
    expect(page.locator("#id_card_number_error")).to_contain_text("12 to 19 digits")
    expect(page.locator("#id_expiry_error")).to_contain_text("MM/YY")
    expect(page.locator("#id_security_code_error")).to_contain_text("3 or 4 digits")
    pay = page.get_by_role("button", name="Pay", exact=True)
    expect(pay).to_be_visible()
    box = page.get_by_label("Card number").bounding_box()
    assert box["x"] + box["width"] <= 360
    assert OrderSummary.objects.get().status == "placed"
    context.close()
