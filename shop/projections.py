"""The projection registry, and rebuilding projections from the log.

Each app registers its read models in ``ready()``::

    from shop import projections
    projections.register(
        "carts", models=[CartSummary, CartLine], handler=carts.projections.project_carts
    )

``handler(stream_type, events)`` is called with consecutive events of one stream type, in
position order: the same call the ``events_appended`` receivers get (``sender`` is the
stream type), so a receiver is its own rebuild handler. A handler ignores stream types it
does not follow.

Before a replay ``reset()`` empties the projection: by default every row of ``models`` is
deleted (last model first, so children go before parents). A projection that lives in rows
staff own (``Coupon.redemptions``) passes its own ``reset``.

Replaying a long log through the live handlers costs a few SQL statements per event. A
projection can offer a batch path instead, ``replay``: a class whose instances fold the
streams in memory (``apply(stream_type, events)``, called with the same runs of events as
the handler, only for its ``stream_types``) and then write every row in bulk (``write()``:
``write_rows``, which is COPY on PostgreSQL and ``bulk_create`` elsewhere). It must leave
exactly the rows the live handler leaves; ``rebuild(batch=False)`` still replays through the
handlers, which is how the tests compare the two.

``rebuild()`` runs in the caller's transaction; ``check()`` rebuilds inside a transaction it
rolls back, and returns every row that differs from what was stored.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from django.db import models, transaction
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from shop import registry
from shop.eventstore import RecordedEvent
from shop.models import Event

Handler = Callable[[str, list[RecordedEvent]], None]
CHUNK_SIZE = 2000  # events read per query
WRITE_BATCH = 2000  # model instances per bulk_create (databases without COPY)


class Replayer(Protocol):
    """A projection's batch replay: one instance per rebuild."""

    stream_types: ClassVar[frozenset[str]]  # the only events ``apply`` is given

    def apply(self, stream_type: str, events: list[RecordedEvent]) -> None:
        """Fold consecutive events of one stream type, in position order, in memory."""

    def write(self) -> None:
        """Write every row folded, once the whole log has been applied."""


# A replayer may also name the metadata keys it reads (``metadata_keys``, a tuple of str):
# a rebuild then reads just those keys, not every event's whole metadata.


@dataclass(frozen=True, slots=True)
class Projection:
    name: str
    models: tuple[type[models.Model], ...]
    handler: Handler
    reset: Callable[[], None] | None = None
    # How ``check`` tells rows apart (default: the primary key); give a natural key for
    # models with an auto-increment id, which a rebuild renumbers.
    keys: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)
    # Fields ``check`` compares (default: every concrete field but an auto-increment id).
    fields: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)
    # The batch path a rebuild takes instead of calling ``handler`` per event.
    replay: Callable[[], Replayer] | None = None

    def empty(self) -> None:
        if self.reset is not None:
            self.reset()
            return
        for model in reversed(self.models):
            # Children first, then parents: a plain DELETE per table, without Django's
            # collector fetching every primary key for cascades first.
            queryset = model.objects.all()
            queryset._raw_delete(queryset.db)

    def key_fields(self, model: type[models.Model]) -> tuple[str, ...]:
        return self.keys.get(model, (model._meta.pk.attname,))

    def compared_fields(self, model: type[models.Model]) -> tuple[str, ...]:
        if model in self.fields:
            return self.fields[model]
        return tuple(
            f.attname
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField))
        )


_projections: dict[str, Projection] = {}


def register(
    name: str,
    *,
    models: Sequence[type[models.Model]],
    handler: Handler,
    reset: Callable[[], None] | None = None,
    keys: dict[type[models.Model], Sequence[str]] | None = None,
    fields: dict[type[models.Model], Sequence[str]] | None = None,
    replay: Callable[[], Replayer] | None = None,
) -> Projection:
    """Register a projection under ``name`` (registering the same name again replaces it)."""
    projection = Projection(
        name,
        tuple(models),
        handler,
        reset,
        {model: tuple(names) for model, names in (keys or {}).items()},
        {model: tuple(names) for model, names in (fields or {}).items()},
        replay,
    )
    _projections[name] = projection
    return projection


