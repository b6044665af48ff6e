"""Subscriptions on PostgreSQL: the safe high-water mark, and two workers under a fuzz."""

from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg
import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.domain import StockAdjusted
from shop import eventstore
from shop.highwater import HighWaterMark
from shop.models import Event
from subscriptions import core
from subscriptions.models import Checkpoint, ParkedEvent
from subscriptions.worker import Worker
from tests.support.servers import database_url

INSERT = (
    "INSERT INTO shop_event (stream_type, stream_id, version, event_type, schema_version, "
    "data, metadata, recorded_at) VALUES ('product', %s, 1, 'StockAdjusted', 1, "
    '\'{"on_hand": 1, "delta": 1, "reason": ""}\', \'{}\', now()) RETURNING position'
)


def raw() -> psycopg.Connection:
    return psycopg.connect(database_url().replace("postgres://", "postgresql://"))


def settled(mark: HighWaterMark) -> int:
    mark.poll()
    return mark.poll()


def test_the_mark_never_passes_a_position_a_running_transaction_holds(transactional_db):
    """The case that defeats ``xid < xmin`` alone: an older transaction commits a later
    position while a younger one still holds an earlier position."""
    older, younger = raw(), raw()
    try:
        first = older.execute(INSERT, [uuid.uuid4()]).fetchone()[0]  # older gets its xid
        held = younger.execute(INSERT, [uuid.uuid4()]).fetchone()[0]  # younger: position held
        later = older.execute(INSERT, [uuid.uuid4()]).fetchone()[0]
        older.commit()
        assert first < held < later
        mark = HighWaterMark()
        assert settled(mark) < held  # `later` is visible, but `held` may still come
        visible = set(Event.objects.values_list("position", flat=True))
        assert later in visible and held not in visible
        younger.commit()
        assert settled(mark) >= later
    finally:
        older.close()
        younger.close()


def test_the_mark_passes_a_rolled_back_position(transactional_db):
    gone = raw()
    try:
        lost = gone.execute(INSERT, [uuid.uuid4()]).fetchone()[0]
        gone.rollback()
    finally:
        gone.close()
    with transaction.atomic():
        kept = eventstore.append(
            stream_type="product",
            stream_id=uuid.uuid4(),
            events=[StockAdjusted(variant_id=uuid.uuid4(), on_hand=1, delta=1)],
            expected_version=0,
        )[0].position
    assert settled(HighWaterMark()) >= kept > lost


# --- The fuzz ------------------------------------------------------------------------------

SEEN = "fuzz_seen"


def recorder(name: str):
    def handle(recorded) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SEEN} (subscriber, position, stream_id, version) "
                "VALUES (%s, %s, %s, %s)",
                [name, recorded.position, recorded.stream_id, recorded.version],
            )

    return handle


operation = st.tuples(
    st.integers(0, 7),  # which stream
    st.integers(1, 3),  # how many events
    st.sampled_from([0.0, 0.0, 0.001, 0.02, 0.15]),  # how long the transaction stays open
    st.booleans() | st.just(False),  # roll it back
)


def write(streams, plan, committed, lock) -> None:
    try:
        for stream, count, hold, roll_back in plan:
            stream_id = streams[stream]
            try:
                with transaction.atomic():
                    version = (
                        Event.objects.filter(stream_id=stream_id)
                        .order_by("-version")
                        .values_list("version", flat=True)
                        .first()
                        or 0
                    )
                    recorded = eventstore.append(
                        stream_type="product",
                        stream_id=stream_id,
                        events=[
                            StockAdjusted(variant_id=uuid.UUID(int=1), on_hand=n, delta=1)
                            for n in range(count)
                        ],
                        expected_version=version,
                    )
                    time.sleep(hold * random.random())
                    if roll_back:
                        raise RuntimeError("rolled back on purpose")
            except (RuntimeError, eventstore.ConcurrencyError):
                continue
            with lock:
                committed.update((r.position, r.stream_id, r.version) for r in recorded)
    finally:
        connections.close_all()


@pytest.fixture
def seen_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {SEEN} (seq bigserial PRIMARY KEY, subscriber text, "
            "position bigint, stream_id uuid, version int)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SEEN}")


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(st.lists(operation, min_size=5, max_size=25), min_size=4, max_size=6))
def test_two_workers_see_every_committed_event_once_in_stream_order(seen_table, plans):
    run = uuid.uuid4().hex[:8]
    names = [f"fuzz-a-{run}", f"fuzz-b-{run}"]
    for name in names:
        core.register(core.Subscriber(name=name, handle=recorder(name)))
    start = Event.objects.order_by("-position").values_list("position", flat=True).first() or 0
    Checkpoint.objects.bulk_create([Checkpoint(name=name, position=start) for name in names])
    workers = [Worker(poll=0.01, batch=7), Worker(poll=0.01, batch=7)]
    runners = [threading.Thread(target=w.run) for w in workers]
    streams = [uuid.uuid4() for _ in range(8)]
    committed: set = set()
    lock = threading.Lock()
    writers = [
        threading.Thread(target=write, args=(streams, plan, committed, lock)) for plan in plans
    ]
    try:
        for thread in runners + writers:
            thread.start()
        time.sleep(0.2)
        workers[0].stop.set()  # the first worker goes away mid-run: the second takes over
        for thread in writers:
            thread.join()
        head = max((p for p, _, _ in committed), default=start)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(c.position >= head for c in Checkpoint.objects.filter(name__in=names)):
                break
            time.sleep(0.05)
    finally:
        for worker in workers:
            worker.stop.set()
        for thread in runners:
            thread.join()
        for name in names:
            core.unregister(name)
    assert not ParkedEvent.objects.filter(subscriber__in=names).exists()
    expected = sorted(committed)
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                f"SELECT position, stream_id, version FROM {SEEN} WHERE subscriber = %s "
                "AND stream_id = ANY(%s) ORDER BY seq",
                [name, streams],
            )
            seen = cursor.fetchall()
            # Exactly once, nothing rolled back, nothing missing.
            assert sorted(seen) == expected, name
            # In each stream's order.
            for stream_id in streams:
                versions = [v for _, s, v in seen if s == stream_id]
                assert versions == list(range(1, len(versions) + 1)), (name, stream_id)


def test_a_job_runs_in_one_worker_and_passes_on_when_its_holder_goes(transactional_db):
    from subscriptions.locks import PostgresLocks

    first, second = PostgresLocks(), PostgresLocks()
    try:
        assert first.try_acquire("subscriber:order-emails")
        assert not second.try_acquire("subscriber:order-emails")
        assert second.try_acquire("mailer") and not first.try_acquire("mailer")
        assert first.alive()
        first.close()  # its session ends, as when the process dies
        assert not first.alive()
        deadline = time.monotonic() + 5  # the server ends the session a moment later
        while not second.try_acquire("subscriber:order-emails"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        first.close()
        second.close()
