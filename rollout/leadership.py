"""Exactly one rollout controller acts: a PostgreSQL advisory lock, or a lock file on SQLite.

PostgreSQL: ``pg_try_advisory_lock`` on a connection kept open for the controller's life (a
session lock: it goes with the connection, so a controller that dies or loses its database
connection frees it, and a standby takes over at its next try). SQLite (the embedded,
single-host default): ``flock`` on ``<database>.rollout.lock``, which excludes the
controllers of one host only; run one controller per SQLite database.
"""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path
from typing import IO

import sqlalchemy as sa

# One key for the whole cluster: the first 63 bits of a hash of the name.
LOCK_KEY = int.from_bytes(hashlib.blake2b(b"strangler rollout controller",
                                          digest_size=8).digest(), "big") >> 1


class Leadership:
    """Try to become the one acting controller; keep the lock until ``release``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._connection: sa.Connection | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        """Return True while this process holds the lock (checking it is still alive)."""
        if self.engine.dialect.name == "postgresql":
            return self._postgres()
        return self._lock_file()

    def _postgres(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                self._drop_connection()
        try:
            connection = self.engine.connect()
            held = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": LOCK_KEY}).scalar()
            connection.commit()
        except sa.exc.DBAPIError:
            return False
        if held:
            self._connection = connection
            return True
        connection.close()
        return False

    def _lock_file(self) -> bool:
        if self._file is not None:
            return True
        database = self.engine.url.database or "memory"
        handle = open(Path(f"{database}.rollout.lock"), "a")  # noqa: SIM115  (kept while held)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except sa.exc.DBAPIError:
                pass

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"),
                                         {"key": LOCK_KEY})
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
