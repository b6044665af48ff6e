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
    shopper.close()
    assert OrderSummary.objects.count() == 1
    assert Product.objects.get(slug="brazil-cerrado").stock == 10
    assert csp_violations == []


def test_staff_build_a_product_with_two_option_groups(live_server, page, browser, csp_violations):
    """From an empty database, through the admin alone: a category, a product, its Size and
    Grind, a second variant; refusals are form errors; then a shopper buys that variant."""
    assert not Product.objects.exists()
    base = live_server.url
    log_in(page, base)
    page.goto(base + "/admin/catalog/category/add/")
    page.get_by_label("Name").press_sequentially("Coffee")
    save(page)
    page.goto(base + "/admin/catalog/product/add/")
    page.get_by_label("Name").press_sequentially("Brazil Cerrado")
    page.get_by_label("Category").select_option(label="Coffee")
    page.get_by_label("Price").fill("9.80")
    page.get_by_label("Stock").fill("12")
    page.get_by_label("SKU").fill("BC-250-WB")
    page.get_by_label("Weight (g)").fill("250")
    save(page)
    expect(page.get_by_text("was added successfully")).to_be_visible()
    page.locator("#result_list").get_by_role("link", name="Brazil Cerrado").click()
    page.get_by_role("link", name="Change options and variants").click()
    expect(
        page.get_by_role("heading", name="Options and variants of Brazil Cerrado")
    ).to_be_visible()

    # Two option groups in one save: the default variant takes each group's first value.
    first, second = page.locator("#group-1"), page.locator("#group-2")
    first.get_by_label("Option").fill("Size")
    first.get_by_label("Values").fill("250 g, 500 g, 1 kg")
    second.get_by_label("Option").fill("Grind")
    second.get_by_label("Values").fill("Whole bean, Whole bean")  # refused: a value twice
    page.get_by_role("button", name="Save options and variants").click()
    expect(second).to_contain_text("Grind has a value twice.")
    assert not Event.objects.filter(event_type="OptionGroupAdded").exists()
    second.get_by_label("Values").fill("Whole bean, Espresso, Filter")
    page.get_by_role("button", name="Save options and variants").click()
    expect(page.get_by_text("Brazil Cerrado: saved")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Variant BC-250-WB (250 g, Whole bean)")
    ).to_be_visible()

    # A second variant: a duplicate SKU is refused beside the field, then it is added.
    new = page.locator("#new-variant")
    new.get_by_label("SKU").fill("bc-250-wb")
    new.get_by_label("Price").fill("17.80")
    new.get_by_label("Stock").fill("5")
    new.get_by_label("Weight (g)").fill("500")
    new.get_by_label("Size").select_option("500 g")
    new.get_by_label("Grind").select_option("Filter")
    page.get_by_role("button", name="Save options and variants").click()
    expect(new).to_contain_text("Another variant of this product has the SKU bc-250-wb.")
    new.get_by_label("SKU").fill("BC-500-FI")
    page.get_by_role("button", name="Save options and variants").click()
    expect(page.get_by_role("heading", name="Variant BC-500-FI (500 g, Filter)")).to_be_visible()
    # A save that changes nothing records nothing.
    before = Event.objects.count()
    page.get_by_role("button", name="Save options and variants").click()
    expect(page.get_by_text("Nothing changed, so nothing was recorded.")).to_be_visible()
    assert Event.objects.count() == before
    assert csp_violations == []

    # A shopper chooses 500 g, Filter and buys it.
    shopper = browser.new_context()
    shop = shopper.new_page()
    shop.goto(base + "/products/brazil-cerrado/")
    shop.get_by_label("Size").select_option("500 g")
    shop.get_by_label("Grind").select_option("Filter")
    expect(shop.locator(".variant-facts .price")).to_have_text("17.80 EUR")
    shop.get_by_role("button", name="Add to cart").click()
    expect(shop.get_by_role("link", name="Cart (1)")).to_be_visible()
    shop.get_by_role("link", name="Cart (1)").click()
    expect(shop.get_by_role("link", name="Brazil Cerrado, 500 g, Filter")).to_be_visible()
    shopper.close()
