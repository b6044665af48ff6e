"""A shopper searches from the header in Chromium: the teas first, then the Tea Bowl."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_searching_tea_lists_every_tea_before_the_tea_bowl(live_server, page, csp_violations):
    call_command("seed_demo", "--no-pictures", verbosity=0)
    page.goto(live_server.url)
    page.get_by_role("searchbox", name="Search").fill("tea")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Results for “tea”")).to_be_visible()
    names = page.locator(".product-card h2").all_text_contents()
    assert len(names) == 8
    assert names[-1] == "Tea Bowl"
    for tea in (
        "Assam Breakfast",
        "Darjeeling First Flush",
        "Oolong Tieguanyin",
        "Rooibos Vanilla",
    ):
        assert tea in names
    assert csp_violations == []
