"""Benchmarks over HTTP: the shop under gunicorn, loaded with wrk (Lua scripts in lua/)."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.harness import (
    BENCH_SIZES,
    ROUNDS,
    SECONDS,
    bench_context,
    record,
    shop_server,
)

LUA = Path(__file__).resolve().parent / "lua"


def wrk(url: str, script: str, connections: int, seconds: int = SECONDS, *args: str) -> dict:
    """wrk's summary of ``seconds`` of ``lua/<script>`` against ``url``, with req/s added."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script, url, "--", *args],
        cwd=LUA,  # the scripts load report.lua from here
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("JSON "))
    result = json.loads(line[5:])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- 1. Add to cart -------------------------------------------------------------------------


def chosen(product) -> dict[str, str]:
    """The add form's fields for a product: its id and, when it comes in sizes, the first
    size after the default (so every add names a variant, as a shopper's choice does)."""
    return {"product": str(product.id), "option-1": BENCH_SIZES[0]}


def sessions_for(server, path: str, products, count: int) -> list[tuple[str, str]]:
    """``count`` shoppers, each with a session cookie and CSRF token and one item added."""
    from tests.support.servers import ShopClient

    sessions = []
    for n in range(count):
        client = ShopClient(server.url)
        answer = client.post(path, {**chosen(products[n]), "quantity": 1}, htmx=True)
        assert answer.status == 200, answer.body[:300]
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        sessions.append((cookie, client.csrf_token))
    return sessions


def add_to_cart(url: str, sessions, products, connections: int, seconds: int = SECONDS) -> dict:
    """wrk running lua/add_to_cart.lua against ``url`` as ``sessions``, over ``products``."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as shoppers:
        shoppers.writelines(f"session\t{cookie}\t{token}\n" for cookie, token in sessions)
        shoppers.writelines(f"product\t{urlencode(chosen(product))}\n" for product in products)
        shoppers.flush()
        return wrk(url, "add_to_cart.lua", connections, seconds, shoppers.name)


def bench_add_to_cart(products) -> None:
    print("1. add to cart vs a CRUD cart (gunicorn, wrk)")
    bench_add_to_cart_on(products, (("distinct carts", 64, 8), ("same cart", 1, 4)))
    # What the opt-in early lock release (shop/postgres/base.py) buys: the same cart with it.
    bench_add_to_cart_on(products, (("same cart", 1, 4),), DB_RELEASE_LOCKS_EARLY="on")


def bench_add_to_cart_on(products, modes, **env) -> None:
    paths = {"es": "/cart/add/", "crud": "/bench/crud/add/"}
    with shop_server(**env) as server:

        def shoppers(carts: int) -> dict[str, list]:
            """Fresh carts for each round: every round fills empty carts, so no round runs
            into the 99-per-line limit however long BENCH_SECONDS makes it."""
            return {
                kind: sessions_for(server, path, products, carts) for kind, path in paths.items()
            }

        def load(kind: str, sessions, connections: int, seconds: int = SECONDS) -> dict:
            return add_to_cart(server.url + paths[kind], sessions, products, connections, seconds)

        for mode, carts, connections in modes:
            warm = shoppers(carts)
            for kind in paths:  # warm the workers and the database up first
                load(kind, warm[kind], connections, seconds=2)
            runs = {"es": [], "crud": []}
            for _ in range(ROUNDS):
                fresh = shoppers(carts)
                for kind in paths:  # alternate, so drift hits both alike
                    runs[kind].append(load(kind, fresh[kind], connections))
            es = statistics.median(r["rps"] for r in runs["es"])
            crud = statistics.median(r["rps"] for r in runs["crud"])
            failures = {kind: sum(r["non2xx"] + r["errors"] for r in runs[kind]) for kind in paths}
            ok = not any(failures.values())
            record(
                "1. add to cart",
                f"req/s, {mode}, htmx + CSRF, {connections} connections"
                + "".join(f", {key}={value}" for key, value in env.items())
                + "".join(f" ({n} non-2xx: {kind})" for kind, n in failures.items() if n),
                f"{es:.0f}",
                f"{crud:.0f}",
                f"{es / crud:.2f}×",
                "(what early lock release buys)" if env else "≥ 0.8×",
                (None if ok else False) if env else es / crud >= 0.8 and ok,
            )


# --- 2. History length, on the production path: checkout of a popular product ---------------

CHECKOUT_FORM = {
    "email": "bench@example.com",
    "full_name": "Bench Shopper",
    "address": "1 Load Street",
    "city": "Benchton",
    "postal_code": "12345",
    "country": "Benchland",
}
RESERVATIONS = 3_000


def reserve_through_checkouts_path(product_id, count: int) -> None:
    """``count`` reservations on the product's stream, written the way checkout writes them
    (``ReserveStock`` decided in a unit of work, which snapshots the stream as it grows),
    a hundred to a unit so that building it takes seconds, not minutes."""
    from catalog import domain
    from catalog.services import PRODUCT
    from shop.unitofwork import run

    def reserve(batch: int):
        def work(uow):
            product = uow.load(PRODUCT, product_id)
            for _ in range(batch):
                uow.decide(product, domain.ReserveStock(quantity=1, order_id=uuid.uuid4()))

        return work

    for start in range(0, count, 100):
        run(reserve(min(100, count - start)), context=bench_context())


def checkout_once(server, product) -> float:
    """A new shopper puts ``product`` in a cart, opens /checkout/, and places the order:
    the seconds the order's POST took (the checkout view, end to end)."""
    from tests.support.servers import ShopClient

    shopper = ShopClient(server.url)
    added = shopper.post("/cart/add/", {"product": str(product.id), "quantity": 1}, htmx=True)
    assert added.status == 200, added.body[:300]
    page = shopper.get("/checkout/")
    assert page.status == 200, page.body[:300]
    form = {
        **CHECKOUT_FORM,
        "command_id": shopper.hidden(page.body, "command_id"),
        "expected_total": shopper.hidden(page.body, "expected_total"),
    }
    start = time.perf_counter()
    placed = shopper.post("/checkout/", form)
    seconds = time.perf_counter() - start
    assert placed.status == 302, placed.body[:300]
    return seconds


