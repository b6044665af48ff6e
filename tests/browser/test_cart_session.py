"""A whole cart session in a real Chromium, with JavaScript on and with it off."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from carts.models import Coupon
from tests.factories import ProductFactory
from tests.support.browser import csp_violations_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    Coupon.objects.create(code="WELCOME10", kind=Coupon.Kind.PERCENT, value=Decimal(10))
    return [
        ProductFactory(name="Kenya AA", price="16.00", stock=8),
        ProductFactory(name="Assam Breakfast", price="9.00", stock=20),
    ]


def add(page, live_server, slug, quantity):
    page.goto(f"{live_server.url}/products/{slug}/")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added")


def walk_the_cart(page, live_server, *, javascript: bool):
    add(page, live_server, "kenya-aa", 1)
    add(page, live_server, "assam-breakfast", 2)
    page.get_by_role("link", name="Cart (3)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    if javascript:
        page.evaluate("window.stillTheSamePage = true")
    total = page.locator("#cart-total")
    expect(total).to_have_text("34.00 EUR")

    # Change a quantity, using the keyboard only.
    quantity = page.get_by_label("Quantity for Kenya AA")
    quantity.fill("3")
    quantity.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Kenya AA: quantity is now 3.")
    expect(page.get_by_role("link", name="Cart (5)")).to_be_visible()
    expect(page.get_by_label("Quantity for Kenya AA")).to_have_value("3")
    if javascript:  # the swapped line keeps the keyboard user's place
        expect(page.get_by_label("Quantity for Kenya AA")).to_be_focused()
    expect(total).to_have_text("66.00 EUR")

    # Remove a line, then undo and remove it again.
    assam = page.get_by_role("row").filter(has_text="Assam Breakfast")
    assam.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("status")).to_contain_text("Removed Assam Breakfast from your cart.")
    expect(page.get_by_role("row").filter(has_text="Assam Breakfast")).to_have_count(0)
    expect(total).to_have_text("48.00 EUR")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("Put 2 × Assam Breakfast back")
    expect(page.get_by_label("Quantity for Assam Breakfast")).to_have_value("2")
    expect(page.locator("#cart-total")).to_have_text("66.00 EUR")
    page.get_by_role("row").filter(has_text="Assam Breakfast").get_by_role(
        "button", name="Remove"
    ).click()
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()

    # Apply and remove a coupon.
    page.get_by_label("Coupon code").fill("welcome10")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_role("status")).to_contain_text("Coupon WELCOME10 applied.")
    expect(page.locator("#cart-discount")).to_have_text("−4.80 EUR")
    expect(page.locator("#cart-total")).to_have_text("43.20 EUR")
    page.get_by_role("button", name="Remove coupon").click()
    expect(page.get_by_role("status")).to_contain_text("Coupon WELCOME10 removed.")
    expect(page.locator("#cart-total")).to_have_text("48.00 EUR")
    expect(page.get_by_role("button", name="Remove coupon")).to_have_count(0)

    # A refusal shows a message and changes nothing.
    page.get_by_label("Coupon code").fill("NOPE")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_role("status")).to_contain_text("There is no coupon with the code 'NOPE'")
    if javascript:
        expect(page.locator("#cart-total")).to_have_text("48.00 EUR")
        assert page.evaluate("window.stillTheSamePage") is True  # never reloaded


def test_a_cart_session_with_javascript(live_server, page, shop, csp_violations):
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    walk_the_cart(page, live_server, javascript=True)
    assert csp_violations == []
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []  # htmx errors


def test_a_cart_session_without_javascript(live_server, browser, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    violations = csp_violations_of(page)
    walk_the_cart(page, live_server, javascript=False)
    assert violations == []
    context.close()
