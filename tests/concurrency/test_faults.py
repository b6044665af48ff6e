"""Faults: a connection killed mid-checkout, a worker killed mid-request, the database away."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection
from django.test import Client

from carts.models import CartSummary
from carts.services import CART
from orders.models import OrderSummary
from shop import eventstore
from shop.eventstore import events_appended
from shop.models import Event
from tests.factories import ProductFactory, add_to_cart, checkout_fields
from tests.integration.test_checkout import ADDRESS
from tests.support.proxy import TcpProxy
from tests.support.servers import ShopClient, ShopServer, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def admin_connection():
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        dbname=s["NAME"],
        autocommit=True,
    )


def test_connection_terminated_mid_checkout_then_the_same_form_places_one_order():
    product = ProductFactory(name="Fragile Teapot", stock=3)
    shopper = Client(raise_request_exception=False)
    add_to_cart(shopper, product, 1)
    form = {**ADDRESS, **checkout_fields(shopper, ADDRESS)}

    def kill_my_connection(sender, events, **kwargs):
        if any(e.event_type == "OrderPlaced" for e in events):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with admin_connection() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    events_appended.connect(kill_my_connection)
    try:
        broken = shopper.post("/checkout/", form)
    finally:
        events_appended.disconnect(kill_my_connection)
        connection.close()  # what Django does with an unusable connection at request end

    assert broken.status_code == 503
    assert b"try again" in broken.content
    assert not Event.objects.filter(
        event_type__in=["OrderPlaced", "CartCheckedOut", "StockReserved"]
    ).exists()

    retried = shopper.post("/checkout/", form)
    assert retried.status_code == 302
    again = shopper.post("/checkout/", form)  # a reload of the same POST
    assert again.status_code == 302 and again["Location"] == retried["Location"]
    assert OrderSummary.objects.count() == 1
    assert Event.objects.filter(event_type="OrderPlaced").count() == 1


def test_a_worker_killed_mid_request_loses_nothing_half_way(two_app_hosts):
    products = [ProductFactory(stock=100_000) for _ in range(2)]
    first, second = two_app_hosts
    shoppers = [ShopClient(first.url if n % 2 else second.url) for n in range(40)]
    for shopper in shoppers:
        assert shopper.csrf_token

    def shop(n):
        try:
            return (
                shoppers[n]
                .post("/cart/add/", {"product": str(products[n % 2].id), "quantity": 1}, htmx=True)
                .status
            )
        except OSError:
            return "connection lost"

    with ThreadPoolExecutor(40) as pool:
        futures = [pool.submit(shop, n) for n in range(40)]
        time.sleep(0.05)
        victim = first.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        answers = [f.result() for f in futures]

    assert 500 not in answers
    # Both hosts keep serving: the other worker, the other process, and a fresh worker.
    for server in (first, second):
        for _ in range(4):
            assert ShopClient(server.url).get("/healthz").status == 200
    # No partial command: every cart's projection is exactly its stream's replay.
    for summary in CartSummary.objects.all():
        state = CART.fold(CART.initial_state, [e.event for e in eventstore.load(summary.cart_id)])
        assert summary.item_count == state.item_count
    stored = Event.objects.filter(event_type="ItemAdded").count()
    assert stored >= answers.count(200)
    assert stored == sum(CartSummary.objects.values_list("item_count", flat=True))
    from tests.concurrency.test_across_processes import assert_no_drift

    assert_no_drift()
    print(f"worker killed: {answers.count(200)} answered, {stored} stored, rest cut off")


def test_database_away_at_start_and_mid_run_answers_503_and_recovers(transactional_db):
    ProductFactory(name="Resilient Mug")
    s = connection.settings_dict
    proxy = TcpProxy(("127.0.0.1", int(s["PORT"] or 5432)), free_port())
    url = f"postgres://{s['USER']}@127.0.0.1:{proxy.port}/{s['NAME']}"
    server = ShopServer(url, workers=1, threads=2, DB_POOL_TIMEOUT="2", DB_CONNECT_TIMEOUT="2")
    server.start_without_waiting()
    try:
        shopper = ShopClient(server.url, timeout=20)
        server.wait_until_listening()
        # Start-up with the database away: 503 pages, never a traceback.
        assert shopper.get("/healthz").status == 503
        home = shopper.get("/")
        assert home.status == 503 and "try again" in home.body
        assert "Traceback" not in home.body

        proxy.start()
        assert eventually(lambda: shopper.get("/").status == 200)
        assert "Resilient Mug" in shopper.get("/").body

        proxy.stop()  # mid-run
        assert eventually(lambda: shopper.get("/healthz").status == 503)
        assert shopper.get("/").status == 503

        proxy.start()
        assert eventually(lambda: shopper.get("/").status == 200)
        assert shopper.get("/healthz").status == 200
    finally:
        server.stop()
        proxy.stop()


def eventually(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False
