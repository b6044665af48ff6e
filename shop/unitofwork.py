"""The write path: every command runs as one unit of work.

A service says which streams it needs and what to decide; the unit of work does the rest::

    def order_cancel(*, order_id, reason, context):
        def work(uow: UnitOfWork) -> Order:
            order = uow.load(ORDER, order_id)
            uow.decide(order, Cancel(...))
            for product in uow.load_many(PRODUCT, product_ids):   # sorted: one lock order
                uow.decide(product, ReleaseStock(...))
            return order.state

        return run(work, context=context, lock=Lock.AFTER_CONFLICT)

``run`` gives ``work`` a fresh ``UnitOfWork`` inside ``transaction.atomic()``. Loading a
stream reads the newest of this process's recent state for it and its stored snapshot, then
the events after it, in one query (one load path, whatever the settings); with a lock, the
stream's PostgreSQL advisory lock is taken in the same round trip. ``decide`` runs the
aggregate's pure ``decide`` on the stream's state and keeps the events. When ``work``
returns, the unit appends each stream's events with the version it loaded (in the order the
streams were loaded), stores a snapshot of every stream that crossed a multiple of
``SHOP_SNAPSHOT_EVERY``, and remembers each written stream's state once the transaction
commits. A version conflict anywhere rolls the whole attempt back (nothing half-written) and
runs ``work`` again, on the new state. ``execute`` is the one-stream case.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from pydantic import ValidationError

from shop import eventstore, registry, snapshots
from shop.aggregates import CommandContext, Decider, Outcome
from shop.eventstore import ConcurrencyError, RecordedEvent
from shop.models import Event, Snapshot

MAX_ATTEMPTS = 10
BACKOFF_CAP = 0.05  # seconds: the longest pause between two attempts


class Lock(Enum):
    """When a unit's loads queue on their streams' locks (PostgreSQL advisory locks)."""

    ALWAYS = "always"  # one-stream commands: writers of a busy cart take turns
    AFTER_CONFLICT = "after conflict"  # optimistic first; after a lost race, every load locks
    NEVER = "never"


# --- Loading: one path -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded[S]:
    state: S
    version: int
    folded: int  # how many events were folded onto the base (recent state or snapshot)


# The stored snapshot if it is newer than the state this process knows (``known``), then
# the events from the newer of the two on: the event at that version itself too, so the
# known state can be checked against its position. ``shape`` NULL (snapshots off, or an
# unreadable one) matches no snapshot.
_LOAD_SQL = """
SELECT 1 AS is_snapshot, version, 0 AS position, '' AS event_type, 0 AS schema_version,
    state AS payload
FROM {snapshot}
WHERE stream_id = %(stream)s AND shape = %(shape)s AND version > %(known)s
UNION ALL
SELECT 0, version, position, event_type, schema_version, data FROM {event}
WHERE stream_id = %(stream)s AND version >= %(known)s AND version >= COALESCE(
    (SELECT version FROM {snapshot}
     WHERE stream_id = %(stream)s AND shape = %(shape)s AND version > %(known)s), 0)
ORDER BY 1 DESC, 2
"""


def _load_sql() -> str:
    return _LOAD_SQL.format(snapshot=Snapshot._meta.db_table, event=Event._meta.db_table)


class _Reload(Exception):
    """The recent state is not this log's, or the snapshot no longer parses: read again."""


