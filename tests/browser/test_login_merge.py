"""A guest with a cart logs in: the cart merges into the customer's, and they are told."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.factories import ProductFactory
from tests.support.browser import csp_violations_of

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-enough-passphrase-42"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_log_in_with_a_guest_cart_then_log_out(live_server, browser, javascript):
    ProductFactory(name="Kenya AA", stock=8)
    get_user_model().objects.create_user("ada", password=PASSWORD)
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    violations = csp_violations_of(page)
    page.goto(live_server.url + "/products/kenya-aa/")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Signed in as ada")).to_be_visible()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Cart (0)")).to_be_visible()

    page.goto(live_server.url + "/products/kenya-aa/")
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text(
        "We added the items from before you logged in: 1 × Kenya AA."
    )
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()
    assert violations == []
    context.close()
