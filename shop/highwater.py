"""The safe high-water mark: the highest position below which the log can no longer change.

A reader that trusts ``position > checkpoint`` skips events on PostgreSQL: a transaction
takes a position when it inserts and makes it visible when it commits, so position 11 can
be visible while position 10 belongs to a transaction still running. Nor is "only events
whose transaction id is below the oldest running one" enough alone: an older transaction
can take a later position and commit while a younger one still holds an earlier position
(``tests/concurrency/test_subscriptions.py`` builds that case). This module answers "up to
which position is every event that will ever exist already visible?".

PostgreSQL. Every insert into the event log takes its transaction id *before* its positions
(a statement-level trigger, migration ``shop.0006``). A poll, in this order:

1. reads ``P``, the last position handed out (the identity sequence's ``last_value``);
2. takes a transaction id ``X`` of its own in a transaction it commits at once (transaction
   ids are handed out in order, so every transaction that took a position up to ``P`` has
   an id below ``X``);
3. lists the transactions still running in this database (``pg_stat_activity.backend_xid``).

The events up to ``P`` are final once no transaction of this database older than ``X``
is running: all the transactions that could hold those positions have committed or rolled
back. The reader keeps the pairs ``(P, X)`` it has not yet passed and moves its mark to the
highest ``P`` that passed. In a quiet database that is the poll that read it; otherwise the
first poll after the transactions that were running have ended. A transaction held open
holds the mark back (latency, never a skip). Transactions of other databases on the
cluster do not count: they cannot write this log. Prepared (two-phase) transactions do not
show in ``pg_stat_activity``: the shop uses none (``max_prepared_transactions`` is 0 by
default); a deployment that uses them must not insert events in them.

Durability. With ``DB_RELEASE_LOCKS_EARLY`` on, a commit is visible a moment before its WAL
is flushed, and a crash then would take it back. ``flush_barrier()`` writes a small WAL
record and waits for its flush; the WAL is written in order, so every commit visible before
it is on disk once it returns. A reader that acts outside the database (the outbox relay
publishing to a broker) calls it after ``poll()`` and before acting on the events up to the
new mark (they all committed before the poll). A reader whose acts are database writes it
commits synchronously (a subscriber's batch) needs none: its commit comes after theirs in
the WAL.

SQLite has one writer at a time and a reader sees a committed prefix of the log: every
visible event is final, and a commit (``synchronous=NORMAL`` in WAL mode) survives a crash
of the process, though not of the machine's power.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

from shop.models import Event


@dataclass
class HighWaterMark:
    """One reader's view of the safe mark. Not shared between threads."""

    mark: int = 0
    pending: list[tuple[int, int]] = field(default_factory=list)
    _sequence: str | None = None

    def poll(self) -> int:
        """Move the mark as far as is safe now, and return it. Runs outside a transaction."""
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT MAX(position) FROM {Event._meta.db_table}")
                (head,) = cursor.fetchone()
            self.mark = max(self.mark, head or 0)
            return self.mark
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_value, is_called FROM {self._sequence_name(cursor)}")
            last_value, is_called = cursor.fetchone()
        taken = last_value if is_called else 0
        if taken <= self.mark:  # nothing handed out since the mark: an idle poll writes nothing
            return self.mark
        with transaction.atomic(), connection.cursor() as cursor:
            # An id of its own, after the read: it writes only a commit record, unflushed.
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            (xid,) = cursor.fetchone()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT backend_xid::text::bigint FROM pg_stat_activity "
                "WHERE datname = current_database() AND backend_xid IS NOT NULL"
            )
            running = [row[0] for row in cursor.fetchall()]
        self.pending.append((taken, xid))
        passed = [taken for taken, xid in self.pending if not _any_older(running, xid)]
        if passed:
            self.mark = max(self.mark, *passed)
            self.pending = [(t, x) for t, x in self.pending if t > self.mark]
        del self.pending[:-1000]  # behind a transaction held open for hours: keep the newest
        return self.mark

    def _sequence_name(self, cursor) -> str:
        if self._sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'position')", [Event._meta.db_table])
            (self._sequence,) = cursor.fetchone()
        return self._sequence


def _any_older(running: list[int], xid: int) -> bool:
    """Whether any of the running 32-bit transaction ids is older than the 64-bit ``xid``
    (PostgreSQL's circular comparison: within 2^31 behind is older)."""
    own = xid & 0xFFFFFFFF
    return any(0 < (own - other) % 2**32 < 2**31 for other in running)


def flush_barrier() -> None:
    """Return once every commit visible now is on disk (PostgreSQL; a no-op on SQLite).

    A transaction of its own that writes one WAL record and, with ``synchronous_commit`` on,
    waits for its flush; the WAL before it is flushed with it.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
        cursor.execute("SELECT pg_logical_emit_message(true, 'shop', 'subscriber')")
