"""In Chromium: the footer leads to the shop's pages, and a product page's schema.org data
passes the strict Content Security Policy without a complaint."""

import json

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    call_command("seed_demo", "--no-pictures", verbosity=0)


def test_the_footer_leads_to_shipping_and_returns(live_server, page, demo, csp_violations):
    page.goto(live_server.url)
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Shipping and returns").click()
    expect(page.get_by_role("heading", name="Shipping and returns", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Returns", exact=True)).to_be_visible()
    footer.get_by_role("link", name="Contact").click()
    expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
    assert csp_violations == []


def test_product_data_is_read_and_nothing_is_blocked(live_server, page, demo, csp_violations):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/products/kenya-aa/")
    expect(page.get_by_role("heading", name="Kenya AA")).to_be_visible()
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "Product" and data["offers"]["price"] == "16.20"
    assert page.locator('link[rel="canonical"]').get_attribute("href") == (
        f"{live_server.url}/products/kenya-aa/"
    )
    assert csp_violations == []
    assert [e for e in errors if "favicon" not in e] == []
