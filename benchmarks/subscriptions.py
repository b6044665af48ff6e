"""Subscriptions: how fast a subscriber catches up, and how far behind it runs under load."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import DB_URL, ROOT, ROUNDS, SETTINGS, record, shop_server
from benchmarks.http_load import add_to_cart, sessions_for
from benchmarks.inprocess import REPLAY_EVENTS, fill_shoppers

CATCH_UP_BATCH = 2000


def bench_catch_up() -> None:
    """A subscriber that follows every event reads the whole log from position 0, against a
    plain ORM read of the same rows (the replay benchmark's baseline), rounds alternating."""
    from shop.highwater import HighWaterMark
    from shop.models import Event
    from subscriptions import core
    from subscriptions.models import Checkpoint

    print("9. subscription catch-up")
    events = fill_shoppers(REPLAY_EVENTS)
    mark = HighWaterMark()
    mark.poll()
    up_to = mark.poll()
    subscriber = core.register(core.Subscriber(name="bench-catch-up", handle=lambda e: None))
    plain, ours = [], []
    try:
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for _row in Event.objects.order_by("position").iterator(chunk_size=CATCH_UP_BATCH):
                pass
            plain.append(events / (time.perf_counter() - start))
            Checkpoint.objects.update_or_create(name=subscriber.name, defaults={"position": 0})
            start = time.perf_counter()
            while core.run_batch(subscriber, up_to=up_to, size=CATCH_UP_BATCH) < up_to:
                pass
            ours.append(events / (time.perf_counter() - start))
    finally:
        core.unregister(subscriber.name)
        Checkpoint.objects.filter(name=subscriber.name).delete()
    print(
        "  rounds, events/s: subscriber "
        + ", ".join(f"{r:,.0f}" for r in ours)
        + "; plain read "
        + ", ".join(f"{r:,.0f}" for r in plain)
    )
    ours_median, base = statistics.median(ours), statistics.median(plain)
    record(
        "9. subscriptions",
        f"catch-up, events/s over {events:,} events: a subscriber of every event from "
        f"position 0 ({CATCH_UP_BATCH:,} per transaction: read, decode, checkpoint)",
        f"{ours_median:,.0f}",
        f"{base:,.0f} (plain ORM SELECT)",
        f"{ours_median / base:.2f}×",
        "—",
        None,
    )


class LagWorker:
    """``manage.py run_subscriptions`` on the benchmark database, with the lag subscriber."""

    def __init__(self, lag_file: Path) -> None:
        from tests.support.servers import server_env

        self.lag_file = lag_file
        env = server_env(DB_URL, DJANGO_SETTINGS_MODULE=SETTINGS, BENCH_LAG_FILE=str(lag_file))
        env["PYTHONUNBUFFERED"] = "1"
        self.log = lag_file.with_suffix(".log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "run_subscriptions"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while "run_subscriptions: started" not in self.log.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the worker did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> list[float]:
        self.process.terminate()
        self.process.wait(30)
        return [float(line) for line in self.lag_file.read_text().split()]


def bench_lag_under_load(products) -> None:
    """Add to cart (distinct carts, 8 connections) with a worker running and without, rounds
    alternating; with it, how long after its append the worker's subscriber saw each item."""
    from shop.models import Event
    from subscriptions import core
    from subscriptions.models import Checkpoint

    print("9. subscriber lag under add-to-cart load")
    carts, connections = 64, 8
    path = "/cart/add/"
    rates = {"with": [], "without": []}
    lags: list[float] = []
    seen = 0
    with shop_server() as server, tempfile.TemporaryDirectory() as tmp:
        url = server.url + path
        add_to_cart(url, sessions_for(server, path, products, carts), products, connections, 2)
        for n in range(ROUNDS):
            rates["without"].append(
                add_to_cart(url, sessions_for(server, path, products, carts), products, 8)["rps"]
            )
            sessions = sessions_for(server, path, products, carts)
            head = Event.objects.order_by("-position").values_list("position", flat=True)[0]
            # Every subscriber starts at the head: the order emails of the journeys earlier
            # benchmarks wrote are not this benchmark's work.
            for name in ["bench-lag", *(sub.name for sub in core.subscribers())]:
                Checkpoint.objects.update_or_create(name=name, defaults={"position": head})
            worker = LagWorker(Path(tmp) / f"lag-{n}.txt")
            try:
                rates["with"].append(add_to_cart(url, sessions, products, connections)["rps"])
                time.sleep(1.0)  # the last items of the run reach the subscriber
            finally:
                round_lags = worker.stop()
            added = Event.objects.filter(position__gt=head, event_type="ItemAdded").count()
            seen += len(round_lags)
            lags.extend(round_lags)
            print(f"  round {n + 1}: {len(round_lags):,} of {added:,} items seen")
    with_worker, without = statistics.median(rates["with"]), statistics.median(rates["without"])
    lags.sort()
    p50, p95, p99 = (lags[int(q * (len(lags) - 1))] for q in (0.5, 0.95, 0.99))
    record(
        "9. subscriptions",
        f"lag from append to a subscriber, add to cart at {with_worker:.0f} req/s "
        f"({seen:,} items): p95 (p50, p99)",
        f"{p95 * 1000:.0f} ms",
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms",
        "—",
        "p95 ≤ 1 s",
        p95 <= 1.0,
    )
    record(
        "9. subscriptions",
        f"add to cart, req/s, distinct carts, {connections} connections: with a worker vs none",
        f"{with_worker:.0f}",
        f"{without:.0f}",
        f"{with_worker / without:.2f}×",
        "≥ 0.9×",
        with_worker / without >= 0.9,
    )
