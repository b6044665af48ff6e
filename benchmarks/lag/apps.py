"""A subscriber for the lag benchmark: it notes how long after its append it saw each item.

Registered only in a worker started with ``BENCH_LAG_FILE`` set (benchmarks/settings.py):
it follows ``ItemAdded`` and appends one line per event to that file, the seconds from the
event's ``recorded_at`` (set just before its insert, so a little before its commit) to the
moment ``handle`` got it.
"""

import time

from django.apps import AppConfig


class LagConfig(AppConfig):
    name = "benchmarks.lag"
    label = "bench_lag"
    verbose_name = "Subscriber lag (benchmarks only)"

    def ready(self) -> None:
        from django.conf import settings

        from subscriptions import core

        path = settings.BENCH_LAG_FILE
        if not path:
            return

        out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

        def handle(recorded) -> None:
            out.write(f"{time.time() - recorded.recorded_at.timestamp():.6f}\n")

        core.register(
            core.Subscriber(name="bench-lag", handle=handle, event_types=frozenset({"ItemAdded"}))
        )