@dataclass(slots=True)
class _Request:
    decider: Decider[Any, Any]
    stream_id: UUID
    known: snapshots.Recent | None
    shape: str | None

    def params(self) -> dict[str, Any]:
        field_ = Event._meta.get_field("stream_id")
        return {
            "stream": field_.get_db_prep_value(self.stream_id, connection),
            "shape": self.shape,
            "known": self.known.version if self.known else 0,
        }

    def fold(self, rows: list[tuple]) -> Loaded[Any]:
        """The state the rows give: the base (recent state or snapshot), then newer events."""
        decider, known = self.decider, self.known
        state, version = (known.state, known.version) if known else (decider.initial_state, 0)
        checked = known is None
        folded = 0
        # The JSON columns come back as text: pydantic parses and checks each payload once.
        for is_snapshot, row_version, position, event_type, schema_version, payload in rows:
            if is_snapshot:  # newer than the recent state: start from it instead
                try:
                    state = snapshots.parse(type(decider.initial_state), payload)
                except ValidationError:
                    self.shape = None
                    raise _Reload from None
                version, checked = row_version, True
            elif row_version > version:
                # As stored: personal values stay sealed, so no state (snapshot, recent
                # state) can ever hold one in plain text, and a command asks for no key.
                event = registry.from_json(
                    event_type, schema_version, payload, self.stream_id, reveal=False
                )
                state, version, folded = decider.evolve(state, event), row_version, folded + 1
            elif known is not None and row_version == known.version:
                checked = position == known.position
        if not checked:
            snapshots.recent_states.forget(self.stream_id, type(decider.initial_state))
            self.known = None
            raise _Reload
        return Loaded(state, version, folded)


def _fetch(requests: list[_Request], lock: bool) -> list[list[tuple]]:
    """Each request's rows. On PostgreSQL all in one round trip (pipeline mode), each load
    after its stream's lock when ``lock``: the load is a statement of its own, so it reads
    what the lock's previous holder committed."""
    sql = _load_sql()
    if connection.vendor != "postgresql":
        results = []
        for request in requests:
            with connection.cursor() as cursor:
                cursor.execute(sql, request.params())
                results.append(cursor.fetchall())
        return results
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in requests]
    try:
        with connection.connection.pipeline():
            for cursor, request in zip(cursors, requests, strict=True):
                if lock:
                    cursor.execute(eventstore.LOCK_SQL, [eventstore.lock_key(request.stream_id)])
                cursor.execute(sql, request.params())
            results = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    if lock:
        eventstore.release_locks_before_flush(connection)
    return results


def load_streams(
    decider: Decider[Any, Any], stream_ids: list[UUID], *, lock: bool = False
) -> list[Loaded[Any]]:
    """The current state of each stream, in the order given (locked in that order)."""
    state_class = type(decider.initial_state)
    shape = snapshots.shape_of(state_class) if snapshots.every() else None
    requests = [
        _Request(decider, stream_id, snapshots.recent_states.get(stream_id, state_class), shape)
        for stream_id in stream_ids
    ]
    loaded: list[Loaded[Any] | None] = [None] * len(requests)
    pending = list(range(len(requests)))
    while pending:  # a second pass only for a stream whose base turned out unusable
        rows = _fetch([requests[i] for i in pending], lock)
        lock = False  # held until the transaction ends
        again = []
        for i, stream_rows in zip(pending, rows, strict=True):
            try:
                loaded[i] = requests[i].fold(stream_rows)
            except _Reload:
                again.append(i)
        pending = again
    return loaded  # type: ignore[return-value]


def load_state[S](decider: Decider[Any, S], stream_id: UUID, *, lock: bool = False) -> Loaded[S]:
    """The stream's current state (outside a command: staff tools, tests)."""
    return load_streams(decider, [stream_id], lock=lock)[0]


# --- The unit of work ------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Stream[S]:
    """A stream inside a unit of work: its state so far, and the events decided on it."""

    decider: Decider[Any, S]
    stream_id: UUID
    loaded_version: int  # the append's expected version
    state: S
    new_events: list[Any] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)  # added to this stream's events
    recorded: list[RecordedEvent] = field(default_factory=list)  # once appended

    @property
    def version(self) -> int:
        return self.loaded_version + len(self.new_events)

    def outcome(self) -> Outcome[S]:
        return Outcome(self.state, self.version, self.recorded)


