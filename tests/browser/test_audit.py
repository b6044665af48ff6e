"""Every page we wrote, audited in Chromium: axe-core finds no violation, no shopper page
scrolls sideways on a phone (360 and 390 px), and no page logs a console error under the
strict CSP. No full-page screenshots here: they leave style attributes the CSP reports."""

import re
import uuid
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files import File
from playwright.sync_api import expect

from carts.models import Coupon
from catalog import demo
from catalog.models import ProductImage
from tests.factories import CategoryFactory, ProductFactory
from tests.journeys import checked_out_cart, staff_user

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = (360, 390)
PASSWORD = "a-long-pass-phrase-42"
AXE = Axe()


@pytest.fixture
def catalog():
    coffee = CategoryFactory(slug="coffee", name="Coffee")
    tea = CategoryFactory(slug="tea", name="Tea")
    made = [
        ProductFactory(name="Kenya AA", price="16.20", stock=8, category=coffee),
        ProductFactory(name="Brazil Cerrado", price="10.80", stock=80, category=coffee),
        ProductFactory(name="Guatemala Antigua", price="13.40", stock=3, category=coffee),
        ProductFactory(name="Colombia Huila", price="12.90", stock=0, category=coffee),
        ProductFactory(name="Sumatra Mandheling", price="13.90", stock=20, category=coffee),
        ProductFactory(name="Assam Breakfast", price="6.40", stock=60, category=tea),
    ]
    for product in made[:-1]:  # one product keeps the drawn placeholder
        drawing = demo.PICTURES / f"{product.slug}.webp"
        with drawing.open("rb") as file:
            ProductImage.objects.create(product=product, image=File(file, name=drawing.name))
    Coupon.objects.create(code="WELCOME10", kind=Coupon.Kind.PERCENT, value=Decimal(10))
    return made


