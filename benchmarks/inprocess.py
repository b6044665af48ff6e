"""Benchmarks in process: the kernel and the views called directly, on the bench database.

Timed commands run in a transaction that is rolled back (harness.timed_once), so the state
they measure never grows.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

from benchmarks.harness import (
    ROUNDS,
    bench_context,
    interleaved_medians,
    record,
    snapshots_alone,
)

# --- Streams of a given length --------------------------------------------------------------


def build_cart(length: int, product, snapshots_on: bool) -> uuid.UUID:
    """A cart whose stream holds ``length`` events (quantity toggling between 1 and 2)."""
    from django.db import transaction

    from carts import domain
    from carts.services import CART
    from shop import eventstore, snapshots

    cart_id = uuid.uuid4()
    events = [
        domain.ItemAdded(
            product_id=product.id, variant_id=product.id, quantity=1, unit_price=product.unit_price
        )
    ]
    for n in range(1, length):
        quantity, previous = (2, 1) if n % 2 else (1, 2)
        events.append(
            domain.ItemQuantityChanged(
                product_id=product.id, variant_id=product.id, quantity=quantity, previous=previous
            )
        )
    for start in range(0, length, 1000):
        with transaction.atomic():
            eventstore.append(
                stream_type="cart",
                stream_id=cart_id,
                events=events[start : start + 1000],
                expected_version=start,
            )
    if snapshots_on and length >= 100:
        at = length - length % 100
        state = CART.fold(CART.initial_state, events[:at])
        snapshots.write("cart", cart_id, state, at)
    return cart_id


def add_item_timer(cart_id, product):
    from carts import domain
    from carts.services import CART
    from shop.unitofwork import execute

    command = domain.AddItem(
        product_id=product.id, quantity=1, unit_price=product.unit_price, available=10**6
    )
    context = bench_context()
    return lambda: execute(CART, cart_id, command, context)


# --- 2. History length ---------------------------------------------------------------------


def bench_history_length(products) -> None:
    """A cart's history, in process. A product's is measured on the production path, through
    the checkout view (http_load.bench_checkout_history)."""
    print("2. history length (in process: load, decide, append, project; rolled back)")
    lengths = (10, 1_000, 10_000)
    for label, build, timer in (
        (
            "cart stream, add to cart",
            lambda n, snap: build_cart(n, products[0], snap),
            lambda stream: add_item_timer(stream, products[1]),
        ),
    ):
        for snapshots_on in (True, False):
            with snapshots_alone(100 if snapshots_on else 0):
                streams = {n: build(n, snapshots_on) for n in lengths}
                times = interleaved_medians(
                    {n: timer(stream) for n, stream in streams.items()},
                    rounds=100 if snapshots_on else 20,
                )
            ratio = times[10_000] / times[10]
            record(
                "2. history length",
                f"{label}, snapshots {'on' if snapshots_on else 'off'}: 10 / 1,000 / 10,000 events",
                " / ".join(f"{times[n] * 1000:.2f} ms" for n in lengths),
                f"{times[10] * 1000:.2f} ms (10 events)",
                f"{ratio:.2f}×",
                "≤ 1.2×" if snapshots_on else "(what snapshots buy)",
                ratio <= 1.2 if snapshots_on else None,
            )


# --- 3. Log size ----------------------------------------------------------------------------


SHOPPER_EVENTS = 8  # events each shopper of ``fill_shoppers`` leaves in the log


def fill_shoppers(total: int) -> int:
    """Top the event table up to about ``total`` rows with whole shopping journeys.

    Each shopper has a cart stream of six events (two ``ItemAdded``, a quantity change, a
    removal, a coupon, the checkout) and an order stream of two (placed with its lines,
    paid). Shoppers go 64 at a time, step by step, so streams interleave in the log as they
    do in a shop. Old and new event versions mix, as in a shop's log after an upgrade: odd
    shoppers' events are stored as before variants (``ItemAdded`` v1 and v2, the quantity
    change, the removal and ``OrderPlaced`` v1, all upcast on read), even shoppers' as today
    (their lines name a variant).
    """
    from django.db import connection

    from shop.models import Event

    have = Event.objects.count()
    shoppers = -(-(total - have) // SHOPPER_EVENTS)
    if shoppers <= 0:
        return have
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH shopper AS (
                SELECT i,
                    md5('shopper-cart' || %(salt)s || '-' || i)::uuid AS cart,
                    md5('shopper-order' || %(salt)s || '-' || i)::uuid AS order_id,
                    md5('product' || i %% 200)::uuid AS kept,
                    md5('product' || (i + 1) %% 200)::uuid AS removed,
                    i %% 2 = 0 AS new
                FROM generate_series(1, %(shoppers)s) AS i
            )
            INSERT INTO shop_event (stream_type, stream_id, version, event_type,
                schema_version, data, metadata, recorded_at)
            SELECT step.stream_type, step.stream_id, step.version, step.event_type,
                step.schema_version, step.data, '{"actor": "system:bench"}'::jsonb,
                now() - make_interval(secs => %(shoppers)s - s.i)
            FROM shopper AS s CROSS JOIN LATERAL (VALUES
                (1, 'cart', s.cart, 1, 'ItemAdded', CASE WHEN s.new THEN 3 ELSE 1 END,
                    CASE WHEN s.new THEN jsonb_build_object('product_id', s.kept,
                        'variant_id', s.kept, 'quantity', 2, 'unit_price', %(dear)s::jsonb)
                    ELSE jsonb_build_object(
                        'product_id', s.kept, 'quantity', 2, 'unit_price', '9.99') END),
                (2, 'cart', s.cart, 2, 'ItemAdded', CASE WHEN s.new THEN 3 ELSE 2 END,
                    jsonb_build_object('product_id', s.removed, 'quantity', 1,
                        'unit_price', %(cheap)s::jsonb) || CASE WHEN s.new
                        THEN jsonb_build_object('variant_id', s.removed) ELSE '{}' END),
                (3, 'cart', s.cart, 3, 'ItemQuantityChanged', CASE WHEN s.new THEN 2 ELSE 1 END,
                    jsonb_build_object('product_id', s.kept, 'quantity', 3, 'previous', 2)
                    || CASE WHEN s.new THEN jsonb_build_object('variant_id', s.kept)
                        ELSE '{}' END),
                (4, 'cart', s.cart, 4, 'ItemRemoved', CASE WHEN s.new THEN 2 ELSE 1 END,
                    jsonb_build_object('product_id', s.removed, 'quantity', 1,
                        'unit_price', %(cheap)s::jsonb) || CASE WHEN s.new
                        THEN jsonb_build_object('variant_id', s.removed) ELSE '{}' END),
                (5, 'cart', s.cart, 5, 'CouponApplied', 1, '{"code": "WELCOME10"}'::jsonb),
                (6, 'cart', s.cart, 6, 'CartCheckedOut', 1, jsonb_build_object(
                    'order_id', s.order_id)),
                (7, 'order', s.order_id, 1, 'OrderPlaced', CASE WHEN s.new THEN 2 ELSE 1 END,
                    jsonb_build_object(
                    'cart_id', s.cart,
                    'lines', jsonb_build_array(jsonb_build_object('product_id', s.kept,
                        'name', 'Bench Product', 'quantity', 3, 'unit_price', %(dear)s::jsonb)
                        || CASE WHEN s.new THEN jsonb_build_object('variant_id', s.kept,
                            'sku', 'BENCH-500G', 'variant_label', '500 g',
                            'weight_grams', 500) ELSE '{}' END),
                    'subtotal', %(subtotal)s::jsonb,
                    'discount', %(discount)s::jsonb,
                    'total', %(total)s::jsonb,
                    'currency', 'EUR', 'coupon_code', 'WELCOME10',
                    'customer', jsonb_build_object('email', 'bench@example.com',
                        'user_id', null, 'actor', 'guest:bench-' || s.i),
                    'address', jsonb_build_object('full_name', 'Bench Shopper',
                        'address', '1 Road', 'city', 'Town', 'postal_code', '1000',
                        'country', 'Portugal'),
                    'placed_at', '2026-01-01T00:00:00Z')),
                (8, 'order', s.order_id, 2, 'OrderPaid', 1,
                    '{"paid_at": "2026-01-01T01:00:00Z"}'::jsonb)
            ) AS step(n, stream_type, stream_id, version, event_type, schema_version, data)
            ORDER BY s.i / 64, step.n, s.i
            """,
            {
                "salt": have,
                "shoppers": shoppers,
                **{
                    name: json.dumps({"amount": amount, "currency": "EUR"})
                    for name, amount in (
                        ("cheap", "4.50"),
                        ("dear", "9.99"),
                        ("subtotal", "29.97"),
                        ("discount", "3.00"),
                        ("total", "26.97"),
                    )
                },
            },
        )
        cursor.execute("ANALYZE shop_event")
    return Event.objects.count()


