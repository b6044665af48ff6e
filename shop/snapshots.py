"""Snapshots: load a long stream in O(1) of its length.

Every ``SHOP_SNAPSHOT_EVERY`` events (0 turns them off) the aggregate's state is stored
with the version it reflects. Loading reads the snapshot, then only the newer events.

Each process also keeps the state its own last command on a stream committed
(``recent_states``): a hot cart, which the same worker sees again a few events later,
then loads only those few events instead of the snapshot. Both are caches: the log alone
is the truth, and deleting either loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from pydantic import TypeAdapter, ValidationError

from shop import eventstore, registry
from shop.models import Event, Snapshot


def every() -> int:
    return getattr(settings, "SHOP_SNAPSHOT_EVERY", 100)


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


@cache
def shape_of(cls: type) -> str:
    """A fingerprint of the state class: its fields and their types, as JSON Schema."""
    schema = json.dumps(_adapter(cls).json_schema(mode="serialization"), sort_keys=True)
    return hashlib.sha256(f"{cls.__qualname__}:{schema}".encode()).hexdigest()[:32]


# --- Recent states: this process's own cache -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recent:
    version: int
    position: int  # of the stream's event at ``version``: checked before the entry is used
    state: Any


class RecentStates:
    """The state each stream reached with the last command this process committed on it.

    The next command on that stream, in this process, reads only the events after it. Events
    never change, so an entry stays true however far the stream moves on; still, a load uses
    it only once the log shows the entry's last event at the same position (a database
    emptied and refilled, as tests do, cannot mislead it). Least recently used entries go
    first beyond ``SHOP_RECENT_STATES`` (0 turns it off). States are immutable values, so
    an entry is shared, never copied.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[UUID, type], Recent] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def size() -> int:
        return getattr(settings, "SHOP_RECENT_STATES", 1000)

    def get(self, stream_id: UUID, state_class: type) -> Recent | None:
        if not self.size():
            return None
        with self._lock:
            recent = self._entries.get((stream_id, state_class))
            if recent is not None:
                self._entries.move_to_end((stream_id, state_class))
            return recent

    def remember(self, stream_id: UUID, recent: Recent) -> None:
        if not self.size():
            return
        with self._lock:
            self._entries[(stream_id, type(recent.state))] = recent
            self._entries.move_to_end((stream_id, type(recent.state)))
            while len(self._entries) > self.size():
                self._entries.popitem(last=False)

    def remember_on_commit(self, stream_id: UUID, recent: Recent) -> None:
        """Remember ``recent`` once the transaction commits (a rollback never happened)."""
        transaction.on_commit(partial(self.remember, stream_id, recent))

    def forget(self, stream_id: UUID, state_class: type) -> None:
        with self._lock:
            self._entries.pop((stream_id, state_class), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent_states = RecentStates()


# --- Loading ---------------------------------------------------------------------------------

# The stored snapshot if it is newer than the state this process knows (``known``), then
# the events from the newer of the two on: the event at that version itself too, so the
# known state can be checked against its position.
LOAD_SQL = """
SELECT 1 AS is_snapshot, version, 0 AS position, '' AS event_type, 0 AS schema_version,
    state AS payload
FROM shop_snapshot
WHERE stream_id = %(stream)s AND shape = %(shape)s AND version > %(known)s
UNION ALL
SELECT 0, version, position, event_type, schema_version, data FROM shop_event
WHERE stream_id = %(stream)s AND version >= %(known)s AND version >= COALESCE(
    (SELECT version FROM shop_snapshot
     WHERE stream_id = %(stream)s AND shape = %(shape)s AND version > %(known)s), 0)
ORDER BY 1 DESC, 2
"""


def _fetch(stream_id: UUID, state_class: type, known: int, lock: bool) -> list[tuple]:
    stream = Event._meta.get_field("stream_id").get_db_prep_value(stream_id, connection)
    params = {"stream": stream, "shape": shape_of(state_class), "known": known}
    with connection.cursor() as cursor:
        if lock and connection.vendor == "postgresql":
            # Queue behind the stream's other writers, then load: two statements (the load
            # must see what the lock's previous holder committed) sent in one round trip.
            with connection.connection.pipeline():
                cursor.execute(eventstore.LOCK_SQL, [eventstore.lock_key(stream_id)])
                cursor.execute(LOAD_SQL, params)
                rows = cursor.fetchall()
            eventstore.release_locks_before_flush(connection)
            return rows
        cursor.execute(LOAD_SQL, params)
        return cursor.fetchall()


def load_latest(
    stream_id: UUID, state_class: type, *, lock: bool = False, use_recent: bool = True
) -> tuple[Any, int, list[tuple[int, Any]]]:
    """(base state or None, its version or 0, [(version, event)] after it): one query.

    The base is the newest of this process's recent state and the stored snapshot. What
    loading an aggregate needs and nothing more (no metadata, no model instances): the hot
    path of every command. With ``lock`` (PostgreSQL) the stream's advisory lock is taken
    first, in the same round trip: the load is a statement of its own, so it reads what the
    lock's previous holder committed.
    """
    known = recent_states.get(stream_id, state_class) if use_recent else None
    rows = _fetch(stream_id, state_class, known.version if known else 0, lock)
    state, version, events = (known.state, known.version, []) if known else (None, 0, [])
    checked = known is None
    # The JSON columns come back as text (Django reads jsonb so): pydantic parses and checks
    # each payload in one pass.
    for is_snapshot, row_version, position, event_type, schema_version, payload in rows:
        if is_snapshot:  # newer than the recent state: start from it instead
            try:
                state, version = _adapter(state_class).validate_json(payload), row_version
                checked = True
            except ValidationError:
                return None, 0, _replay_all(stream_id)  # unreadable: replay instead
        elif row_version > version:
            events.append((row_version, registry.from_json(event_type, schema_version, payload)))
        elif known is not None and row_version == known.version:
            checked = position == known.position
    if not checked:  # the log is not the one this state came from
        recent_states.forget(stream_id, state_class)
        return load_latest(stream_id, state_class, lock=lock, use_recent=False)
    return state, version, events


def _replay_all(stream_id: UUID) -> list[tuple[int, Any]]:
    return [(r.version, r.event) for r in eventstore.load(stream_id)]


def due(old_version: int, new_version: int) -> bool:
    n = every()
    return bool(n) and new_version // n > old_version // n


def write(stream_type: str, stream_id: UUID, state: Any, version: int) -> None:
    """Store (or replace) the stream's snapshot: one upsert, inside the command's lock."""
    cls = type(state)
    snapshot = Snapshot(
        stream_id=stream_id,
        stream_type=stream_type,
        version=version,
        shape=shape_of(cls),
        state=_adapter(cls).dump_python(state, mode="json"),
    )
    Snapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["stream_id"],
        update_fields=["stream_type", "version", "shape", "state", "taken_at"],
    )
