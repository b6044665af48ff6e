"""The soak test: mixed shoppers for a long while, then a look at what is left.

Two gunicorn servers (two app hosts, 2 sync workers each) share one PostgreSQL database
(`<BENCH_DB>_soak`, dropped and created again); locust, headless, runs SOAK_USERS shoppers
(benchmarks/locustfile.py: browse, search, add, change, remove, undo, coupon, checkout)
against them for SOAK_SECONDS (default 1200: 20 minutes). It reports the requests, the
answers by status, p95 per action, each worker's memory at the start and the end, the
events stored against the successful answers that should have stored them, and
`rebuild_projections --check`. A run of 10 minutes or more writes benchmarks/soak.md and
the README's soak section; a shorter one only prints.

    SOAK_SECONDS=60 python benchmarks/soak.py
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this folder is first on the path; the repository must be instead (as in
# run.py), so that `benchmarks.*`, the apps and `tests.support` import.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from benchmarks.harness import DB_NAME as BENCH_DB_NAME  # noqa: E402
from benchmarks.harness import PG, ensure_postgres  # noqa: E402
from shop.env import env  # noqa: E402

SECONDS = env("SOAK_SECONDS", 1200)
USERS = env("SOAK_USERS", 20)
DB_NAME = BENCH_DB_NAME + "_soak"  # its own throwaway database, beside run.py's
DB_URL = f"{PG}/{DB_NAME}"
LOCUST = Path(sys.executable).with_name("locust")
PRODUCTS = 50
ACTIONS = ["browse", "product", "search", "add", "change", "remove", "undo", "coupon"]
ACTIONS += ["checkout page", "checkout shipping", "checkout"]
# Which events a successful answer stores: one each (an undo stores an ItemAdded).
EVENTS = {
    "ItemAdded": ("add", "undo"),
    "ItemQuantityChanged": ("change",),
    "ItemRemoved": ("remove",),
    "CouponApplied": ("coupon",),
    "CartCheckedOut": ("checkout",),
    "OrderPlaced": ("checkout",),
}


def prepare() -> tuple[list[str], list[str]]:
    """A fresh database with the demo catalog and products that never run out."""
    ensure_postgres()
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        name = sql.Identifier(DB_NAME)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    os.environ.update(
        DATABASE_URL=DB_URL,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        SHOP_DATA_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SHOP_HTTPS="0",
        SHOP_PLAIN_STATIC="1",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="shop.settings",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    import django

    django.setup()
    from benchmarks.harness import seed

    products = seed(name="Soak Product", count=PRODUCTS, price="4.50", stock=10_000_000)
    return [str(p.id) for p in products], [p.slug for p in products]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(servers) -> dict[int, int]:
    return {pid: rss_kib(pid) for server in servers for pid in server.worker_pids()}


def run_locust(servers, products, slugs, workdir: Path) -> tuple[dict, list[dict]]:
    """Run the shoppers; sample the workers' memory every minute meanwhile."""
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "hosts": [s.url for s in servers],
                "products": products,
                "slugs": slugs,
                "report": str(workdir / "report.json"),
            }
        )
    )
    command = [
        str(LOCUST),
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(max(1, USERS // 10)),
        "--run-time",
        f"{SECONDS}s",
        "--stop-timeout",
        "10",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--soak-config",
        str(config),
    ]
    locust = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    samples = []
    started = time.monotonic()
    while locust.poll() is None:
        time.sleep(min(60, max(5, SECONDS / 10)))
        samples.append({"seconds": round(time.monotonic() - started), **memory(servers)})
    return json.loads((workdir / "report.json").read_text()), samples


def events_since(start: datetime) -> Counter:
    from django.db.models import Count

    from shop.models import Event

    rows = (
        Event.objects.filter(recorded_at__gte=start)
        .values("event_type")
        .annotate(n=Count("position"))
    )
    return Counter({row["event_type"]: row["n"] for row in rows})


def rebuild_check() -> tuple[int, str]:
    from tests.support.servers import server_env

    result = subprocess.run(
        [sys.executable, "manage.py", "rebuild_projections", "--check"],
        cwd=ROOT,
        env=server_env(DB_URL),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return result.returncode, (result.stdout + result.stderr).strip().splitlines()[-1:]


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def report_text(started, took, report, before, after, samples, stored, check) -> str:
    statuses = Counter()
    for key, n in report["statuses"].items():
        statuses[key.rsplit(" ", 1)[1]] += n
    errors = {s: n for s, n in sorted(statuses.items()) if not 200 <= int(s) < 400}
    lines = [
        f"Run {started:%Y-%m-%d %H:%M} UTC by `make bench` (benchmarks/soak.py): {SECONDS} s of "
        f"{USERS} locust shoppers through two gunicorn servers (2 sync workers each) on one "
        f"PostgreSQL, {os.cpu_count()} cores shared with the load generator, the database and "
        f"other work on the machine; {took:.0f} s in all.",
        "",
        f"- Requests: {report['requests']:,} ({report['rps']:.1f}/s); answers by status: "
        + ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items()))
        + f". Errors (not 2xx/3xx): {sum(errors.values()) or 'none'}"
        + (f" ({', '.join(f'{s}: {n}' for s, n in errors.items())})" if errors else "")
        + ".",
        "",
        "| action | requests | failures | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for name in ACTIONS:
        row = report["actions"].get(name)
        if row:
            lines.append(
                f"| {name} | {row['requests']:,} | {row['failures']:,} "
                f"| {row['p50']:.0f} ms | {row['p95']:.0f} ms | {row['p99']:.0f} ms |"
            )
    warm = samples[0] if samples else {"seconds": 0}
    lines += [
        "",
        f"| worker | memory at the start | after {warm['seconds']} s | highest seen | at the end |",
        "|---|---|---|---|---|",
    ]
    for n, pid in enumerate(sorted(before), 1):
        highest = max([before[pid], after.get(pid, 0)] + [s.get(pid, 0) for s in samples])
        lines.append(
            f"| {n} | {mib(before[pid])} | {mib(warm.get(pid, 0))} | {mib(highest)} "
            f"| {mib(after.get(pid, 0))} |"
        )
    lines += ["", "| events stored | count | successful answers that store one | count | equal |"]
    lines += ["|---|---|---|---|---|"]
    successes = report["successes"]
    for event, actions in EVENTS.items():
        answers = sum(successes.get(a, 0) for a in actions)
        lines.append(
            f"| {event} | {stored.get(event, 0):,} | {' + '.join(actions)} | {answers:,} "
            f"| {'yes' if stored.get(event, 0) == answers else '**no**'} |"
        )
    code, last = check
    lines += [
        "",
        f"`rebuild_projections --check` at the end: exit {code}"
        + (f" ({last[0]})" if last else "")
        + ".",
    ]
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    (ROOT / "benchmarks" / "soak.md").write_text("# Soak test\n\n" + text)
    readme = ROOT / "README.md"
    start, end = "<!-- soak:start -->", "<!-- soak:end -->"
    content = readme.read_text()
    if start in content and end in content:
        before, rest = content.split(start, 1)
        readme.write_text(before + start + "\n" + text + end + rest.split(end, 1)[1])


def main() -> None:
    from tests.support.servers import ShopServer

    started = datetime.now(UTC)
    clock = time.monotonic()
    products, slugs = prepare()
    servers = [ShopServer(DB_URL, workers=2, threads=1) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        before = memory(servers)
        soak_start = datetime.now(UTC)
        with tempfile.TemporaryDirectory() as workdir:
            report, samples = run_locust(servers, products, slugs, Path(workdir))
        after = memory(servers)
    finally:
        for server in servers:
            server.stop()
    stored = events_since(soak_start)
    check = rebuild_check()
    text = report_text(
        started, time.monotonic() - clock, report, before, after, samples, stored, check
    )
    print(text)
    if SECONDS >= 600:
        write(text)


if __name__ == "__main__":
    main()
