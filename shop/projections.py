"""Projections: what each event does to read-model rows, declared once, applied live and
in batch by this module.

An app declares, per projection, one pure function from a recorded event to row changes
and registers it in ``ready()`` (``carts/projections.py`` is a full example)::

    def basket_rows(event, recorded) -> Iterable[Change]:
        match event:
            case LineAdded(sku=sku, quantity=q, price=price):
                return StreamRow(add={"item_count": q}), Upsert(
                    BasketLine,
                    key={"basket_id": recorded.stream_id, "sku": sku},
                    values={"quantity": q, "price": price},
                    add=("quantity",),  # a line there already: add the quantity to it
                )
        return ()

    projections.register(
        "baskets", stream_type="basket", rows=basket_rows, models=[Basket, BasketLine],
        stream_row=Basket, keys={BasketLine: ("basket_id", "sku")},
        first_recorded_at="created_at", last_recorded_at="updated_at",
    )

The changes are ``StreamRow`` (the stream's own row), ``Upsert``, ``Update`` and ``Delete``
of a row by its natural key. This module applies them

- **live**, in the append's transaction (its ``events_appended`` receiver), as a few SQL
  statements per event, built once per shape of change and cached;
- **in batch**, when ``rebuild()`` replays the log: it folds the changes of every event into
  rows in memory and writes them at the end with ``write_rows`` (COPY on PostgreSQL,
  ``bulk_create`` elsewhere), with no SQL per event.

**The version rule is this module's.** A projection with a ``stream_row`` model keeps one
row per stream, keyed by the stream id, whose ``version`` and ``last_position`` columns say
which event it has seen last. Version 1 creates the row (from the model's defaults and the
event's ``StreamRow`` changes), unless it exists or the event is not one of ``created_by``;
every later event applies only if the row is at the version before it, and advances it,
even when its mapping changes nothing else. An event seen again, or out of order, changes
nothing, in any row. On PostgreSQL the stream row's statement and an event's one other
row change go as one statement (a data-modifying ``WITH``: the second part runs only if
the first advanced the stream row); SQLite, which cannot nest an UPDATE in a WITH, runs
them one after the other.

A projection without a ``stream_row`` (coupon redemptions, kept on rows staff own) has no
version to check: its changes are applied as they come, which the live receiver and the
rebuild each do exactly once per event. Its rows are not emptied by a rebuild (``reset``
says what is), so the batch path may only ``Update`` them: it sums the changes per row and
writes one UPDATE per row.

Mappings must give the same rows live and on replay: no clock, no random, no queries;
timestamps come from ``recorded.recorded_at``. On replay an event's metadata holds only the
keys its projection names in ``metadata_keys``. ``tests/integration/test_replay.py`` plays random
journeys through the services and requires the live rows, a per-event rebuild
(``rebuild(batch=False)``, the live path replayed) and the batch rebuild to be identical.

``rebuild()`` runs in the caller's transaction; ``check()`` rebuilds inside a transaction it
rolls back, and returns every row that differs from what was stored.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import batched
from operator import itemgetter
from types import MappingProxyType
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.db.models import F
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from shop import personal, registry
from shop.eventstore import RecordedEvent, events_appended
from shop.models import Event

CHUNK_SIZE = 2000  # events read per query
WRITE_BATCH = 2000  # model instances per bulk_create (databases without COPY)
NOTHING: Mapping[str, Any] = MappingProxyType({})

# --- What an event does to rows -------------------------------------------------------------
#
# Columns are named by attname (``cart_id``, not ``cart``); values are what the column
# stores (a Decimal amount and a currency, not Money).


@dataclass(frozen=True, slots=True)
class StreamRow:
    """Changes to the stream's own row (the projection's ``stream_row`` model): ``set``
    columns to values, ``add`` a number to columns."""

    set: Mapping[str, Any] = NOTHING
    add: Mapping[str, int] = NOTHING


@dataclass(frozen=True, slots=True)
class Upsert:
    """Insert the row ``key`` + ``values`` (any other column: the model's default). If a row
    with that key exists, add the new values of the ``add`` columns to it; the rest stays
    as first written (with no ``add``, the existing row is left alone)."""

    model: type[models.Model]
    key: Mapping[str, Any]
    values: Mapping[str, Any] = NOTHING
    add: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Update:
    """Change the row with this key, if there is one."""

    model: type[models.Model]
    key: Mapping[str, Any]
    set: Mapping[str, Any] = NOTHING
    add: Mapping[str, int] = NOTHING


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the row with this key, if there is one."""

    model: type[models.Model]
    key: Mapping[str, Any]


type Change = StreamRow | Upsert | Update | Delete
type RowsOf = Callable[[Any, RecordedEvent], Iterable[Change]]


# --- The registry ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Projection:
    name: str
    stream_type: str  # the only events ``rows`` is given
    rows: RowsOf  # (event, recorded) -> changes
    models: tuple[type[models.Model], ...]
    # One row per stream, keyed by the stream id, with ``version`` and ``last_position``:
    # the next-version rule applies. None: changes are applied as they come.
    stream_row: type[models.Model] | None = None
    # The events whose version 1 creates the stream row (empty: any event); a stream that
    # starts with another gets no row, and none of its events apply.
    created_by: tuple[type, ...] = ()
    # Columns of the stream row that take the first / the last applied event's recorded_at.
    first_recorded_at: str | None = None
    last_recorded_at: str | None = None
    # Empties the projection before a replay; default: delete every row of ``models``. A
    # projection kept on rows someone else owns resets only its columns, and may only
    # ``Update`` those rows.
    reset: Callable[[], None] | None = None
    # How rows are told apart (default: the primary key): the natural key ``Upsert``,
    # ``Update`` and ``Delete`` name, which ``check`` compares by too (an auto-increment
    # id is renumbered by a rebuild).
    keys: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)
    # Fields ``check`` compares (default: every concrete field but an auto-increment id).
    fields: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)
    # The metadata keys ``rows`` reads: replay reads just those (live gets all metadata).
    metadata_keys: tuple[str, ...] = ()
    # Columns holding personal data copied from events, per model: an erasure sets them to
    # "[erased]" on the rows of the streams it concerns (what a rebuild then gives too).
    personal: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)

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
_following: dict[str, list[Projection]] = {}  # stream type → its projections, in order


