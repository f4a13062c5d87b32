"""Who runs the schedule when several daemons share one database.

On PostgreSQL the schedule belongs to whoever holds a session-level advisory lock on a
dedicated connection. When that process dies its session ends and PostgreSQL releases the
lock, so a standby that retries every ``leader_poll`` takes over within that bound. A
leader that can no longer reach its lease connection steps down at once: it may already
have lost the lock.

SQLite is one machine, one file: the daemon there always leads (:class:`LocalLease`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

import sqlalchemy as sa

log = logging.getLogger(__name__)

LEASE_NAME = "signalflow:schedule"


def lock_key(name: str = LEASE_NAME) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Lease(Protocol):
    def acquire(self) -> bool:
        """Try to take the lease; True when this process holds it (now or already)."""

    def held(self) -> bool:
        """Whether the lease is still ours: checks the connection that holds it."""

    def release(self) -> None:
        """Give the lease up (on shutdown)."""


class LocalLease:
    """Always held: a single daemon per SQLite file."""

    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class AdvisoryLease:
    """A PostgreSQL advisory lock held by a connection of its own."""

    def __init__(self, url: sa.URL | str, name: str = LEASE_NAME) -> None:
        self.key = lock_key(name)
        # Keepalives let a half-dead network end the session, so the lock cannot outlive us.
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.NullPool,
            connect_args={"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
                          "keepalives_interval": 5, "keepalives_count": 3},
        )
        self.conn: sa.Connection | None = None

    def acquire(self) -> bool:
        if self.conn is not None:
            return self.held()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar_one()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("cannot try the schedule lease", extra={"error": str(exc.__cause__ or exc)})
            return False
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    def held(self) -> bool:
        if self.conn is None:
            return False
        try:
            self.conn.execute(sa.text("SELECT 1")).scalar_one()
            return True
        except sa.exc.SQLAlchemyError as exc:
            log.error("schedule lease lost", extra={"error": str(exc.__cause__ or exc)})
            self._drop()
            return False

    def release(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        except sa.exc.SQLAlchemyError:
            pass  # the session is gone, and with it the lock
        self._drop()

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        try:
            if conn is not None:
                conn.invalidate()
                conn.close()
        except sa.exc.SQLAlchemyError:
            pass

    def close(self) -> None:
        self.release()
        self.engine.dispose()


def lease_for(store) -> Lease:
    """The lease that fits the store's database."""
    if store.engine.dialect.name == "postgresql":
        return AdvisoryLease(store.engine.url)
    return LocalLease()