class UnitOfWork:
    """The streams one attempt of a command loaded, and what it decided on them."""

    def __init__(self, context: CommandContext, *, lock: bool, attempt: int = 1) -> None:
        self.context = context
        self.lock = lock
        self.attempt = attempt
        self._streams: dict[UUID, Stream[Any]] = {}  # in load order: the append order

    def load[S](self, decider: Decider[Any, S], stream_id: UUID) -> Stream[S]:
        return self.load_many(decider, [stream_id])[0]

    def load_many[S](self, decider: Decider[Any, S], stream_ids: Iterable[UUID]) -> list[Stream[S]]:
        """The streams sorted by id (the one lock order, so no two units wait crosswise)."""
        ids = sorted(set(stream_ids))
        new = [stream_id for stream_id in ids if stream_id not in self._streams]
        for stream_id, loaded in zip(
            new, load_streams(decider, new, lock=self.lock) if new else [], strict=True
        ):
            self._streams[stream_id] = Stream(decider, stream_id, loaded.version, loaded.state)
        streams = [self._streams[stream_id] for stream_id in ids]
        if any(stream.decider.stream_type != decider.stream_type for stream in streams):
            raise ValueError("a stream was loaded as two different stream types")
        return streams

    def start[S](self, decider: Decider[Any, S], stream_id: UUID) -> Stream[S]:
        """A stream this unit creates (a new order): nothing to load, it expects version 0."""
        if stream_id in self._streams:
            raise ValueError(f"stream {stream_id} is in this unit already")
        stream = Stream(decider, stream_id, 0, decider.initial_state)
        self._streams[stream_id] = stream
        return stream

    def decide[S](self, stream: Stream[S], command: Any, **metadata: Any) -> list[Any]:
        """Decide ``command`` on the stream's state so far; its events are appended at the end.

        ``metadata`` goes into the metadata of this stream's new events (undo's ``undoes``).
        """
        events = stream.decider.decide(command, stream.state)
        if events:
            stream.state = stream.decider.fold(stream.state, events)
            stream.new_events.extend(events)
            stream.metadata.update(metadata)
        return events

    def commit(self) -> None:
        """Append every stream's events, take due snapshots, remember states on commit."""
        base = self.context.metadata()
        for stream in self._streams.values():
            if not stream.new_events:
                continue
            stream.recorded = eventstore.append(
                stream_type=stream.decider.stream_type,
                stream_id=stream.stream_id,
                events=stream.new_events,
                expected_version=stream.loaded_version,
                metadata={**base, **stream.metadata} if stream.metadata else base,
            )
            if snapshots.due(stream.loaded_version, stream.version):
                snapshots.write(
                    stream.decider.stream_type, stream.stream_id, stream.state, stream.version
                )
            recent = snapshots.Recent(stream.version, stream.recorded[-1].position, stream.state)
            snapshots.recent_states.remember_on_commit(stream.stream_id, recent)


def run[T](
    work: Callable[[UnitOfWork], T],
    *,
    context: CommandContext,
    lock: Lock = Lock.ALWAYS,
    attempts: int = MAX_ATTEMPTS,
) -> T:
    """Run ``work`` in a unit of work and commit it; on a version conflict, run it all again.

    Each attempt is its own ``atomic`` block (a savepoint when nested), so a conflict never
    leaves the surrounding transaction broken. Between attempts it waits a random, growing
    moment (at most ``BACKOFF_CAP``), so writers that collided do not collide again in step.
    After ``attempts`` lost races the ``ConcurrencyError`` propagates (a 409 "try again").
    """
    for attempt in range(1, attempts + 1):
        locking = lock is Lock.ALWAYS or (lock is Lock.AFTER_CONFLICT and attempt > 1)
        uow = UnitOfWork(context, lock=locking, attempt=attempt)
        try:
            with transaction.atomic():
                result = work(uow)
                uow.commit()
                return result
        except ConcurrencyError:
            if attempt == attempts:
                raise
        time.sleep(random.uniform(0, min(BACKOFF_CAP, 0.002 * 2**attempt)))
    raise AssertionError("unreachable")


def execute[C, S](
    decider: Decider[C, S], stream_id: UUID, command: C, context: CommandContext
) -> Outcome[S]:
    """One command on one stream: the unit of work's simplest case.

    Writers of one stream queue on its lock (PostgreSQL), taken with the load in one round
    trip, so two tabs adding to one cart take turns instead of colliding and retrying. The
    append's expected version stays the guarantee: it catches writers that hold no lock.
    """

    def work(uow: UnitOfWork) -> Stream[S]:
        stream = uow.load(decider, stream_id)
        uow.decide(stream, command)
        return stream

    return run(work, context=context).outcome()