def register(
    name: str,
    *,
    stream_type: str,
    rows: RowsOf,
    models: Sequence[type[models.Model]],
    stream_row: type[models.Model] | None = None,
    created_by: Sequence[type] = (),
    first_recorded_at: str | None = None,
    last_recorded_at: str | None = None,
    reset: Callable[[], None] | None = None,
    keys: dict[type[models.Model], Sequence[str]] | None = None,
    fields: dict[type[models.Model], Sequence[str]] | None = None,
    metadata_keys: Sequence[str] = (),
    personal: dict[type[models.Model], Sequence[str]] | None = None,
) -> Projection:
    """Register a projection under ``name`` (registering the same name again replaces it)
    and apply it, from now on, to every event appended to a ``stream_type`` stream."""
    if stream_row is not None and stream_row not in models:
        raise ValueError(f"{name}: the stream row's model must be one of its models")
    projection = Projection(
        name,
        stream_type,
        rows,
        tuple(models),
        stream_row,
        tuple(created_by),
        first_recorded_at,
        last_recorded_at,
        reset,
        {model: tuple(names) for model, names in (keys or {}).items()},
        {model: tuple(names) for model, names in (fields or {}).items()},
        tuple(metadata_keys),
        {model: tuple(names) for model, names in (personal or {}).items()},
    )
    _projections[name] = projection
    _stream_columns.pop(name, None)
    _following.clear()
    for known in _projections.values():
        _following.setdefault(known.stream_type, []).append(known)
    events_appended.connect(_on_events_appended, dispatch_uid="shop.projections")
    return projection