def registered() -> list[Projection]:
    return list(_projections.values())


def get(name: str) -> Projection:
    return _projections[name]


# --- Replay ---------------------------------------------------------------------------------


LOG_FIELDS = (
    "position",
    "stream_type",
    "stream_id",
    "version",
    "event_type",
    "schema_version",
    "payload",  # ``data`` as the JSON text stored: parsed once, by the event's own validator
    "recorded_at",
)
NO_METADATA: MappingProxyType[str, Any] = MappingProxyType({})


def log_chunks(
    *, chunk_size: int = CHUNK_SIZE, metadata: bool = True, metadata_keys: Sequence[str] = ()
) -> Iterator[list[tuple]]:
    """Every event as a tuple of ``LOG_FIELDS`` (then ``metadata`` if asked, or else the
    text of each of ``metadata_keys``), in position order, ``chunk_size`` rows at a time
    (keyset pagination): no model instances."""
    keys = {} if metadata else {f"meta_{i}": key for i, key in enumerate(metadata_keys)}
    fields = (*LOG_FIELDS, "metadata") if metadata else (*LOG_FIELDS, *keys)
    log = (
        Event.objects.annotate(
            payload=Cast("data", models.TextField()),
            **{name: KeyTextTransform(key, "metadata") for name, key in keys.items()},
        )
        .order_by("position")
        .values_list(*fields)
    )
    last = 0
    while True:
        rows = list(log.filter(position__gt=last)[:chunk_size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _runs(
    rows: list[tuple], followed: frozenset[str] | None, metadata_keys: Sequence[str] = ()
) -> Iterator[tuple[str, list[RecordedEvent]]]:
    """Consecutive events of the same stream type, upcast and decoded once.

    Events of a stream type outside ``followed`` (None: every type) are not decoded. Rows
    with ``metadata_keys`` columns get those of them that are set as their metadata.
    """
    run: list[RecordedEvent] = []
    run_type = None
    for row in rows:
        position, stream_type, stream_id, version, event_type, schema_version, text, at = row[:8]
        if followed is not None and stream_type not in followed:
            continue
        if stream_type != run_type:
            if run:
                yield run_type, run
            run, run_type = [], stream_type
        run.append(
            RecordedEvent(
                position=position,
                stream_type=stream_type,
                stream_id=stream_id,
                version=version,
                event=registry.from_json(event_type, schema_version, text),
                metadata=_metadata(row, metadata_keys),
                recorded_at=at,
            )
        )
    if run:
        yield run_type, run


def _metadata(row: tuple, keys: Sequence[str]) -> Mapping[str, Any]:
    if len(row) <= 8:
        return NO_METADATA
    if not keys:
        return row[8]
    found = {key: value for key, value in zip(keys, row[8:], strict=True) if value is not None}
    return found or NO_METADATA


def write_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows``, each the values of ``fields`` in that order, into ``model``'s table.

    On PostgreSQL through COPY; elsewhere with ``bulk_create``, building the model
    instances of one batch at a time. Values must be what the column stores (a Decimal, a
    UUID, an aware datetime, a plain string), as a live handler would pass them.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for batch in batched(rows, WRITE_BATCH, strict=False):
            model.objects.bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in batch]
            )
        return
    from psycopg import sql

    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(model._meta.get_field(name).column) for name in fields),
    )
    with connection.cursor() as cursor, cursor.cursor.copy(copy) as stream:
        for row in rows:
            stream.write_row(row)


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector (in every thread of the process) meanwhile.

    Replayers keep millions of small objects alive until they write, and the collector
    would walk them all again each time it runs: a quarter of a rebuild's time, measured
    over a million events. A replay makes next to no reference cycles (a few dozen
    objects over that million), so nothing waits long to be freed.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def rebuild(
    projections: Sequence[Projection] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    batch: bool = True,
) -> int:
    """Empty ``projections`` (default: all) and replay the whole log into them.

    Projections with a ``replay`` fold in memory and write in bulk at the end; the others
    (all of them with ``batch=False``) get each run of events through their live handler.
    Runs in one transaction; returns the number of events replayed. ``progress`` is called
    after each chunk with the number of events replayed so far.
    """
    chosen = list(projections if projections is not None else registered())
    replayers = [p.replay() for p in chosen if batch and p.replay is not None]
    handlers = [p.handler for p in chosen if not (batch and p.replay is not None)]
    # A handler may follow any stream type and read the metadata; replayers say what they need.
    followed = None if handlers else frozenset().union(*(r.stream_types for r in replayers))
    keys = () if handlers else tuple(sorted({k for r in replayers for k in _keys_of(r)}))
    done = 0
    with transaction.atomic(), _collector_paused(bool(replayers)):
        for projection in chosen:
            projection.empty()
        chunks = log_chunks(chunk_size=chunk_size, metadata=bool(handlers), metadata_keys=keys)
        for rows in chunks:
            for stream_type, events in _runs(rows, followed, keys):
                for replayer in replayers:
                    if stream_type in replayer.stream_types:
                        replayer.apply(stream_type, events)
                for handler in handlers:
                    handler(stream_type, events)
            done += len(rows)
            if progress is not None:
                progress(done)
        for replayer in replayers:
            replayer.write()
    return done


