"""11. A whole purchase through the real views (gunicorn): add, checkout, pay.

Each shopper is a Python HTTP client (tests.support.servers.ShopClient, its own cookies)
that walks the whole purchase: the home page (its CSRF cookie), add to cart, the checkout
page, place the order, the payment page, pay with the test gateway's 4242 card. Several
shoppers at once for ``BENCH_SECONDS``; requests per second and the p95 of a request and of
a whole purchase, beside the CRUD baseline's add to cart (wrk) measured on the same server
in the same round. Then 50 shoppers at once buy the last 10 units of a product: exactly 10
orders must be paid and exactly 10 payments captured at the gateway.
"""

from __future__ import annotations

import statistics
import threading
import time

from benchmarks.harness import ROUNDS, SECONDS, bench_context, record, shop_server
from benchmarks.http_load import CHECKOUT_FORM, add_to_cart, sessions_for

SHOPPERS = 8
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/40", "security_code": "123"}
STEPS = 7  # requests in one purchase


def purchase(server, product, timings: list[float] | None = None) -> str:
    """One shopper's whole purchase; returns how it ended (``paid`` or the refusal)."""
    from tests.support.servers import ShopClient

    shopper = ShopClient(server.url)

    def timed(call, *args, **kwargs):
        start = time.perf_counter()
        answer = call(*args, **kwargs)
        if timings is not None:
            timings.append(time.perf_counter() - start)
        return answer

    timed(shopper.get, "/")
    added = timed(shopper.post, "/cart/add/", {"product": str(product.id), "quantity": 1})
    assert added.status in (200, 302), added.body[:300]
    page = timed(shopper.get, "/checkout/")
    assert page.status == 200, page.body[:300]
    hidden = {name: shopper.hidden(page.body, name) for name in ("command_id", "expected_total")}
    # The address, then the shipping methods come back; the first one offered is chosen.
    step = timed(shopper.post, "/checkout/", {**CHECKOUT_FORM, **hidden, "step": "shipping"})
    if step.status != 200:
        return f"shipping step {step.status}"
    placed = timed(
        shopper.post,
        "/checkout/",
        {
            **CHECKOUT_FORM,
            "command_id": shopper.hidden(step.body, "command_id"),
            "expected_total": shopper.hidden(step.body, "expected_total"),
            "shipping_method": shopper.checked(step.body, "shipping_method"),
        },
    )
    if placed.status != 302:
        return f"checkout {placed.status}"
    location = placed.headers["Location"]
    assert location.endswith("/pay/"), location
    pay_page = timed(shopper.get, location)
    assert pay_page.status == 200, pay_page.body[:300]
    paid = timed(
        shopper.post, location, {**CARD, "payment_id": shopper.hidden(pay_page.body, "payment_id")}
    )
    return "paid" if paid.status == 302 else f"pay {paid.status}"


def shoppers_for(server, product, seconds: float) -> dict:
    """``SHOPPERS`` threads buying for ``seconds``: requests, purchases, their latencies."""
    requests: list[float] = []
    purchases: list[float] = []
    outcomes: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def shop():
        while time.perf_counter() < deadline:
            timings: list[float] = []
            start = time.perf_counter()
            try:
                outcome = purchase(server, product, timings)
            except Exception as error:  # counted, and the row says so
                outcome = f"error {type(error).__name__}"
            took = time.perf_counter() - start
            with lock:
                requests.extend(timings)
                purchases.append(took)
                outcomes.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=shop) for _ in range(SHOPPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "rps": len(requests) / elapsed,
        "purchases": len(purchases) / elapsed,
        "p95": statistics.quantiles(requests, n=20)[-1],
        "purchase_p95": statistics.quantiles(purchases, n=20)[-1],
        "failed": [o for o in outcomes if o != "paid"],
    }


