"""Against a peer: the same cart commands through the `eventsourcing` library, same database."""

from __future__ import annotations

import statistics
import time
import uuid
from importlib import metadata

from benchmarks.harness import DB_NAME, ROUNDS, bench_context, record, snapshots_alone


def bench_peer_library() -> None:
    print("7. against the eventsourcing library (in process, one client)")
    try:
        from eventsourcing.application import Application
        from eventsourcing.domain import Aggregate, event
    except ImportError:
        record("7. peer library", "eventsourcing not installed", "—", "—", "—", "≥ 1.0×", None)
        return

    from django.conf import settings

    from carts import domain
    from carts.services import CART
    from catalog.models import Product
    from shop.eventstore import events_appended
    from shop.unitofwork import execute

    class Cart(Aggregate):
        @event("Created")
        def __init__(self):
            self.items = {}

        @event("ItemAdded")
        def add_item(self, product_id: str, quantity: int, price: str):
            self.items[product_id] = self.items.get(product_id, 0) + quantity

    class Carts(Application):
        def open(self) -> uuid.UUID:
            cart = Cart()
            self.save(cart)
            return cart.id

        def add(self, cart_id, product_id: str) -> None:
            cart = self.repository.get(cart_id)
            cart.add_item(product_id, 1, "9.99")
            self.save(cart)

    app = Carts(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": DB_NAME,
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": "5432",
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "unused",
            "CREATE_TABLE": "y",
        }
    )
    products = list(Product.objects.filter(slug__startswith="bench-product-")[:20])
    context = bench_context()
    operations = 300

    def ours(with_projections: bool) -> float:
        # Loads the whole 10-event stream each time, as the peer's Application does: no
        # recent states (its own aggregate cache is off by default too).
        with snapshots_alone(settings.SHOP_SNAPSHOT_EVERY):
            return timed_ours(with_projections)

    def timed_ours(with_projections: bool) -> float:
        carts = []
        for _ in range(operations // 10):
            cart_id = uuid.uuid4()
            for product in products[:9]:
                execute(CART, cart_id, add_command(product), context)
            carts.append(cart_id)
        receivers = events_appended.receivers
        if not with_projections:
            events_appended.receivers = []
            events_appended.sender_receivers_cache.clear()
        try:
            start = time.perf_counter()
            for n in range(operations):
                execute(CART, carts[n % len(carts)], add_command(products[10 + n % 10]), context)
            return operations / (time.perf_counter() - start)
        finally:
            events_appended.receivers = receivers
            events_appended.sender_receivers_cache.clear()

    def theirs() -> float:
        carts = []
        for _ in range(operations // 10):
            cart_id = app.open()
            for product in products[:9]:
                app.add(cart_id, str(product.id))
            carts.append(cart_id)
        start = time.perf_counter()
        for n in range(operations):
            app.add(carts[n % len(carts)], str(products[10 + n % 10].id))
        return operations / (time.perf_counter() - start)

    def add_command(product):
        return domain.AddItem(
            product_id=product.id, quantity=1, unit_price=product.unit_price, available=10**6
        )

    rounds = {"ours": [], "bare": [], "theirs": []}
    for _ in range(ROUNDS):
        rounds["ours"].append(ours(with_projections=True))
        rounds["bare"].append(ours(with_projections=False))
        rounds["theirs"].append(theirs())
    peer = statistics.median(rounds["theirs"])
    # The target compares the kernels (load, decide, append, commit), as the issue asks;
    # the second row shows what our two projection writes per command add on top.
    for key, label, target in (
        ("bare", "kernel only", True),
        ("ours", "with the cart projections (the peer projects nothing)", False),
    ):
        value = statistics.median(rounds[key])
        record(
            "7. peer library",
            f"commands/s on a 10-event aggregate, {label}",
            f"{value:.0f}",
            f"{peer:.0f} (eventsourcing {metadata.version('eventsourcing')})",
            f"{value / peer:.2f}×",
            "≥ 1.0×" if target else "(what projecting costs)",
            value / peer >= 1.0 if target else None,
        )
    app.close()