def _keys_of(replayer: Replayer) -> tuple[str, ...]:
    return tuple(getattr(replayer, "metadata_keys", ()))


# --- Drift ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Drift:
    projection: str
    model: str
    pk: Any
    stored: dict[str, Any] | None  # None: the row is missing from the stored projection
    rebuilt: dict[str, Any] | None  # None: the log does not produce this row

    def __str__(self) -> str:
        key = (
            "(" + ", ".join(str(part) for part in self.pk) + ")"
            if isinstance(self.pk, tuple)
            else str(self.pk)
        )
        where = f"{self.projection}: {self.model} {key}"
        if self.stored is None:
            return f"{where} missing (the log gives {self.rebuilt})"
        if self.rebuilt is None:
            return f"{where} should not exist (stored {self.stored})"
        changes = ", ".join(
            f"{name} stored {self.stored[name]!r}, rebuilt {self.rebuilt[name]!r}"
            for name in self.stored
            if self.stored[name] != self.rebuilt.get(name)
        )
        return f"{where}: {changes}"


def _snapshot(projection: Projection) -> dict[tuple[str, Any], dict[str, Any]]:
    rows = {}
    for model in projection.models:
        keys = projection.key_fields(model)
        names = projection.compared_fields(model)
        wanted = list(dict.fromkeys((*keys, *names)))
        for values in model.objects.order_by(*keys).values(*wanted).iterator(chunk_size=5000):
            key = tuple(values[k] for k in keys)
            rows[(model._meta.label, key[0] if len(key) == 1 else key)] = {
                name: values[name] for name in names
            }
    return rows


class _RollBack(Exception):
    pass


def check(
    projections: Sequence[Projection] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Drift], int]:
    """Rebuild into a transaction that is rolled back; return the drift and the event count.

    Leaves the stored projections untouched.
    """
    chosen = list(projections if projections is not None else registered())
    stored: dict[str, dict] = {}
    rebuilt: dict[str, dict] = {}
    count = 0
    try:
        with transaction.atomic():
            # A command committing meanwhile (READ COMMITTED) can show up as drift: run
            # --check on a quiet database, or run it again.
            stored = {p.name: _snapshot(p) for p in chosen}
            count = rebuild(chosen, chunk_size=chunk_size, progress=progress)
            rebuilt = {p.name: _snapshot(p) for p in chosen}
            raise _RollBack
    except _RollBack:
        pass
    drift = []
    for projection in chosen:
        before, after = stored[projection.name], rebuilt[projection.name]
        for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0], str(k[1]))):
            if before.get(key) != after.get(key):
                drift.append(
                    Drift(projection.name, key[0], key[1], before.get(key), after.get(key))
                )
    return drift, count