def bench_checkout_history(products) -> None:
    """Checkout through the real view (gunicorn) of a product whose stream holds 3,000
    reservations, beside a fresh product: what a popular product's history costs."""
    print("2. history length (checkout through the view, gunicorn)")
    popular, fresh = products[-2], products[-3]
    reserve_through_checkouts_path(popular.id, RESERVATIONS)
    samples = {"popular": [], "fresh": []}
    with shop_server() as server:
        for _ in range(5):  # warm every worker up on both products
            checkout_once(server, popular)
            checkout_once(server, fresh)
        for _ in range(ROUNDS * 20):  # taking turns, so drift hits both alike
            samples["popular"].append(checkout_once(server, popular))
            samples["fresh"].append(checkout_once(server, fresh))
    hot, cold = (statistics.median(samples[k]) for k in ("popular", "fresh"))
    record(
        "2. history length",
        f"checkout through the view (gunicorn): a product with {RESERVATIONS:,} reservations "
        "in its stream vs a fresh one, median of "
        f"{len(samples['popular'])} each",
        f"{hot * 1000:.1f} ms",
        f"{cold * 1000:.1f} ms",
        f"{hot / cold:.2f}×",
        "≤ 1.2×",
        hot / cold <= 1.2,
    )


# --- 4. Catalog -----------------------------------------------------------------------------


def bench_catalog() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print("4. catalog with 50,000 products, 3 to 12 variants each")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (id, slug, name, description, category_id, price,
                currency, stock, is_listed, version, last_position)
            SELECT md5('product' || i::text)::uuid, 'catalog-item-' || i,
                'Catalog item ' || i || (ARRAY[' coffee', ' tea', ' mug', ' grinder'])[i % 4 + 1],
                'A product for the catalog benchmark.',
                (ARRAY['coffee', 'tea', 'mugs', 'brewing'])[i % 4 + 1],
                (i % 5000) / 100.0 + 1, 'EUR', i % 50, true, 2, 0
            FROM generate_series(1, 50000) AS i
            """
        )
        # 3 to 12 variants each (375,000 rows), the first the default one (the product's id
        # and price), the others dearer; a Size group for each product.
        cursor.execute(
            """
            INSERT INTO catalog_productvariant (id, product_id, sku, price, currency, stock,
                weight_grams, options, label, position)
            SELECT CASE WHEN v = 1 THEN md5('product' || i::text)::uuid
                    ELSE md5('variant' || i::text || '-' || v::text)::uuid END,
                md5('product' || i::text)::uuid, 'CI-' || i || '-' || v,
                (i % 5000) / 100.0 + 1 + (v - 1) * 2, 'EUR', i % 50, 250 * v,
                jsonb_build_array(v || ' x 250 g'), v || ' x 250 g', i * 100 + v
            FROM generate_series(1, 50000) AS i,
                LATERAL generate_series(1, 3 + i % 10) AS v
            """
        )
        cursor.execute(
            """
            INSERT INTO catalog_productoptiongroup (product_id, position, name, "values")
            SELECT md5('product' || i::text)::uuid, 0, 'Size',
                (SELECT jsonb_agg(v || ' x 250 g') FROM generate_series(1, 3 + i % 10) AS v)
            FROM generate_series(1, 50000) AS i
            """
        )
        cursor.execute("ANALYZE catalog_product")
        cursor.execute("ANALYZE catalog_productvariant")
        cursor.execute("ANALYZE catalog_productoptiongroup")
    client = Client()
    counts = {}
    for label, query in (
        ("home, page 1", {}),
        ("home, page 2,000", {"page": 2000}),
        ("search 'tea', page 1", {"q": "tea"}),
        # A typo nothing matches whose closest names exist in this catalog ('tee' has none
        # here: its page skipped the pictures' query and looked cheaper than the others).
        ("search 'grindr' (nothing matches: closest names), page 1", {"q": "grindr"}),
        ("category, page 50", {"category": "mugs", "page": 50}),
    ):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/", query).status_code == 200
        counts[label] = len(captured)
    with shop_server() as server:
        # (label, path, target p95 in ms or None). Every name holds 'Catalog item', so the
        # selective search's 'item' matches the whole catalog and only '4242' narrows it.
        for label, path, target in (
            ("home page", "/", None),
            ("search 'tea'", "/?q=tea", None),  # a quarter of the catalog matches
            ("search 'item 4242'", "/?q=item+4242", 50),  # one product (whole words)
        ):
            runs = [wrk(server.url + path, "get.lua", 4) for _ in range(ROUNDS)]
            p95 = statistics.median(r["p95"] for r in runs) / 1000
            p50 = statistics.median(r["p50"] for r in runs) / 1000
            rps = statistics.median(r["rps"] for r in runs)
            record(
                "4. catalog",
                f"{label}, 50,000 products (3 to 12 variants each): p95 (p50, req/s)",
                f"{p95:.1f} ms",
                f"p50 {p50:.1f} ms, {rps:.0f} req/s",
                "—",
                f"p95 ≤ {target} ms" if target else "—",
                p95 <= target if target else None,
            )
    record(
        "4. catalog",
        "SQL queries per page: " + ", ".join(counts),
        " / ".join(str(c) for c in counts.values()),
        "—",
        "—",
        "constant",
        len(set(counts.values())) == 1,
    )
