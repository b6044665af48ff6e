"""A customer downloads their data and deletes their account; staff erase a guest's data.

In Chromium, with axe-core on each new page (and on its refusals)."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from orders.models import OrderSummary
from shop.models import Event
from shop.registry import ERASED
from tests.browser.test_audit import Audit, fill_checkout, pay_by_card
from tests.factories import ProductFactory
from tests.journeys import staff_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def tea():
    return ProductFactory(name="Sencha Asahi", slug="sencha-asahi", price="11.00", stock=40)


def buy(page, url: str) -> None:
    page.goto(url + "/products/sencha-asahi/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (1)")).to_be_visible()
    page.goto(url + "/checkout/")
    fill_checkout(page)
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    pay_by_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()


def test_a_customer_downloads_their_data_then_deletes_their_account(live_server, page, tea):
    url = live_server.url
    audit = Audit(page)
    page.goto(url + "/accounts/signup/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    buy(page, url)

    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    audit.check("your data")
    expect(page.get_by_text("What we keep")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["profile"]["email"] == "ada@example.com"
    assert data["orders"][0]["full_name"] == "Ada Lovelace"
    assert any(e["event_type"] == "OrderPlaced" for e in data["events"])

    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".errorlist")).to_contain_text("That is not your password")
    expect(page.get_by_label("Your password")).to_have_attribute("aria-invalid", "true")
    audit.check("your data, a wrong password", refused=422)
    assert User.objects.filter(username="ada").exists()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert not audit.problems, "\n".join(audit.problems)
    assert not User.objects.filter(username="ada").exists()
    order = OrderSummary.objects.get()
    assert order.email == ERASED and order.full_name == ERASED and order.total > 0


def test_delete_my_account_works_without_javascript(live_server, browser, tea):
    User.objects.create_user("grace", "grace@example.com", PASSWORD)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/accounts/data/")
    page.get_by_role("button", name="Delete my account").click()  # no password
    expect(page.get_by_label("Your password")).to_be_visible()
    expect(page.locator(".errorlist")).to_contain_text("This field is required")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted")).to_be_visible()
    assert not User.objects.filter(username="grace").exists()
    context.close()


def test_staff_export_and_erase_a_guests_personal_data(live_server, page, tea):
    url = live_server.url
    buy(page, url)  # as a guest: ada@example.com
    page.context.clear_cookies()
    staff_user(
        "dpo",
        password=PASSWORD,
        permissions=[
            ("shop", "view_event"),
            ("shop", "erase_personal_data"),
            ("shop", "view_personal_data"),
        ],
    )
    audit = Audit(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill("dpo")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=re.compile("Personal data")).click()
    audit.check("personal data", phone=False)

    page.get_by_label("User name or email to export").fill("ada@example.com")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the export").click()
    export = json.loads(Path(download.value.path()).read_text())
    assert export["guest_orders"][0]["full_name"] == "Ada Lovelace"

    page.get_by_label(re.compile("guest's email")).fill("nobody@example.com")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator(".errorlist")).to_contain_text("No customer account and no guest order")
    audit.check("personal data, unknown", phone=False, refused=404)

    page.get_by_label(re.compile("guest's email")).fill("ada@example.com")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.get_by_text(re.compile("Erased: 0 customer account"))).to_be_visible()
    audit.check("personal data, erased", phone=False)
    page.get_by_role("button", name="Apply retention now").click()
    expect(page.get_by_text(re.compile("Retention applied: 0 guest order"))).to_be_visible()
    assert not audit.problems, "\n".join(audit.problems)
    assert OrderSummary.objects.get().email == ERASED
    assert Event.objects.filter(event_type="PersonalDataErased").count() == 1