class Audit:
    """Loads pages in one tab and records what is wrong with each."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.problems: list[str] = []
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.console.append(str(error)))

    def check(
        self, name: str, *, phone: bool = True, fits: str | None = None, refused: int = 0
    ) -> None:
        """``refused``: the status of a refusal this step provoked on purpose; Chromium
        logs every 4xx answer as a failed load, and that one is expected."""
        self.page.wait_for_load_state("load")
        expected = f"the server responded with a status of {refused} "
        self.console[:] = [m for m in self.console if not (refused and expected in m)]
        results = AXE.run(self.page)
        for violation in results.response["violations"]:
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.problems.append(f"{name}: axe {violation['id']} ({violation['help']}) {targets}")
        if self.console:
            self.problems.append(f"{name}: console errors {self.console}")
            self.console.clear()
        if phone:
            for width in PHONES:
                self.page.set_viewport_size({"width": width, "height": 800})
                scroll = self.page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    self.problems.append(f"{name}: {scroll} px wide at {width} px")
        if fits:
            overflow = self.page.evaluate(
                "s => { const e = document.querySelector(s); "
                "return e.scrollWidth - e.clientWidth }",
                fits,
            )
            if overflow > 0:
                self.problems.append(f"{name}: {fits} scrolls sideways by {overflow} px")

    def visit(self, url: str, name: str, **kwargs) -> None:
        self.page.goto(url)
        self.check(name, **kwargs)


def fill_checkout(page):
    for label, value in [
        ("Email", "ada@example.com"),
        ("Full name", "Ada Lovelace"),
        ("Address", "12 St James's Square"),
        ("City", "London"),
        ("Postal code", "SW1Y 4JH"),
    ]:
        page.get_by_label(label).fill(value)
    page.get_by_label("Country").select_option(label="Germany")


def pay_by_card(page, number, expiry="12/40", code="123"):
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry").fill(expiry)
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Pay", exact=True).click()


def test_every_shopper_page_passes_the_audit(live_server, page, catalog):
    url = live_server.url
    page.set_viewport_size({"width": 360, "height": 800})
    audit = Audit(page)
    audit.visit(url + "/", "home")
    audit.visit(url + "/?category=coffee", "category")
    audit.visit(url + "/?q=kenya", "search")
    audit.visit(url + "/?q=nothing-matches-this", "search without results")
    audit.visit(url + "/?category=no-such-category", "an unknown category", refused=404)
    expect(page.locator("#filter-error")).to_have_text("There is no such category.")
    audit.visit(url + "/products/colombia-huila/", "out-of-stock product")
    audit.visit(url + "/accounts/signup/", "sign up")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Signed in as ada")).to_be_visible()
    audit.visit(url + "/orders/", "orders, none yet")

    audit.visit(url + "/products/kenya-aa/", "product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()
    audit.check("product, after adding")
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator(".field-error")).to_contain_text("Quantity must be")
    audit.check("product, a refused quantity", refused=422)
    audit.visit(url + "/products/guatemala-antigua/", "product, few left")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (3)")).to_be_visible()

    audit.visit(url + "/cart/", "cart")
    remove = page.get_by_role("button", name="Remove").first
    box = remove.bounding_box()
    assert box["x"] + box["width"] <= 360, "the Remove button is off-screen at 360 px"
    page.get_by_label("Coupon code").fill("NOPE")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.locator("#coupon-error")).to_contain_text("There is no coupon")
    audit.check("cart, a refused coupon", refused=404)
    page.get_by_label("Coupon code").fill("WELCOME10")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_role("button", name="Remove coupon")).to_be_visible()
    audit.check("cart with a coupon")
    page.get_by_label("Ship to").select_option(label="Germany")
    page.get_by_role("button", name="Estimate shipping").click()
    expect(page.locator("#cart-shipping")).to_be_visible()
    audit.check("cart with a shipping estimate")

    audit.visit(url + "/checkout/", "checkout")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.locator(".field-error").first).to_be_visible()
    audit.check("checkout with errors", refused=422)
    fill_checkout(page)
    # the total shown is not the cart's any more (as after a price change): refused, the form
    # still there with the message at its top, and fresh hidden fields that then place it
    page.evaluate("document.querySelector('[name=expected_total]').value = '1.00'")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#checkout-error")).to_contain_text("the total is now")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    audit.check("checkout, a stale form", refused=409)
    # The country was known (the cart's estimate): the refused pages offered its methods.
    page.get_by_role("button", name="Update shipping options").click()
    expect(page.get_by_role("group", name="Shipping method")).to_be_visible()
    audit.check("checkout: shipping method")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay for your order"))).to_be_visible()
    audit.check("payment")
    pay_by_card(page, "4000 0000 0000 0127")
    expect(page.locator("#id_security_code_error")).to_contain_text("security code")
    audit.check("payment, a declined card", refused=402)
    pay_by_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    audit.check("confirmation")
    audit.visit(url + "/orders/", "orders")
    audit.visit(url + "/cart/", "empty cart")
    page.get_by_role("button", name="Log out").click()
    audit.visit(url + "/accounts/login/", "log in")
    page.get_by_role("button", name="Log in").click()
    audit.check("log in with errors", refused=0)
    assert not audit.problems, "\n".join(audit.problems)


def test_every_staff_page_we_wrote_passes_the_audit(live_server, page, catalog):
    cart, _ = checked_out_cart(catalog[0], catalog[1])
    staff_user(password=PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    audit = Audit(page)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    audit.visit(live_server.url + "/admin/shop/event/", "event list", phone=False, fits=".results")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the event list is {width} px wide"
    id_cell = page.locator(".stream-id").first
    assert id_cell.get_attribute("title") == id_cell.text_content()  # whole, for hover and copy
    audit.visit(f"{live_server.url}/admin/shop/event/stream/{cart}/", "timeline", phone=False)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cart of a guest")
    audit.visit(
        f"{live_server.url}/admin/shop/event/stream/{catalog[0].id}/",
        "product timeline",
        phone=False,
    )
    audit.visit(live_server.url + "/admin/shop/event/insight/", "insight", phone=False)
    assert not audit.problems, "\n".join(audit.problems)


def test_a_refusal_without_javascript_keeps_the_form(live_server, browser, catalog):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/?category=coffee")
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    card.get_by_label("Quantity").fill("9")
    card.get_by_role("button", name="Add to cart").click()
    # the category page again, the message beside the quantity, the form still there
    expect(page.get_by_role("heading", name="Coffee", level=1)).to_be_visible()
    card = page.get_by_role("listitem").filter(has_text="Kenya AA")
    expect(card.locator(".field-error")).to_have_text("Only 8 available.")
    card.get_by_label("Quantity").fill("2")
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("link", name="Cart (2)")).to_be_visible()
    expect(page.get_by_role("link", name="View cart")).to_be_visible()
    page.get_by_role("link", name="View cart").click()
    page.get_by_label("Coupon code").fill("nope")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.locator("#coupon-error")).to_have_text("There is no coupon with the code 'nope'.")
    page.get_by_label("Coupon code").fill("welcome10")
    page.get_by_role("button", name="Apply coupon").click()
    expect(page.get_by_text("Coupon WELCOME10 applied.")).to_be_visible()
    expect(page.get_by_label("Coupon code")).to_have_count(0)
    context.close()


def test_undo_puts_the_line_back_in_its_place(live_server, page, catalog):
    url = live_server.url
    for product in catalog[:3]:
        page.goto(f"{url}{product.get_absolute_url()}")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("status")).to_contain_text(product.name)
    page.goto(url + "/cart/")
    names = page.locator("table.cart th[scope=row] a")
    expect(names).to_have_text([p.name for p in catalog[:3]])
    page.get_by_role("button", name="Remove").nth(1).click()
    expect(names).to_have_count(2)
    page.get_by_role("button", name="Undo").click()
    expect(names).to_have_text([p.name for p in catalog[:3]])
    assert uuid.UUID(str(catalog[1].id))


def test_the_refund_and_return_pages_pass_the_audit(live_server, page, catalog):
    from django.contrib.auth.models import User

    from carts.services import cart_add_item
    from orders.domain import Address, Customer
    from orders.services import order_checkout, order_mark_shipped
    from tests.factories import SYSTEM
    from tests.payments import pay

    cart_id = uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=catalog[0], quantity=2, context=SYSTEM)
    order_id = order_checkout(
        cart_id=cart_id,
        command_id=uuid.uuid4(),
        customer=Customer(email="ada@example.com"),
        address=Address(
            full_name="Ada", address="1 Road", city="Town", postal_code="1", country="X"
        ),
        context=SYSTEM,
    ).order_id
    assert pay(order_id).paid
    order_mark_shipped(order_id=order_id, context=SYSTEM)
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    audit = Audit(page)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    base = f"{live_server.url}/admin/orders/ordersummary/{order_id}"
    page.goto(f"{base}/change/")  # Django's own page (its inline's headers are Django's)
    page.get_by_role("link", name="Refund").click()
    audit.check("refund", phone=False)
    page.get_by_label("Amount").fill("999")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("is left to refund")).to_be_visible()
    audit.check("refund, too much", phone=False, refused=422)
    page.get_by_label("Amount").fill("5.00")
    page.get_by_role("button", name="Refund").click()
    expect(page.get_by_text("refunded 5.00 EUR")).to_be_visible()
    page.get_by_role("link", name="Receive a return").click()
    audit.check("return", phone=False)
    page.get_by_role("spinbutton").first.fill("1")
    page.get_by_role("button", name="Record the return").click()
    expect(page.get_by_text("received back and returned to stock")).to_be_visible()
    assert not audit.problems, "\n".join(audit.problems)