def bench_purchase(products) -> None:
    print("11. a whole purchase through the views (gunicorn): add, checkout, pay")
    product = products[-4]
    with shop_server() as server:
        crud_sessions = lambda: sessions_for(server, "/bench/crud/add/", products, 64)  # noqa: E731
        shoppers_for(server, product, 2)  # warm the workers up
        add_to_cart(server.url + "/bench/crud/add/", crud_sessions(), products, SHOPPERS, 2)
        ours, crud = [], []
        for _ in range(ROUNDS):  # alternate, so drift hits both alike
            ours.append(shoppers_for(server, product, SECONDS))
            crud.append(
                add_to_cart(server.url + "/bench/crud/add/", crud_sessions(), products, SHOPPERS)
            )
    rps = statistics.median(r["rps"] for r in ours)
    crud_rps = statistics.median(r["rps"] for r in crud)
    crud_p95 = statistics.median(r["p95"] for r in crud) / 1000
    failed = [f for r in ours for f in r["failed"]]
    record(
        "11. purchase",
        f"a whole purchase through the views ({STEPS} requests: home, add, checkout page, "
        f"shipping step, place order, payment page, pay), {SHOPPERS} shoppers: req/s"
        + (f" (failed: {sorted(set(failed))})" if failed else ""),
        f"{rps:.0f} req/s ({statistics.median(r['purchases'] for r in ours):.1f} purchases/s)",
        f"{crud_rps:.0f} req/s (CRUD add to cart, {SHOPPERS} connections)",
        f"{rps / crud_rps:.2f}×",
        "—",
        None if not failed else False,
    )
    record(
        "11. purchase",
        "same run: p95 of a request (of a whole purchase)",
        f"{statistics.median(r['p95'] for r in ours) * 1000:.1f} ms "
        f"({statistics.median(r['purchase_p95'] for r in ours) * 1000:.0f} ms)",
        f"{crud_p95:.1f} ms (CRUD add to cart)",
        "—",
        "—",
        None,
    )


def bench_last_units(products) -> None:
    """50 shoppers at once buy the last 10 units: 10 orders paid, 10 payments captured."""
    from catalog.models import Product
    from catalog.services import product_list, shop_money
    from orders.models import OrderSummary
    from payments.models import GatewayOperation, Payment

    print("11. 50 simultaneous purchases of the last 10 units")
    rounds = []
    with shop_server() as server:
        for round_ in range(ROUNDS):
            product_id = product_list(
                name=f"Last Ten {round_}",
                slug=f"last-ten-{round_}-{int(time.time())}",
                category="coffee",
                description="The last units.",
                price=shop_money("12.00"),
                stock=10,
                context=bench_context(),
            )
            product = Product.objects.get(id=product_id)
            outcomes: list[str] = []
            barrier = threading.Barrier(50)

            def shop(product=product, outcomes=outcomes, barrier=barrier):
                barrier.wait()
                try:
                    outcomes.append(purchase(server, product))
                except Exception as error:
                    outcomes.append(f"error {type(error).__name__}: {error}")

            threads = [threading.Thread(target=shop) for _ in range(50)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            orders = OrderSummary.objects.filter(lines__product_id=product.id)
            paid = orders.filter(status="paid").count()
            authorizations = Payment.objects.filter(order_id__in=orders.values("order_id"))
            charged = GatewayOperation.objects.filter(
                kind="capture",
                approved=True,
                parent__in=authorizations.values("authorization"),
            ).count()
            stock = Product.objects.get(id=product.id).stock
            errors = sorted({o for o in outcomes if o.startswith("error")})
            rounds.append((outcomes.count("paid"), paid, charged, stock, errors))
    ok = all(r[:4] == (10, 10, 10, 0) and not r[4] for r in rounds)
    record(
        "11. purchase",
        "50 simultaneous purchases (add, checkout, pay) of the last 10 units: "
        "paid answers / orders paid / payments captured / stock left, per round",
        " ; ".join(f"{a} / {p} / {c} / {s}" for a, p, c, s, _ in rounds),
        "10 / 10 / 10 / 0",
        "—",
        "exactly 10 sold and charged" + (f" (saw {rounds[0][4]})" if rounds[0][4] else ""),
        ok,
    )