def erase_personal(stream_ids: Sequence[UUID]) -> int:
    """Set the personal columns of every projection's rows of these streams to "[erased]".

    A row belongs to a stream by its stream row's key, or by the first of its model's
    ``keys`` (``OrderLine``: ``order_id``). Returns the number of rows changed.
    """
    from shop.registry import ERASED

    changed = 0
    if not stream_ids:
        return 0
    for projection in _projections.values():
        for model, columns in projection.personal.items():
            if model is projection.stream_row:
                column = model._meta.pk.attname
            else:
                column = projection.key_fields(model)[0]
            changed += model.objects.filter(**{f"{column}__in": list(stream_ids)}).update(
                **dict.fromkeys(columns, ERASED)
            )
    return changed


def registered() -> list[Projection]:
    return list(_projections.values())


def get(name: str) -> Projection:
    return _projections[name]


# --- Tables: what the writers need of a model, looked up once -------------------------------


class _Table:
    """A model's insertable columns (every concrete one but an auto-increment id or a
    generated column), their defaults and converters, and its quoted names."""

    __slots__ = ("columns", "defaults", "fields", "index", "model", "name", "pk", "quote")

    def __init__(self, model: type[models.Model], quote: Callable[[str], str]) -> None:
        meta = model._meta
        self.model = model
        self.fields = [
            f
            for f in meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField)) and not f.generated
        ]
        self.columns = tuple(f.attname for f in self.fields)
        self.index = {name: i for i, name in enumerate(self.columns)}
        # Taken once: projected columns have plain defaults, never a callable's fresh value.
        self.defaults = [f.get_default() for f in self.fields]
        self.pk = meta.pk.attname
        self.quote = quote
        self.name = quote(meta.db_table)

    def column(self, name: str) -> str:
        return self.quote(self.fields[self.index[name]].column)

    def prep(self, name: str, value: Any, connection) -> Any:
        """``value`` as the column stores it (SQLite keeps UUIDs and datetimes as text)."""
        return self.fields[self.index[name]].get_db_prep_value(value, connection)

    def prep_row(self, row: Sequence[Any], connection) -> list[Any]:
        return [f.get_db_prep_value(v, connection) for f, v in zip(self.fields, row, strict=True)]

    def new_row(self, key: Mapping[str, Any], values: Mapping[str, Any]) -> list[Any]:
        row = self.defaults.copy()
        index = self.index
        for name, value in key.items():
            row[index[name]] = value
        for name, value in values.items():
            row[index[name]] = value
        return row


_tables: dict[type[models.Model], _Table] = {}


def _table(model: type[models.Model]) -> _Table:
    table = _tables.get(model)
    if table is None:
        table = _tables[model] = _Table(model, transaction.get_connection().ops.quote_name)
    return table


# --- The stream row: born at version 1, then advanced one version at a time -----------------


@dataclass(frozen=True, slots=True)
class _StreamColumns:
    """Where a projection's stream row keeps what the version rule needs."""

    table: _Table
    version: int
    position: int
    first_recorded_at: int | None
    last_recorded_at: int | None


_stream_columns: dict[str, _StreamColumns] = {}  # by projection name


def _columns(projection: Projection) -> _StreamColumns:
    columns = _stream_columns.get(projection.name)
    if columns is None:
        table = _table(projection.stream_row)
        index = table.index
        columns = _stream_columns[projection.name] = _StreamColumns(
            table,
            index["version"],
            index["last_position"],
            index[projection.first_recorded_at] if projection.first_recorded_at else None,
            index[projection.last_recorded_at] if projection.last_recorded_at else None,
        )
    return columns


def _born(columns: _StreamColumns, recorded: RecordedEvent) -> list[Any]:
    """The stream row version 1 creates, before the event applies: the model's defaults."""
    table = columns.table
    row = table.defaults.copy()
    row[table.index[table.pk]] = recorded.stream_id
    if columns.first_recorded_at is not None:
        row[columns.first_recorded_at] = recorded.recorded_at
    return row