def bench_log_size(products) -> None:
    print("3. log size (in process)")
    # Both carts are timed in turns once the table is large, the small-table figure first.
    small_rows = fill_shoppers(10_000)
    small_cart = build_cart(10, products[2], snapshots_on=True)
    small_time = interleaved_medians({"small": add_item_timer(small_cart, products[3])})["small"]
    large_rows = fill_shoppers(1_000_000)
    large_cart = build_cart(10, products[4], snapshots_on=True)
    large_time = interleaved_medians({"large": add_item_timer(large_cart, products[5])})["large"]
    small, large = (small_rows, small_time), (large_rows, large_time)
    ratio = large[1] / small[1]
    record(
        "3. log size",
        f"add to cart on a 10-event cart, {large[0]:,} vs {small[0]:,} events in the table",
        f"{large[1] * 1000:.2f} ms",
        f"{small[1] * 1000:.2f} ms",
        f"{ratio:.2f}×",
        "≤ 1.2×",
        ratio <= 1.2,
    )


# --- 5. Replay ------------------------------------------------------------------------------


REPLAY_EVENTS = 1_000_000


def bench_replay() -> None:
    """rebuild_projections against a plain ORM read of the same rows, same run.

    Over a log of a million events: what the benchmarks before left, topped up with
    ``fill_shoppers`` journeys (streams of several events, as a shop's are; in a full run
    the log-size benchmark has topped it up already). A first, untimed rebuild fills the
    projections, so every timed round replaces a full set of rows, as a real rebuild does.
    """
    from django.db.models import Count

    from shop import projections
    from shop.models import Event

    print("5. replay")
    events = fill_shoppers(REPLAY_EVENTS)
    streams = Event.objects.aggregate(n=Count("stream_id", distinct=True))["n"]
    projections.rebuild(projections.registered())
    plain, rebuild = [], []
    for _ in range(ROUNDS):  # alternate, so drift hits both alike
        start = time.perf_counter()
        for _row in Event.objects.order_by("position").iterator(chunk_size=2000):
            pass
        plain.append(events / (time.perf_counter() - start))
        start = time.perf_counter()
        projections.rebuild(projections.registered())
        rebuild.append(events / (time.perf_counter() - start))
    ours, base = statistics.median(rebuild), statistics.median(plain)
    print(
        "  rounds, events/s: rebuild "
        + ", ".join(f"{r:,.0f}" for r in rebuild)
        + "; plain read "
        + ", ".join(f"{r:,.0f}" for r in plain)
    )
    record(
        "5. replay",
        f"rebuild_projections, events/s over {events:,} events in {streams:,} streams (the "
        f"log topped up by fill_shoppers: journeys of {SHOPPER_EVENTS} events over a cart "
        "and an order stream, half of them in the shapes stored before variants, upcast on "
        "read)",
        f"{ours:,.0f}",
        f"{base:,.0f} (plain ORM SELECT)",
        f"{ours / base:.2f}×",
        "≥ 0.5×",
        ours / base >= 0.5,
    )


