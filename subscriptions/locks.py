"""Which worker runs which job: one holder per job, taken over when the holder dies.

PostgreSQL: a session advisory lock per job (``pg_try_advisory_lock(19019, hashtext(job))``,
the two-key form, apart from the streams' one-key locks) on a connection of its own. A
worker that dies closes its socket and the server lets the lock go at once; a machine that
vanishes is noticed by TCP keepalives (5 s idle, then 2 probes 2 s apart), so another worker
takes its jobs over within about ten seconds.

SQLite: an ``flock`` per job on a file beside the database. The kernel lets it go when the
process dies. SQLite has one writer at a time anyway, so workers on one machine share the
jobs without gaining speed; the database file cannot be shared across machines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

import psycopg
from django.db import connection

NAMESPACE = 19019  # the first key of every job lock


class PostgresLocks:
    def __init__(self) -> None:
        self._conn: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection:
        s = connection.settings_dict
        params = {
            "dbname": s["NAME"],
            "user": s["USER"] or None,
            "password": s["PASSWORD"] or None,
            "host": s["HOST"] or None,
            "port": s["PORT"] or None,
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
            "application_name": "run_subscriptions locks",
        }
        conn = psycopg.connect(
            **{k: v for k, v in params.items() if v is not None}, autocommit=True
        )
        # The server side too: a vanished worker's locks go within seconds.
        conn.execute("SET tcp_keepalives_idle = 5")
        conn.execute("SET tcp_keepalives_interval = 2")
        conn.execute("SET tcp_keepalives_count = 2")
        return conn

    def try_acquire(self, job: str) -> bool:
        if self._conn is None:
            self._conn = self._connect()
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [NAMESPACE, job]
        ).fetchone()
        return bool(row[0])

    def alive(self) -> bool:
        """Whether the locks taken are still held (their connection still answers)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self.close()
            return False
        return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


class FileLocks:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files: dict[str, int] = {}

    def try_acquire(self, job: str) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{job}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._files[job] = fd
        return True

    def alive(self) -> bool:
        return bool(self._files)

    def close(self) -> None:
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()


def for_database() -> PostgresLocks | FileLocks:
    if connection.vendor == "postgresql":
        return PostgresLocks()
    name = str(connection.settings_dict["NAME"])
    if "memory" in name or not name:
        folder = Path(tempfile.gettempdir()) / f"shop-subscriptions-{os.getpid()}"
    else:
        folder = Path(name).with_name(Path(name).name + ".locks")
    return FileLocks(folder)
