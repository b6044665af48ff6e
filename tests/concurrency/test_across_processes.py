"""Many shoppers through two app processes on one PostgreSQL: nothing lost, nothing doubled."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from carts.models import CartLine, CartSummary
from carts.services import CART
from shop.aggregates import load_state
from shop.models import Event
from tests.factories import ProductFactory
from tests.support.servers import ShopClient

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 40


def test_forty_clients_on_one_cart_through_two_processes(two_app_hosts):
    products = [ProductFactory(stock=10_000) for _ in range(3)]
    owner = ShopClient(two_app_hosts[0].url)
    opened = owner.post("/cart/add/", {"product": str(products[0].id), "quantity": 1}, htmx=True)
    assert opened.status == 200

    def one_client(n: int):
        tab = owner.tab(base_url=two_app_hosts[n % 2].url)
        return tab.post(
            "/cart/add/", {"product": str(products[n % 3].id), "quantity": 1}, htmx=True
        )

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(one_client, range(CLIENTS)))

    statuses = [a.status for a in answers]
    assert all(s == 200 or s == 409 for s in statuses), statuses
    for answer in answers:
        if answer.status == 409:
            assert "please try again" in answer.body
    succeeded = 1 + statuses.count(200)

    summary = CartSummary.objects.get()
    added = Event.objects.filter(stream_id=summary.cart_id, event_type="ItemAdded").count()
    assert added == succeeded
    state = load_state(CART, summary.cart_id).state
    assert state.item_count == succeeded == summary.item_count
    print(f"{CLIENTS} clients: {statuses.count(200)} added, {statuses.count(409)} asked to retry")
    assert {line.product_id: line.quantity for line in state.lines} == {
        line.product_id: line.quantity for line in CartLine.objects.filter(cart=summary)
    }