def _creates(projection: Projection, recorded: RecordedEvent) -> bool:
    """Whether this version-1 event creates the stream row (or, unversioned, applies)."""
    created_by = projection.created_by
    return not created_by or projection.stream_row is None or type(recorded.event) in created_by


def _advance(columns: _StreamColumns, row: list[Any], recorded: RecordedEvent) -> None:
    """Stamp the stream row in memory with the event's version, as ``_stream_row_sql``
    does in SQL; ``_change_row`` then applies the event's ``StreamRow``."""
    row[columns.version] = recorded.version
    row[columns.position] = recorded.position
    if columns.last_recorded_at is not None:
        row[columns.last_recorded_at] = recorded.recorded_at


def _change_row(index: dict[str, int], row: list[Any], sets: Mapping, adds: Mapping) -> None:
    if sets:
        for name, value in sets.items():
            row[index[name]] = value
    if adds:
        for name, value in adds.items():
            row[index[name]] += value


# --- Live: SQL per event, in the append's transaction ---------------------------------------

_sql: dict[tuple, str] = {}


def _cached(key: tuple, build: Callable[[], str]) -> str:
    sql = _sql.get(key)
    if sql is None:
        sql = _sql[key] = build()
    return sql


def _stream_row_sql(
    projection: Projection, recorded: RecordedEvent, change: StreamRow | None, connection
) -> tuple[str, list[Any]]:
    """Version 1: insert the stream row unless it exists. Later: advance it, only from the
    version before."""
    columns = _columns(projection)
    table = columns.table
    if recorded.version == 1:
        row = _born(columns, recorded)
        _advance(columns, row, recorded)
        if change is not None:
            _change_row(table.index, row, change.set, change.add)
        sql = _cached(("born", table.model), lambda: _insert_sql(table, 1, (table.pk,), ()))
        return sql, table.prep_row(row, connection)
    sets = ("version", "last_position")
    values = [recorded.version, recorded.position]
    if projection.last_recorded_at:
        sets += (projection.last_recorded_at,)
        values.append(table.prep(projection.last_recorded_at, recorded.recorded_at, connection))
    adds: tuple[str, ...] = ()
    if change is not None:
        sets += tuple(change.set)
        values += [table.prep(n, v, connection) for n, v in change.set.items()]
        adds = tuple(change.add)
        values += change.add.values()
    sql = _cached(
        ("advance", table.model, sets, adds),
        lambda: _update_sql(table, sets, adds, (table.pk, "version")),
    )
    values += [table.prep(table.pk, recorded.stream_id, connection), recorded.version - 1]
    return sql, values


def _insert_sql(
    table: _Table, rows: int, key: tuple[str, ...], add: tuple[str, ...], *, gated: bool = False
) -> str:
    columns = ", ".join(table.quote(f.column) for f in table.fields)
    marks = ", ".join(["%s"] * len(table.fields))
    if gated:  # one row, only if the stream row advanced (PostgreSQL: see _project_one)
        source = f"SELECT {marks} FROM advanced"
    else:
        source = "VALUES " + ", ".join([f"({marks})"] * rows)
    target = ", ".join(table.column(name) for name in key)
    if add:
        then = "DO UPDATE SET " + ", ".join(
            f"{table.column(n)} = {table.name}.{table.column(n)} + excluded.{table.column(n)}"
            for n in add
        )
    else:
        then = "DO NOTHING"
    return f"INSERT INTO {table.name} ({columns}) {source} ON CONFLICT ({target}) {then}"


def _update_sql(
    table: _Table,
    sets: tuple[str, ...],
    adds: tuple[str, ...],
    key: tuple[str, ...],
    *,
    gated: bool = False,
) -> str:
    assignments = [f"{table.column(n)} = %s" for n in sets]
    assignments += [f"{table.column(n)} = {table.column(n)} + %s" for n in adds]
    return f"UPDATE {table.name} SET {', '.join(assignments)} WHERE " + _where(table, key, gated)


