"""Development on SQLite: two browser tabs (here, 20 clients) never see "database is locked".

Also the test server itself (``ShopServer``), on the same SQLite shop: however much it logs,
it keeps answering.
"""

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from catalog.services import product_id_for
from tests.support.servers import ShopClient, ShopServer, manage

pytestmark = pytest.mark.slow

CLIENTS = 20


@pytest.fixture(scope="module")
def sqlite_shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "shop.sqlite3"
    url = f"sqlite:///{path}"
    manage(url, "migrate", "--noinput")
    manage(url, "seed_demo")
    with ShopServer(url, workers=2, threads=8) as server:
        yield server, path


def test_twenty_concurrent_cart_requests_never_hit_a_locked_database(sqlite_shop):
    server, path = sqlite_shop
    product = str(product_id_for("house-espresso-blend"))
    shoppers = [ShopClient(server.url) for _ in range(CLIENTS)]
    for shopper in shoppers:
        assert shopper.csrf_token

    def shop(shopper):
        return shopper.post("/cart/add/", {"product": product, "quantity": 1}, htmx=True)

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(shop, shoppers))

    assert [a.status for a in answers] == [200] * CLIENTS, [a.body[:200] for a in answers]
    assert not any("locked" in a.body for a in answers)
    with sqlite3.connect(path) as db:
        (added,) = db.execute(
            "SELECT COUNT(*) FROM shop_event WHERE event_type = 'ItemAdded'"
        ).fetchone()
    assert added == CLIENTS


def test_a_server_that_logs_a_lot_keeps_answering(sqlite_shop):
    """Each 404 logs a warning to the server's stderr: far more than a pipe holds (64 KiB)."""
    server, _ = sqlite_shop
    shopper = ShopClient(server.url, timeout=5)
    missing = "/no-such-page/" + "x" * 500
    statuses = {shopper.get(missing).status for _ in range(400)}
    assert statuses == {404}
    assert shopper.get("/healthz").status == 200
    assert len(server.logged()) > 64 * 1024  # it did log more than a pipe holds
