"""Append and load event streams.

``append`` writes new events at the end of a stream, provided nobody else wrote to it since
the caller loaded it (``expected_version``); otherwise it raises ``ConcurrencyError``. It
then sends ``events_appended`` inside the same transaction, so projections commit or roll
back together with the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from shop import personal, registry
from shop.models import Event

# Sent after every append, inside the transaction, with ``events``: list[RecordedEvent].
# Sent with send(), never send_robust(): a failing projection rolls the command back.
events_appended = Signal()


class ConcurrencyError(Exception):
    """Someone appended to the stream after it was loaded."""

    def __init__(self, stream_id: UUID, expected_version: int) -> None:
        super().__init__(f"stream {stream_id} has moved past version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    stream_type: str
    stream_id: UUID
    version: int
    event: Any
    metadata: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime | None = None

    @property
    def event_type(self) -> str:
        return type(self.event).__name__


def _is_version_conflict(error: IntegrityError) -> bool:
    cause = error.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if constraint is not None:  # PostgreSQL names the constraint
        return constraint == "event_stream_version_unique"
    message = str(error)  # SQLite names the columns
    table = Event._meta.db_table
    return f"{table}.stream_id" in message and f"{table}.version" in message


def append(
    *,
    stream_type: str,
    stream_id: UUID,
    events: Sequence[object],
    expected_version: int,
    metadata: Mapping[str, Any] | None = None,
) -> list[RecordedEvent]:
    """Append ``events`` after ``expected_version``; raise ``ConcurrencyError`` if stale.

    Must run inside a transaction (the caller's ``atomic``), which a conflict leaves
    unusable: retry the whole transaction, as ``shop.unitofwork.run`` does.
    """
    if not events:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append() must run inside transaction.atomic()")
    now = timezone.now()
    meta = dict(metadata or {})
    rows = []
    sealing = []
    for version, event in enumerate(events, start=expected_version + 1):
        event_type = registry.type_of(event)
        if event_type.stream_type != stream_type:
            raise ValueError(f"{event_type.name} does not belong on a {stream_type} stream")
        data = registry.to_data(event)
        if event_type.personal is not None:
            sealing.append((event_type, event, data))
        rows.append(
            (stream_type, stream_id, version, event_type.name, event_type.schema_version, data)
        )
    if sealing:  # personal fields are stored encrypted with their subject's key
        personal.seal_all(stream_id, sealing)
    try:
        positions = _insert(rows, meta, now)
    except IntegrityError as error:
        if _is_version_conflict(error):
            raise ConcurrencyError(stream_id, expected_version) from error
        raise
    recorded = [
        RecordedEvent(
            position=position,
            stream_type=stream_type,
            stream_id=stream_id,
            version=expected_version + offset,
            event=event,
            metadata=meta,
            recorded_at=now,
        )
        for offset, (position, event) in enumerate(zip(positions, events, strict=True), start=1)
    ]
    events_appended.send(sender=stream_type, events=recorded)
    return recorded


COLUMNS = ("stream_type", "stream_id", "version", "event_type", "schema_version", "data")


def _insert(rows: list[tuple], metadata: dict[str, Any], recorded_at: datetime) -> list[int]:
    """One ``INSERT … RETURNING position`` for the rows, in order.

    Written out rather than ``bulk_create``: every command appends, and the ORM's statement
    building cost as much as the insert itself. The model's fields still convert the values.
    """
    connection = transaction.get_connection()
    fields = [Event._meta.get_field(name) for name in (*COLUMNS, "metadata", "recorded_at")]
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(fields, (*row, metadata, recorded_at), strict=True)
    ]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {Event._meta.db_table} ({', '.join(f.column for f in fields)}) "
        f"VALUES {', '.join([placeholders] * len(rows))} RETURNING position"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [position for (position,) in cursor.fetchall()]


def to_recorded(row: Event) -> RecordedEvent:
    return RecordedEvent(
        position=row.position,
        stream_type=row.stream_type,
        stream_id=row.stream_id,
        version=row.version,
        event=registry.from_data(row.event_type, row.schema_version, row.data, row.stream_id),
        metadata=row.metadata,
        recorded_at=row.recorded_at,
    )


def load(stream_id: UUID, *, after_version: int = 0) -> list[RecordedEvent]:
    """Every event of the stream after ``after_version``, oldest first."""
    rows = Event.objects.filter(stream_id=stream_id, version__gt=after_version).order_by("version")
    return [to_recorded(row) for row in rows]


def load_since(stream_id: UUID, *, position: int) -> list[RecordedEvent]:
    """The stream's events from the one at ``position`` on (if it is this stream's)."""
    rows = Event.objects.filter(stream_id=stream_id, position__gte=position).order_by("version")
    return [to_recorded(row) for row in rows]


LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"


def release_locks_before_flush(connection) -> None:
    """Let the locks of this transaction go before its commit is flushed to disk.

    Every writer waiting for a stream's lock would otherwise wait for the flush of the one
    before it too. The commit still returns only once it is on disk (``shop.postgres``).
    """
    if hasattr(connection, "release_locks_before_flush"):
        connection.release_locks_before_flush()


def lock_key(stream_id: UUID) -> int:
    """The stream's PostgreSQL advisory lock key: its id's first 64 bits."""
    return int.from_bytes(stream_id.bytes[:8], "big", signed=True)