def _delete_sql(table: _Table, key: tuple[str, ...], *, gated: bool = False) -> str:
    return f"DELETE FROM {table.name} WHERE " + _where(table, key, gated)


def _where(table: _Table, key: tuple[str, ...], gated: bool) -> str:
    where = " AND ".join(f"{table.column(n)} = %s" for n in key)
    return where + " AND EXISTS (SELECT 1 FROM advanced)" if gated else where


@dataclass(frozen=True, slots=True)
class _Statement:
    """One statement for other rows' changes: its shape (what the SQL text depends on)
    and its parameters."""

    kind: str  # "upsert", "update" or "delete"
    table: _Table
    shape: tuple  # upsert: (rows, key, add); update: (sets, adds, key); delete: (key,)
    params: list[Any]

    @property
    def single(self) -> bool:
        """One row: it can run gated on the stream row's statement, in one WITH."""
        return self.kind != "upsert" or self.shape[0] == 1

    def sql(self) -> str:
        return _cached((self.kind, self.table.model, self.shape, False), self._build)

    def gated_sql(self) -> str:
        return _cached((self.kind, self.table.model, self.shape, True), self._build_gated)

    def _build(self, gated: bool = False) -> str:
        match self.kind:
            case "upsert":
                return _insert_sql(self.table, *self.shape, gated=gated)
            case "update":
                return _update_sql(self.table, *self.shape, gated=gated)
        return _delete_sql(self.table, *self.shape, gated=gated)

    def _build_gated(self) -> str:
        return self._build(gated=True)


def _statements(changes: list[Upsert | Update | Delete], connection) -> list[_Statement]:
    """The SQL for other rows' changes, in order; consecutive upserts of the same shape
    and different keys go as one multi-row INSERT."""
    statements: list[_Statement] = []
    group: list[Upsert] = []

    def flush() -> None:
        if not group:
            return
        first = group[0]
        table = _table(first.model)
        params = []
        for change in group:
            params += table.prep_row(table.new_row(change.key, change.values), connection)
        shape = (len(group), tuple(first.key), first.add)
        statements.append(_Statement("upsert", table, shape, params))
        group.clear()

    for change in changes:
        if type(change) is Upsert:
            if group and not _joins(group, change):
                flush()
            group.append(change)
            continue
        flush()
        table = _table(change.model)
        key = tuple(change.key)
        where = [table.prep(n, v, connection) for n, v in change.key.items()]
        if type(change) is Update:
            params = [table.prep(n, v, connection) for n, v in change.set.items()]
            params += change.add.values()
            shape = (tuple(change.set), tuple(change.add), key)
            statements.append(_Statement("update", table, shape, params + where))
        elif type(change) is Delete:
            statements.append(_Statement("delete", table, (key,), where))
        else:
            raise TypeError(f"not a row change: {change!r}")
    flush()
    return statements


def _joins(group: list[Upsert], change: Upsert) -> bool:
    first = group[0]
    return (
        change.model is first.model
        and change.add == first.add
        and tuple(change.key) == tuple(first.key)
        and all(change.key != other.key for other in group)
    )


def _split(changes: Iterable[Change]) -> tuple[StreamRow | None, list]:
    stream_change, others = None, []
    for change in changes:
        if type(change) is StreamRow:
            if stream_change is not None:
                raise ValueError("one StreamRow per event")
            stream_change = change
        else:
            others.append(change)
    return stream_change, others


