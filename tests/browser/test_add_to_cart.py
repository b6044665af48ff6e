"""A shopper in a real Chromium: browse, add to cart, see the cart."""

import pytest
from playwright.sync_api import expect

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def products():
    return [ProductFactory(name="Kenya AA", stock=8), ProductFactory(name="Assam Breakfast")]


def test_add_to_cart_with_htmx_updates_the_badge_without_a_reload(
    live_server, page, products, csp_violations
):
    page.goto(live_server.url)
    expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add to cart").click()

    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Added 2 × Kenya AA to your cart.")
    assert page.evaluate("window.stillTheSamePage") is True  # no navigation happened

    page.get_by_role("link", name="Cart (2)").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Kenya AA")
    expect(row).to_contain_text("2")
    expect(page.get_by_text("Subtotal")).to_be_visible()
    assert csp_violations == []


def test_a_refusal_is_shown_without_a_reload(live_server, page, products, csp_violations):
    page.goto(live_server.url)
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("9")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Only 8 available")
    expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()
    assert csp_violations == []


def test_add_to_cart_without_javascript(live_server, browser, products):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/products/assam-breakfast/")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status")).to_contain_text("Added 3 × Assam Breakfast")
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()
    page.get_by_role("link", name="Cart (3)").click()
    expect(page.get_by_role("row").filter(has_text="Assam Breakfast")).to_contain_text("3")
    context.close()
