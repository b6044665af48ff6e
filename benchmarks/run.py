"""`make bench`: what event sourcing costs here, each figure beside its baseline.

Runs against PostgreSQL (a throwaway database, `shop_bench`, or the name in `BENCH_DB`) under
the benchmark settings (benchmarks/settings.py: the shop plus a CRUD baseline app), serves
the shop with gunicorn, loads it with wrk, and measures in-process paths with the kernel
itself. Every figure is the median of several rounds; ratios are taken within one run
because the machine is shared. A full run writes benchmarks/results.md and the README's
table; `run.py replay log` runs only those parts and prints their rows.

The parts: harness.py (configuration, database, rounds, medians), http_load.py (gunicorn and
wrk, with the Lua scripts in lua/), inprocess.py (the kernel and views called directly),
peer.py (the `eventsourcing` library), subscriptions.py (a subscriber's catch-up and lag),
purchase.py (a whole purchase through the views, and the last units bought at once),
report.py (the table). A new row is a function in one of them and a line in BENCHMARKS below.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this folder is first on the path; the repository must be instead, so that
# `benchmarks.*`, the apps and `tests.support` import (and nothing here shadows a module).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks import (  # noqa: E402
    harness,
    http_load,
    inprocess,
    peer,
    privacy,
    purchase,
    report,
    subscriptions,
)

# What `run.py NAME ...` runs, in the order of a full run (and of the table).
BENCHMARKS = {
    "add": http_load.bench_add_to_cart,
    "weight": inprocess.bench_page_weight,
    "history": inprocess.bench_history_length,
    "checkout-history": http_load.bench_checkout_history,
    "peer": lambda products: peer.bench_peer_library(),
    "checkout": inprocess.bench_checkout_contention,
    "log": inprocess.bench_log_size,
    "replay": lambda products: inprocess.bench_replay(),  # after log: it needs a small table
    "purchase": purchase.bench_purchase,
    "last-units": purchase.bench_last_units,
    "catalog": lambda products: http_load.bench_catalog(),
    "lag": subscriptions.bench_lag_under_load,
    "catchup": lambda products: subscriptions.bench_catch_up(),  # a log of a million events
    "privacy-checkout": privacy.bench_checkout_encryption,
    # Last: it seals the personal data of the million-event log, which stays sealed.
    "privacy-replay": lambda products: privacy.bench_replay_encryption(),
}


def main(names: list[str]) -> None:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; known: {', '.join(BENCHMARKS)}")
    started = datetime.now(UTC)
    clock = time.perf_counter()
    harness.ensure_postgres()
    harness.recreate_database()
    harness.configure_django()
    products = harness.seed()
    for name, bench in BENCHMARKS.items():
        if not names or name in names:
            bench(products)
    print()
    print(report.write_results(started, time.perf_counter() - clock, partial=bool(names)))


if __name__ == "__main__":
    main(sys.argv[1:])
