"""A staff member in a real Chromium: log in, find a cart, read its timeline and insight."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from tests.factories import ProductFactory
from tests.journeys import checked_out_cart, staff_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "staff-password-1"


@pytest.fixture
def cart():
    kept = ProductFactory(name="Kenya AA")
    removed = ProductFactory(name="<script>alert(1)</script>", slug="hostile")
    cart_id, _ = checked_out_cart(kept, removed)
    return cart_id


def log_in(page, live_server):
    staff_user(password=PASSWORD)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=re.compile("Insight"))).to_be_visible()


def test_staff_read_a_carts_timeline_from_the_cart_page(live_server, page, cart, csp_violations):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/carts/cartsummary/{cart}/change/")
    page.get_by_role("link", name="Timeline").first.click()
    expect(page).to_have_url(re.compile(f"/admin/shop/event/stream/{cart}/$"))

    rows = page.locator("#timeline tr.timeline-entry")
    expect(rows).to_have_count(4)
    types = rows.locator(".timeline-event-type")
    expect(types).to_have_text(["ItemAdded", "ItemAdded", "ItemRemoved", "CartCheckedOut"])
    # Before checkout the cart held one line; the state after checkout says checked out.
    expect(rows.nth(2).locator(".timeline-state")).to_contain_text('"quantity": 2')
    expect(rows.nth(3).locator(".timeline-state")).to_contain_text('"checked_out": true')
    # The hostile product name is shown as text, not run.
    expect(page.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    assert dialogs == []
    assert csp_violations == []


def test_staff_see_the_insight_page_without_csp_violations(live_server, page, cart, csp_violations):
    log_in(page, live_server)
    page.get_by_role("link", name=re.compile("Insight")).click()
    expect(page.get_by_role("heading", name="Cart funnel")).to_be_visible()
    expect(page.locator("svg.insight-chart").first).to_be_visible()
    expect(page.get_by_text("<script>alert(1)</script>").first).to_be_attached()
    page.goto(live_server.url + "/admin/shop/event/?event_type=ItemRemoved")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto(live_server.url + "/admin/shop/event/")
    page.get_by_role("link", name="cart timeline").first.click()
    expect(page.locator("#timeline")).to_be_visible()
    product = Product.objects.get(name="Kenya AA")
    page.goto(f"{live_server.url}/admin/catalog/product/{product.id}/change/")
    page.get_by_role("link", name="Change price or stock").click()
    page.get_by_label("Price").fill("11.20")
    page.get_by_role("button", name="Send commands").click()
    expect(page.get_by_text("Kenya AA: price 11.20 EUR.")).to_be_visible()
    assert csp_violations == []
