"""What every benchmark shares: the configuration, the database, Django, rounds and medians.

Every figure is the median of several rounds, and each row is recorded beside its baseline
from the same run, because the machine is shared.
"""

from __future__ import annotations

import base64
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from shop.env import env

ROOT = Path(__file__).resolve().parent.parent

ROUNDS = env("BENCH_ROUNDS", 3)
SECONDS = env("BENCH_SECONDS", 5)  # each wrk run
PG = env("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = env("BENCH_DB", "shop_bench")  # dropped and created again each run
DB_URL = f"{PG}/{DB_NAME}"
BENCH_PRODUCTS = 200
# The shop's settings plus the CRUD baseline app and its URL (benchmarks/settings.py).
SETTINGS = "benchmarks.settings"
ACTOR = "system:bench"


# --- Rows -----------------------------------------------------------------------------------


@dataclass
class Row:
    benchmark: str
    measure: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: str


ROWS: list[Row] = []


def record(benchmark, measure, ours, baseline, ratio, target, met: bool | None):
    mark = "—" if met is None else ("yes" if met else "**no**")
    ROWS.append(Row(benchmark, measure, ours, baseline, ratio, target, mark))
    print(f"  {benchmark}: {measure}: ours {ours} | baseline {baseline} | {ratio} | {mark}")


# --- Set-up ---------------------------------------------------------------------------------


def ensure_postgres() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode != 0:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True
        )
        for _ in range(30):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"]).returncode == 0:
                return
            time.sleep(1)


def recreate_database() -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(DB_NAME)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def configure_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(
        DATABASE_URL=DB_URL,
        DEBUG="0",
        SECRET_KEY=env("SECRET_KEY", "") or secrets.token_urlsafe(40),
        SHOP_DATA_KEY=env("SHOP_DATA_KEY", "") or base64.urlsafe_b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SHOP_HTTPS="0",
        SHOP_PLAIN_STATIC="1",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE=SETTINGS,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DB_POOL_MAX_SIZE="60",  # the contention benchmark runs 50 threads in this process
    )
    import django

    django.setup()


# The bench products come in sizes: add to cart chooses one (a variant), as shoppers do.
BENCH_SIZES = ("500 g", "1 kg")


def seed(
    *,
    name="Bench Product",
    count=BENCH_PRODUCTS,
    price="9.99",
    stock=1_000_000,
    sizes=BENCH_SIZES,
) -> list:
    """Migrate, seed the demo, and list ``count`` products named ``name NNN`` that
    never run out, each with a Size group (250 g, the default variant, and ``sizes``, each a
    variant); return them in slug order."""
    from django.core.management import call_command
    from django.utils.text import slugify

    from catalog import domain
    from catalog.models import Category, Product
    from catalog.services import product_edit, product_list, shop_money

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    category = Category.objects.first()
    prefix = slugify(name)
    for n in range(count):
        product_id = product_list(
            name=f"{name} {n:03d}",
            slug=f"{prefix}-{n:03d}",
            category=category.slug,
            description="For load tests.",
            price=shop_money(price),
            stock=stock,
            context=bench_context(),
        )
        if sizes:
            product_edit(
                product_id=product_id,
                commands=[
                    domain.AddOptionGroup(name="Size", values=("250 g", *sizes)),
                    *(
                        domain.AddVariant(
                            variant_id=uuid.uuid5(product_id, size),
                            sku=f"{prefix}-{n:03d}-{size}".replace(" ", "").upper(),
                            price=shop_money(Decimal(price) * (k + 2)),
                            weight_grams=250 * (k + 2),
                            options=(size,),
                            on_hand=stock,
                        )
                        for k, size in enumerate(sizes)
                    ),
                ],
                context=bench_context(),
            )
    return list(Product.objects.filter(slug__startswith=f"{prefix}-").order_by("slug"))


def bench_context():
    """The command context every benchmark command runs with."""
    from shop.aggregates import CommandContext

    return CommandContext(actor=ACTOR)


def shop_server(**env: str):
    """The shop under gunicorn (4 sync workers) on the benchmark database and settings."""
    from tests.support.servers import ShopServer

    return ShopServer(DB_URL, workers=4, threads=1, DJANGO_SETTINGS_MODULE=SETTINGS, **env)


# --- Timing in process ----------------------------------------------------------------------


class Rollback(Exception):
    pass


def timed_once(action) -> float:
    """One call of ``action`` in a transaction that is rolled back, so state never grows."""
    from django.db import transaction

    start = time.perf_counter()
    try:
        with transaction.atomic():
            action()
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - start


def interleaved_medians(actions: dict, rounds: int = 150, warmup: int = 10) -> dict:
    """Median seconds per action, the actions taking turns so drift hits them alike."""
    for action in actions.values():
        for _ in range(warmup):
            timed_once(action)
    samples = {key: [] for key in actions}
    for _ in range(rounds):
        for key, action in actions.items():
            samples[key].append(timed_once(action))
    return {key: statistics.median(values) for key, values in samples.items()}


@contextmanager
def snapshots_alone(every: int):
    """Snapshots every ``every`` events, and no recent states: what snapshots alone do."""
    from django.conf import settings

    old = settings.SHOP_SNAPSHOT_EVERY, settings.SHOP_RECENT_STATES
    settings.SHOP_SNAPSHOT_EVERY, settings.SHOP_RECENT_STATES = every, 0
    try:
        yield
    finally:
        settings.SHOP_SNAPSHOT_EVERY, settings.SHOP_RECENT_STATES = old
