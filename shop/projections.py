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

``rebuild()`` runs in the caller's transaction; ``check()`` rebuilds inside a transaction it
rolls back, and returns every row that differs from what was stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from shop.eventstore import RecordedEvent, to_recorded
from shop.models import Event

Handler = Callable[[str, list[RecordedEvent]], None]
CHUNK_SIZE = 2000


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
) -> Projection:
    """Register a projection under ``name`` (registering the same name again replaces it)."""
    projection = Projection(
        name,
        tuple(models),
        handler,
        reset,
        {model: tuple(names) for model, names in (keys or {}).items()},
        {model: tuple(names) for model, names in (fields or {}).items()},
    )
    _projections[name] = projection
    return projection


def registered() -> list[Projection]:
    return list(_projections.values())


def get(name: str) -> Projection:
    return _projections[name]


# --- Replay ---------------------------------------------------------------------------------


def event_chunks(*, chunk_size: int = CHUNK_SIZE) -> Iterator[list[Event]]:
    """Every event in position order, ``chunk_size`` rows at a time (keyset pagination)."""
    last = 0
    while True:
        rows = list(Event.objects.filter(position__gt=last).order_by("position")[:chunk_size])
        if not rows:
            return
        yield rows
        last = rows[-1].position


def _runs(rows: list[Event]) -> Iterator[tuple[str, list[RecordedEvent]]]:
    """Consecutive events of the same stream type, upcast and decoded."""
    run: list[RecordedEvent] = []
    for row in rows:
        if run and run[-1].stream_type != row.stream_type:
            yield run[-1].stream_type, run
            run = []
        run.append(to_recorded(row))
    if run:
        yield run[-1].stream_type, run


def rebuild(
    projections: Sequence[Projection] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Empty ``projections`` (default: all) and replay the whole log into them.

    Runs in one transaction; returns the number of events replayed. ``progress`` is called
    after each chunk with the number of events replayed so far.
    """
    chosen = list(projections if projections is not None else registered())
    done = 0
    with transaction.atomic():
        for projection in chosen:
            projection.empty()
        for rows in event_chunks(chunk_size=chunk_size):
            for stream_type, events in _runs(rows):
                for projection in chosen:
                    projection.handler(stream_type, events)
            done += len(rows)
            if progress is not None:
                progress(done)
    return done


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
