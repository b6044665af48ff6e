"""Staff build a product from an empty catalog through the admin alone; a shopper buys it.

A real Chromium: the staff member logs in, adds a category and a product, changes its price,
delists and relists it, reads its timeline; then a shopper finds the product and buys it.
"""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Product
from orders.models import OrderSummary
from shop.models import Event
from tests.journeys import staff_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "catalog-password-1"
CATALOG_STAFF = [
    ("shop", "view_event"),
    ("catalog", "view_category"),
    ("catalog", "add_category"),
    ("catalog", "view_product"),
    ("catalog", "add_product"),
    ("catalog", "change_product"),
]


def log_in(page, base_url):
    staff_user("catalog", password=PASSWORD, permissions=CATALOG_STAFF)
    page.goto(base_url + "/admin/")
    page.get_by_label("Username").fill("catalog")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def save(page):
    page.get_by_role("button", name="Save", exact=True).click()


def test_staff_build_a_product_and_a_shopper_buys_it(live_server, page, browser, csp_violations):
    assert not Product.objects.exists()
    base = live_server.url
    log_in(page, base)

    # A category: plain staff data.
    page.get_by_role("link", name="Categories").click()
    page.get_by_role("link", name="Add category").click()
    page.get_by_label("Name").press_sequentially("Coffee")
    expect(page.get_by_label("Slug")).to_have_value("coffee")  # prepopulated from the name
    save(page)
    expect(page.get_by_text("was added successfully")).to_be_visible()

    # The product, added through its commands.
    page.goto(base + "/admin/catalog/product/")
    page.get_by_role("link", name="Add product").click()
    page.get_by_label("Name").press_sequentially("Brazil Cerrado")
    expect(page.get_by_label("Slug")).to_have_value("brazil-cerrado")
    page.get_by_label("Category").select_option(label="Coffee")
    page.get_by_label("Description").fill("Chocolate and nuts, low acidity.")
    page.get_by_label("Price").fill("-4")  # refused: a form error, nothing stored
    page.get_by_label("Stock").fill("12")
    save(page)
    expect(page.get_by_text("A price must be positive.")).to_be_visible()
    assert not Event.objects.exists()
    page.get_by_label("Price").fill("10.80")
    save(page)
    expect(page.get_by_text("was added successfully")).to_be_visible()
    page.locator("#result_list").get_by_role("link", name="Brazil Cerrado").click()

    # Change the price; delist and relist.
    page.get_by_label("Price").fill("11.20")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_label("Price")).to_have_value("11.20")
    page.get_by_label("Listed").uncheck()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_label("Listed")).not_to_be_checked()
    page.get_by_label("Listed").check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_label("Listed")).to_be_checked()

    # The timeline: who did what, in order.
    page.get_by_role("link", name="Timeline").first.click()
    rows = page.locator("#timeline tr.timeline-entry")
    expect(rows.locator(".timeline-event-type")).to_have_text(
        [
            "ProductListed",
            "StockAdjusted",
            "ProductPriceChanged",
            "ProductDelisted",
            "ProductRelisted",
        ]
    )
    user_id = Event.objects.first().metadata["actor"]
    expect(rows.first).to_contain_text(f"by {user_id}")
    assert user_id.startswith("staff:")

    # A shopper, in a browser of their own, finds it and buys it.
    shopper = browser.new_context()
    shop = shopper.new_page()
    shop.goto(base)
    card = shop.get_by_role("listitem").filter(has_text="Brazil Cerrado")
    expect(card).to_contain_text("11.20")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add to cart").click()
    expect(shop.get_by_role("link", name="Cart (2)")).to_be_visible()
    shop.get_by_role("link", name="Cart (2)").click()
    shop.get_by_role("link", name="Checkout").click()
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada Lovelace"),
        ("Address", "12 St James's Square"),
        ("City", "London"),
        ("Postal code", "SW1Y 4JH"),
        ("Country", "United Kingdom"),
    ]:
        shop.get_by_label(label).fill(value)
    shop.get_by_role("button", name="Place order").click()
    expect(shop.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    expect(shop.get_by_text("22.40 EUR").first).to_be_visible()
    expect(shop.get_by_text("22.40 EUR").first).to_be_visible()
    shopper.close()
    assert OrderSummary.objects.count() == 1
    assert Product.objects.get(slug="brazil-cerrado").stock == 10
    assert csp_violations == []
