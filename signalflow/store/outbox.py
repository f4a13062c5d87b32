"""The outbox's queries, and its one writer.

Every notification (an alert's, a digest, an ops message) enters the outbox through
:func:`queue`, in the caller's transaction: the row's ``dedup_key`` makes a second write of
the same message a no-op, whoever writes it. The delivery worker reads and updates rows
through the other functions here.

A deliverer works on a row only under its lease (:func:`lease`): taken in a transaction that
locks the row (``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so of two deliverers on one database only one holds a row at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from signalflow.store.enums import Kind, OutboxStatus
from signalflow.store.models import OutboxRow, OutboxStepRow


def queue(
    session: Session,
    *,
    dedup_key: str,
    kind: Kind,
    notifier: str,
    route: str,
    payload_json: str,
    now: datetime,
    alert_id: int | None = None,
) -> OutboxRow | None:
    """Add one notification for delivery from ``now``; None when ``dedup_key`` is already in
    the outbox (the message was queued before). A concurrent writer of the same key makes
    the commit fail with an IntegrityError, so the message is still queued once."""
    if exists(session, dedup_key):
        return None
    row = OutboxRow(
        dedup_key=dedup_key,
        alert_id=alert_id,
        kind=Kind(kind),
        notifier=notifier,
        route=route,
        payload_json=payload_json,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def exists(session: Session, dedup_key: str) -> bool:
    return session.exec(select(OutboxRow.id).where(OutboxRow.dedup_key == dedup_key)).first() is not None


def keys_with_prefix(session: Session, prefix: str) -> list[str]:
    """Every dedup key starting with ``prefix`` (the ops messages keep their episodes there)."""
    return list(session.exec(select(OutboxRow.dedup_key).where(col(OutboxRow.dedup_key).startswith(prefix))))


def due_ids(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    """The rows to deliver at ``now``, oldest first: pending ones, and ``sending`` ones whose
    outcome is unknown (the worker reconciles those before sending again)."""
    query = (
        select(OutboxRow.id)
        .where(
            col(OutboxRow.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            OutboxRow.next_attempt_at <= now,
        )
        .order_by(col(OutboxRow.id))
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))


@contextmanager
def _locking(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that takes the database's write lock at once on SQLite (a deferred one
    could read, then fail to upgrade to writing); PostgreSQL locks rows as it selects them."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # In-memory databases share one connection; it may already be in a transaction.
            if not conn.connection.dbapi_connection.in_transaction:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn
        conn.commit()


def lease(
    engine: sa.Engine,
    outbox_id: int,
    owner: str,
    now: datetime,
    until: datetime,
    abandoned: Callable[[str], bool],
) -> bool:
    """Claim the row for ``owner`` until ``until``, if it is not done and nobody else holds
    it: no lease, an expired one (``lease_until`` before ``now``), or one whose owner
    ``abandoned`` says is gone. True when ``owner`` has it."""
    table = OutboxRow.__table__
    with _locking(engine) as conn:
        row = conn.execute(
            sa.select(table.c.status, table.c.lease_owner, table.c.lease_until)
            .where(table.c.id == outbox_id)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None or OutboxStatus(row.status).done:
            return False  # gone, done, or locked by a deliverer claiming it right now
        held = row.lease_owner and row.lease_owner != owner
        if held and row.lease_until is not None and row.lease_until > now and not abandoned(row.lease_owner):
            return False
        return _set_lease(conn, outbox_id, row.lease_owner, owner, until)


def renew(engine: sa.Engine, outbox_id: int, owner: str, until: datetime) -> bool:
    """Extend ``owner``'s lease; False when it lost the row (its lease expired and another
    deliverer took it over)."""
    with engine.begin() as conn:
        return _set_lease(conn, outbox_id, owner, owner, until)


def release(engine: sa.Engine, outbox_id: int, owner: str) -> None:
    with engine.begin() as conn:
        _set_lease(conn, outbox_id, owner, "", None)


def _set_lease(conn: sa.Connection, outbox_id: int, held_by: str, owner: str, until: datetime | None) -> bool:
    """Compare-and-set: hand the row's lease from ``held_by`` to ``owner``; True when the
    row was still held by ``held_by``."""
    changed = conn.execute(
        sa.update(OutboxRow)
        .where(col(OutboxRow.id) == outbox_id, col(OutboxRow.lease_owner) == held_by)
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1


def step(session: Session, outbox_id: int, name: str) -> OutboxStepRow:
    """The row's step ``name``, added (pending) the first time it is asked for."""
    found = session.exec(
        select(OutboxStepRow).where(OutboxStepRow.outbox_id == outbox_id, OutboxStepRow.name == name)
    ).first()
    if found is None:
        found = OutboxStepRow(outbox_id=outbox_id, name=name)
        session.add(found)
        session.flush()
    return found


def steps_of(session: Session, outbox_id: int) -> list[OutboxStepRow]:
    return list(
        session.exec(select(OutboxStepRow).where(OutboxStepRow.outbox_id == outbox_id).order_by(col(OutboxStepRow.id)))
    )


def earlier_open(session: Session, row: OutboxRow) -> bool:
    """Whether an earlier notification of the same alert on the same route is not done yet
    (a thread's messages and the root's edits go out in order)."""
    if row.alert_id is None:
        return False
    found = session.exec(
        select(OutboxRow.id).where(
            OutboxRow.alert_id == row.alert_id,
            OutboxRow.route == row.route,
            col(OutboxRow.id) < row.id,
            col(OutboxRow.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
    ).first()
    return found is not None


def thread_root(session: Session, alert_id: int, route: str) -> OutboxRow | None:
    """The first notification of an alert on a route: its receipt names the alert's thread."""
    return session.exec(
        select(OutboxRow).where(OutboxRow.alert_id == alert_id, OutboxRow.route == route).order_by(col(OutboxRow.id))
    ).first()


def first_rows(session: Session, alert_ids: Iterable[int]) -> dict[int, dict[str, OutboxRow]]:
    """Each alert's first notification per route: the routes it takes and its thread."""
    first: dict[int, dict[str, OutboxRow]] = defaultdict(dict)
    query = select(OutboxRow).where(col(OutboxRow.alert_id).in_(list(alert_ids))).order_by(col(OutboxRow.id))
    for row in session.exec(query):
        first[row.alert_id].setdefault(row.route, row)
    return first


def status_counts(conn: sa.Connection) -> dict[OutboxStatus, int]:
    """How many rows are in each status (for the metrics)."""
    rows = conn.execute(sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status)).all()
    return {OutboxStatus(status): count for status, count in rows}


__all__ = [
    "due_ids",
    "exists",
    "first_rows",
    "keys_with_prefix",
    "earlier_open",
    "lease",
    "queue",
    "release",
    "renew",
    "status_counts",
    "step",
    "steps_of",
    "thread_root",
]