def _project_one(projection: Projection, recorded: RecordedEvent, cursor, connection) -> None:
    if recorded.version == 1 and not _creates(projection, recorded):
        return
    stream_change, others = _split(projection.rows(recorded.event, recorded))
    statements = _statements(others, connection)
    if projection.stream_row is None:
        for statement in statements:
            cursor.execute(statement.sql(), statement.params)
        return
    sql, params = _stream_row_sql(projection, recorded, stream_change, connection)
    if connection.vendor == "postgresql" and len(statements) == 1 and statements[0].single:
        # One statement: the row change runs only if the stream row advanced. One round
        # trip fewer inside the stream's lock (add to cart, one cart in four tabs: ~5 %).
        only = statements[0]
        gated = _cached(
            ("advanced", sql, only.kind, only.table.model, only.shape),
            lambda: f"WITH advanced AS ({sql} RETURNING 1) {only.gated_sql()}",
        )
        cursor.execute(gated, params + only.params)
        return
    cursor.execute(sql, params)
    if cursor.rowcount != 1:
        return  # seen already, or out of order: the stream row is not at the version before
    for statement in statements:
        cursor.execute(statement.sql(), statement.params)


def project(stream_type: str, events: Sequence[RecordedEvent]) -> None:
    """Apply consecutive events of one stream type, live, to every projection of it."""
    followers = _following.get(stream_type)
    if not followers:
        return
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        for projection in followers:
            for recorded in events:
                _project_one(projection, recorded, cursor, connection)


def _on_events_appended(sender: str, events: list[RecordedEvent], **kwargs) -> None:
    project(sender, events)


# --- Batch: the same changes, folded in memory for a whole log, written in bulk -------------


