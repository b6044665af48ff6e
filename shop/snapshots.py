"""Snapshots: load a long stream in O(1) of its length.

Every ``SHOP_SNAPSHOT_EVERY`` events (0 turns them off) the aggregate's state is stored
with the version it reflects. Loading reads the snapshot, then only the newer events.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from pydantic import TypeAdapter, ValidationError

from shop.models import Snapshot


def every() -> int:
    return getattr(settings, "SHOP_SNAPSHOT_EVERY", 25)


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


@cache
def shape_of(cls: type) -> str:
    """A fingerprint of the state class: its fields and their types, as JSON Schema."""
    schema = json.dumps(_adapter(cls).json_schema(mode="serialization"), sort_keys=True)
    return hashlib.sha256(f"{cls.__qualname__}:{schema}".encode()).hexdigest()[:32]


def read(stream_id: UUID, state_class: type) -> tuple[Any, int] | None:
    """The stored state and its version, or None (no snapshot, or one of another shape)."""
    if not every():
        return None
    row = (
        Snapshot.objects.filter(stream_id=stream_id, shape=shape_of(state_class))
        .values_list("state", "version")
        .first()
    )
    if row is None:
        return None
    try:
        return _adapter(state_class).validate_python(row[0]), row[1]
    except ValidationError:
        return None  # unreadable: replay instead


LOAD_SQL = """
SELECT 1 AS is_snapshot, version, '' AS event_type, 0 AS schema_version, state AS payload
FROM shop_snapshot WHERE stream_id = %(stream)s AND shape = %(shape)s
UNION ALL
SELECT 0, version, event_type, schema_version, data FROM shop_event
WHERE stream_id = %(stream)s AND version > COALESCE(
    (SELECT version FROM shop_snapshot WHERE stream_id = %(stream)s AND shape = %(shape)s), 0)
ORDER BY 1 DESC, 2
"""

# PostgreSQL: queue behind the stream's other writers, then load, in one round trip.
LOCK_AND_LOAD_SQL = "SELECT pg_advisory_xact_lock(%(lock)s);" + LOAD_SQL


def load_latest(
    stream_id: UUID, state_class: type, *, lock: bool = False
) -> tuple[Any, int, list[tuple[int, Any]]]:
    """(snapshot state or None, its version or 0, [(version, event)] after it): one query.

    What loading an aggregate needs and nothing more (no metadata, no model instances): the
    hot path of every command. With ``lock`` (PostgreSQL) the stream's advisory lock is taken
    first, in the same round trip: the load is a statement of its own, so it reads what the
    lock's previous holder committed.
    """
    from django.db import connection

    from shop import eventstore, registry
    from shop.models import Event

    stream = Event._meta.get_field("stream_id").get_db_prep_value(stream_id, connection)
    params = {"stream": stream, "shape": shape_of(state_class)}
    lock = lock and connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if lock:
            params["lock"] = eventstore.lock_key(stream_id)
            cursor.execute(LOCK_AND_LOAD_SQL, params)
            cursor.nextset()  # past the lock's row, to the load's
        else:
            cursor.execute(LOAD_SQL, params)
        rows = cursor.fetchall()
    state, version, events = None, 0, []
    # The JSON columns come back as text (Django reads jsonb so): pydantic parses and checks
    # each payload in one pass.
    for is_snapshot, row_version, event_type, schema_version, payload in rows:
        if is_snapshot:
            try:
                state, version = _adapter(state_class).validate_json(payload), row_version
            except ValidationError:
                return None, 0, _replay_all(stream_id)  # unreadable: replay instead
        else:
            events.append((row_version, registry.from_json(event_type, schema_version, payload)))
    return state, version, events


def _replay_all(stream_id: UUID) -> list[tuple[int, Any]]:
    from shop import eventstore

    return [(r.version, r.event) for r in eventstore.load(stream_id)]


def due(old_version: int, new_version: int) -> bool:
    n = every()
    return bool(n) and new_version // n > old_version // n


def write(stream_type: str, stream_id: UUID, state: Any, version: int) -> None:
    cls = type(state)
    Snapshot.objects.update_or_create(
        stream_id=stream_id,
        defaults={
            "stream_type": stream_type,
            "version": version,
            "shape": shape_of(cls),
            "state": _adapter(cls).dump_python(state, mode="json"),
        },
    )