# --- 6. Checkout under contention -----------------------------------------------------------


def bench_checkout_contention(products) -> None:
    """50 shoppers check out the same popular product at once (threads, one connection each)."""
    import threading

    from django.db import connections

    from carts import domain as cart_domain
    from carts.services import CART
    from orders import domain as order_domain
    from orders.services import CHECKOUT_REFUSALS, order_checkout
    from shop.unitofwork import execute

    print("6. checkout under contention (in process, 50 threads)")
    popular = products[-1]
    shoppers = 50
    rounds = []
    for _ in range(ROUNDS):
        carts = []
        for _ in range(shoppers):
            cart_id = uuid.uuid4()
            command = cart_domain.AddItem(
                product_id=popular.id, quantity=1, unit_price=popular.unit_price, available=10**6
            )
            execute(CART, cart_id, command, bench_context())
            carts.append(cart_id)
        results, failures = [], []
        barrier = threading.Barrier(shoppers)

        def shop(cart_id, barrier=barrier, results=results, failures=failures):
            try:
                barrier.wait()
                results.append(
                    order_checkout(
                        cart_id=cart_id,
                        command_id=uuid.uuid4(),
                        customer=order_domain.Customer(
                            email="bench@example.com", user_id=None, actor="system:bench"
                        ),
                        address=order_domain.Address(
                            full_name="Bench",
                            address="1 Road",
                            city="Town",
                            postal_code="1000",
                            country="Portugal",
                        ),
                        context=bench_context(),
                    )
                )
            except CHECKOUT_REFUSALS as error:
                failures.append(type(error).__name__)
            except Exception as error:  # counted, and reported as a failure
                failures.append(f"ERROR {type(error).__name__}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=shop, args=(c,)) for c in carts]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        retries = sum(r.attempts - 1 for r in results)
        rounds.append((len(results) / elapsed, retries, len(results), failures))
    throughput = statistics.median(r[0] for r in rounds)
    retries = statistics.median(r[1] for r in rounds)
    placed = [r[2] for r in rounds]
    errors = [f for r in rounds for f in r[3]]
    record(
        "6. checkout contention",
        "50 simultaneous checkouts of one product: orders/s, version-conflict retries",
        f"{throughput:.0f} orders/s, {retries:.0f} retries",
        f"orders placed per round: {placed}",
        "—",
        "no error" + (f" (saw: {sorted(set(errors))})" if errors else ""),
        not errors and all(p == shoppers for p in placed),
    )


# --- 8. Page weight -------------------------------------------------------------------------


def bench_page_weight(products) -> None:
    from django.test import Client

    print("8. page weight (in process, test client)")
    client = Client()
    for product in products[:10]:
        client.post("/cart/add/", {"product": str(product.id), "quantity": 1})

    def timed(call):
        samples, size = [], 0
        for _ in range(50):
            start = time.perf_counter()
            response = call()
            samples.append(time.perf_counter() - start)
            size = len(response.content)
            assert response.status_code == 200, response.status_code
        return statistics.median(samples), size

    page_time, page_bytes = timed(lambda: client.get("/cart/"))
    add_time, add_bytes = timed(
        lambda: client.post(
            "/cart/add/",
            {"product": str(products[20].id), "quantity": 1},
            headers={"HX-Request": "true"},
        )
    )
    ratio = add_bytes / page_bytes
    record(
        "8. page weight",
        "htmx add-to-cart answer vs the full cart page (10 lines): bytes",
        f"{add_bytes:,} B",
        f"{page_bytes:,} B",
        f"{ratio:.2f}×",
        "≤ 0.15×",
        ratio <= 0.15,
    )
    record(
        "8. page weight",
        "server time, same two responses",
        f"{add_time * 1000:.2f} ms",
        f"{page_time * 1000:.2f} ms",
        f"{add_time / page_time:.2f}×",
        "—",
        None,
    )