class _Fold:
    """One projection's rows while a rebuild folds the log: per model, key → column values
    (a list in the table's column order), in the order the rows were first written, which
    is the order their auto-increment ids take live."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.owned = projection.reset is None
        self.rows: dict[type[models.Model], dict[Any, list[Any]]] = {}
        # Per model: its table, the key getter, its rows (see ``_change``).
        self.models: dict[type[models.Model], tuple[_Table, Callable, dict]] = {}
        for model in projection.models:
            rows = self.rows[model] = {}
            keys = projection.key_fields(model)
            self.models[model] = (_table(model), _key_getter(keys), rows)
        # Rows this projection does not own (it has a ``reset``): the change's key → column
        # → (is a set, value), written as one UPDATE per row at the end.
        self.updates: dict[type[models.Model], dict[tuple, dict[str, tuple[bool, Any]]]] = {
            model: {} for model in projection.models
        }

    def apply(self, events: list[RecordedEvent]) -> None:
        projection = self.projection
        rows_of = projection.rows
        change_other = self._change
        if projection.stream_row is None:
            for recorded in events:
                for change in rows_of(recorded.event, recorded):
                    change_other(change)
            return
        columns = _columns(projection)
        index, version = columns.table.index, columns.version
        streams = self.rows[projection.stream_row]
        for recorded in events:
            row = streams.get(recorded.stream_id)
            if recorded.version == 1:
                if row is not None or not _creates(projection, recorded):
                    continue
                row = streams[recorded.stream_id] = _born(columns, recorded)
            elif row is None or row[version] != recorded.version - 1:
                continue  # as live: only the next version of the stream applies
            _advance(columns, row, recorded)
            for change in rows_of(recorded.event, recorded):
                if type(change) is StreamRow:
                    _change_row(index, row, change.set, change.add)
                else:
                    change_other(change)

    def _change(self, change: Change) -> None:
        kind = type(change)
        if kind is StreamRow:
            raise ValueError(f"{self.projection.name} has no stream row")
        table, key_of, rows = self.models[change.model]
        if not self.owned:
            if kind is not Update:
                raise ValueError(f"{self.projection.name} may only update {table.model} rows")
            # By the key the change names (a coupon's stream id), whatever ``keys`` says.
            pending = self.updates[change.model].setdefault(tuple(change.key.items()), {})
            for name, value in change.set.items():
                pending[name] = (True, value)
            for name, value in change.add.items():
                is_set, before = pending.get(name, (False, 0))
                pending[name] = (is_set, before + value)
            return
        key = key_of(change.key)
        if kind is Upsert:
            row = rows.get(key)
            if row is None:
                rows[key] = table.new_row(change.key, change.values)
            else:
                for name in change.add:
                    row[table.index[name]] += change.values[name]
        elif kind is Update:
            row = rows.get(key)
            if row is not None:
                _change_row(table.index, row, change.set, change.add)
        elif kind is Delete:
            rows.pop(key, None)
        else:
            raise TypeError(f"not a row change: {change!r}")

    def write(self) -> None:
        for model in self.projection.models:
            table = _table(model)
            if self.owned:
                write_rows(model, table.columns, self.rows[model].values())
                continue
            # Someone else's rows, a handful (coupons): one UPDATE each.
            for key, pending in self.updates[model].items():
                values = {
                    name: value if is_set else F(name) + value
                    for name, (is_set, value) in pending.items()
                    if is_set or value
                }
                if values:
                    model.objects.filter(**dict(key)).update(**values)


def _key_getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Any]:
    """A row's key from a change's key mapping: the value, or a tuple of several."""
    return itemgetter(*names)


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
NO_METADATA: Mapping[str, Any] = MappingProxyType({})


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
    personal.prefetch(row[6] for row in rows if followed is None or row[1] in followed)
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
                event=registry.from_json(event_type, schema_version, text, stream_id),
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
    values = row[8:]
    if values.count(None) == len(values):  # most events: none of the keys
        return NO_METADATA
    return {key: value for key, value in zip(keys, values, strict=True) if value is not None}


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
    from psycopg.types.json import Jsonb

    # A JSON column's value (a list, a dict) goes as jsonb, not as a PostgreSQL array.
    json = [
        i
        for i, name in enumerate(fields)
        if isinstance(model._meta.get_field(name), models.JSONField)
    ]
    with connection.cursor() as cursor, cursor.cursor.copy(copy) as stream:
        for row in rows:
            if json:
                row = list(row)
                for i in json:
                    if row[i] is not None:
                        row[i] = Jsonb(row[i])
            stream.write_row(row)


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Pause Python's cyclic garbage collector (in every thread of the process) meanwhile.

    A batch rebuild keeps millions of small objects alive until it writes, and the
    collector would walk them all again each time it runs: a quarter of a rebuild's time,
    measured over a million events. A replay makes next to no reference cycles (a few
    dozen objects over that million), so nothing waits long to be freed.
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

    In batch (the default) the changes are folded in memory and written in bulk at the
    end; with ``batch=False`` every event goes through the live path, statement by
    statement. Runs in one transaction; returns the number of events replayed.
    ``progress`` is called after each chunk with the number of events replayed so far.
    """
    chosen = list(projections if projections is not None else registered())
    followers: dict[str, list[Callable[[list[RecordedEvent]], None]]] = {}
    folds = [_Fold(p) for p in chosen] if batch else []
    for n, projection in enumerate(chosen):
        apply = folds[n].apply if batch else _live(projection)
        followers.setdefault(projection.stream_type, []).append(apply)
    followed = frozenset(followers)
    keys = tuple(sorted({key for p in chosen for key in p.metadata_keys}))
    # Every data key at once, if the replay decodes events that hold personal data at all.
    sealed = any(t.personal and t.stream_type in followed for t in registry.all_types())
    done = 0
    with transaction.atomic(), _collector_paused(batch), personal.reading(every_key=sealed):
        for projection in chosen:
            projection.empty()
        for rows in log_chunks(chunk_size=chunk_size, metadata=False, metadata_keys=keys):
            for stream_type, events in _runs(rows, followed, keys):
                for apply in followers[stream_type]:
                    apply(events)
            done += len(rows)
            if progress is not None:
                progress(done)
        for fold in folds:
            fold.write()
    return done


def _live(projection: Projection) -> Callable[[list[RecordedEvent]], None]:
    def apply(events: list[RecordedEvent]) -> None:
        connection = transaction.get_connection()
        with connection.cursor() as cursor:
            for recorded in events:
                _project_one(projection, recorded, cursor, connection)

    return apply


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
