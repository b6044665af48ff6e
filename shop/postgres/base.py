"""Django's PostgreSQL backend, whose commit can release the locks before the WAL flush.

Off by default: a plain commit makes nothing visible before it is durable.
``DB_RELEASE_LOCKS_EARLY=on`` opts in (one cart in several tabs then takes turns faster).

A command on a busy stream holds the stream's lock until it commits, and a commit waits for
its WAL to reach the disk. So every writer in the queue also waits for the flush of the one
before it, though the next writer only needs to *see* the commit, not to know it is on disk.

``release_locks_before_flush()`` asks that the current transaction end in three statements
sent in one round trip (early lock release, as in Johnson et al., "Aether", VLDB 2010)::

    SET LOCAL synchronous_commit = off;  -- this COMMIT does not wait for the flush,
    COMMIT;                              -- so its locks pass on at once;
    SELECT pg_logical_emit_message(...)  -- a transaction of its own, which does wait

The last transaction writes WAL after the commit and waits until it is flushed, and the WAL
is written in order: ``commit()`` returns, and the caller answers its user, only once the
commit is on disk, as before. What changes is who can see it meanwhile: a reader may see a
commit a moment before a crash would lose it. A writer that builds on it stays safe: its own
commit comes later in the WAL, so whatever makes it durable makes the first one durable too.

Every role may call ``pg_logical_emit_message`` unless a DBA revoked it. Where that is so,
leave ``DB_RELEASE_LOCKS_EARLY`` off: otherwise a command would commit, then fail to answer.
"""

from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction

COMMIT_THEN_FLUSH = (
    "SET LOCAL synchronous_commit = off; COMMIT; "
    "SELECT pg_logical_emit_message(true, 'shop', 'flushed')"
)


class DatabaseWrapper(base.DatabaseWrapper):
    releases_locks_early = False  # of the transaction under way

    def release_locks_before_flush(self) -> None:
        """End the current transaction with an early lock release (the module's docstring).

        A rollback drops the request. A rolled-back savepoint keeps it, so the commit that
        follows may flush once more than it needed: never less.
        """
        self.releases_locks_early = self.settings_dict.get("RELEASE_LOCKS_EARLY", False)

    def _commit(self):
        if not self.releases_locks_early or self.connection is None:
            return super()._commit()
        self.releases_locks_early = False
        with debug_transaction(self, COMMIT_THEN_FLUSH), self.wrap_database_errors:
            # No parameters and never prepared: psycopg sends the three statements as one
            # simple query, the one protocol message that may carry several.
            self.connection.execute(COMMIT_THEN_FLUSH, prepare=False)

    def _rollback(self):
        self.releases_locks_early = False
        return super()._rollback()
