"""A guest orders, then signs up: the order is in "Your orders" (defect 5)."""

import pytest
from playwright.sync_api import expect

from orders.models import OrderSummary
from tests.browser.test_checkout import products, shop_and_check_out  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_guest_order_follows_the_shopper_into_their_new_account(
    live_server,
    page,
    products,  # noqa: F811
    csp_violations,
):
    order = shop_and_check_out(page, live_server.url)

    page.goto(live_server.url + "/orders/")
    expect(page.get_by_role("link", name=order.number)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Sign up").click()

    expect(page.get_by_text("at least 8 characters")).to_be_visible()  # before any failure
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-enough-passphrase-42")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    expect(page.get_by_text(f"Your order {order.number} is now in your account.")).to_be_visible()
    expect(page.get_by_role("link", name=order.number)).to_be_visible()
    order.refresh_from_db()
    assert order.customer.username == "ada"
    assert OrderSummary.objects.filter(customer__username="ada").count() == 1
    assert csp_violations == []
