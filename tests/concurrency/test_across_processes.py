"""Many shoppers through two app processes on one PostgreSQL: nothing lost, nothing doubled."""

from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.core.management import call_command

from carts.models import CartLine, CartSummary
from carts.services import CART
from catalog.models import Product
from orders.models import OrderSummary
from shop import eventstore
from shop.models import Event
from shop.unitofwork import load_state
from tests.factories import ProductFactory
from tests.support.servers import ShopClient

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ADDRESS = {
    "email": "racer@example.com",
    "full_name": "Ada Racer",
    "address": "1 Loop Road",
    "city": "Lisbon",
    "postal_code": "1000-001",
    "country": "Portugal",
}


def test_forty_clients_adding_and_removing_on_one_cart_through_two_processes(two_app_hosts):
    products = [ProductFactory(stock=10_000) for _ in range(3)]
    owner = ShopClient(two_app_hosts[0].url)
    opened = owner.post("/cart/add/", {"product": str(products[0].id), "quantity": 1}, htmx=True)
    assert opened.status == 200

    def one_client(n: int):
        tab = owner.tab(base_url=two_app_hosts[n % 2].url)  # the same shopper, another tab
        product = str(products[n % 3].id)
        if n % 4 == 3:
            return "remove", tab.post("/cart/remove/", {"product": product}, htmx=True)
        return "add", tab.post("/cart/add/", {"product": product, "quantity": 1}, htmx=True)

    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(one_client, range(40)))

    statuses = [answer.status for _, answer in answers]
    assert all(status in (200, 409) for status in statuses), statuses
    for _, answer in answers:
        if answer.status == 409:  # a clear message: lost every retry, or nothing to remove
            assert "try again" in answer.body or "not in your cart" in answer.body
    added_ok = 1 + sum(1 for kind, a in answers if kind == "add" and a.status == 200)
    removed_ok = sum(1 for kind, a in answers if kind == "remove" and a.status == 200)

    summary = CartSummary.objects.get()
    events = Event.objects.filter(stream_id=summary.cart_id)
    assert events.filter(event_type="ItemAdded").count() == added_ok
    assert events.filter(event_type="ItemRemoved").count() == removed_ok
    state = load_state(CART, summary.cart_id).state
    replayed = CART.fold(CART.initial_state, [e.event for e in eventstore.load(summary.cart_id)])
    assert state == replayed
    assert summary.item_count == state.item_count
    assert {line.product_id: line.quantity for line in state.lines} == {
        line.product_id: line.quantity for line in CartLine.objects.filter(cart=summary)
    }
    assert_no_drift()
    print(
        f"40 clients: {added_ok - 1} adds and {removed_ok} removes stored, "
        f"{statuses.count(409)} answered 409"
    )


def test_hundred_checkouts_of_ten_units_through_two_processes(two_app_hosts):
    product = ProductFactory(name="Last Ten", stock=10)
    shoppers = []
    for n in range(100):
        shopper = ShopClient(two_app_hosts[n % 2].url)
        added = shopper.post("/cart/add/", {"product": str(product.id), "quantity": 1})
        assert added.status == 302
        page = shopper.get("/checkout/")
        assert page.status == 200
        hidden = {k: shopper.hidden(page.body, k) for k in ("command_id", "expected_total")}
        step = shopper.post("/checkout/", {**ADDRESS, **hidden, "step": "shipping"})
        assert step.status == 200  # the shipping methods for the address
        form = {
            **ADDRESS,
            "command_id": shopper.hidden(step.body, "command_id"),
            "expected_total": shopper.hidden(step.body, "expected_total"),
            "shipping_method": shopper.checked(step.body, "shipping_method"),
        }
        shoppers.append((shopper, form))

    def check_out(n: int):
        shopper, form = shoppers[n]
        # Every other shopper posts to the other app host than the one that showed the form.
        return shopper.post("/checkout/", form, base_url=two_app_hosts[(n // 2) % 2].url)

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(check_out, range(100)))

    statuses = [answer.status for answer in answers]
    assert 500 not in statuses and all(s < 500 for s in statuses), statuses
    placed = [a for a in answers if a.status == 302 and "/orders/" in a.headers["Location"]]
    assert len(placed) == 10
    assert all(a.status == 409 for a in answers if a not in placed)
    assert all("left" in a.body or "try again" in a.body for a in answers if a not in placed)
    assert OrderSummary.objects.count() == 10
    assert Product.objects.get(id=product.id).stock == 0
    on_hand = [e.event.on_hand for e in eventstore.load(product.id) if hasattr(e.event, "on_hand")]
    assert min(on_hand) == 0 and all(n >= 0 for n in on_hand)
    assert_no_drift()
    print(f"100 checkouts: {len(placed)} orders, {statuses.count(409)} refused, stock 0")


def assert_no_drift() -> None:
    """``manage.py rebuild_projections --check``: exit 1 (CommandError) on any drift."""
    out = StringIO()
    call_command("rebuild_projections", "--check", stdout=out, stderr=StringIO())
    assert "DRIFT" not in out.getvalue()
