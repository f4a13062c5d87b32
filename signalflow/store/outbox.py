"""The outbox's queries, and its one writer.

Every notification (an alert's, a digest, an ops message) enters the outbox through
:func:`queue`, in the caller's transaction: the row's ``dedup_key`` makes a second write of
the same message a no-op, whoever writes it. The delivery worker reads and updates rows
through the other functions here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from signalflow.store.enums import Kind, OutboxStatus
from signalflow.store.models import OutboxRow


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


def claim(session: Session, row: OutboxRow) -> bool:
    """Mark ``row`` ``sending`` if no other worker changed it since it was read
    (compare-and-set on its status and attempts); True when this worker has it."""
    claimed = session.execute(
        sa.update(OutboxRow)
        .where(OutboxRow.id == row.id, OutboxRow.status == row.status, OutboxRow.attempts == row.attempts)
        .values(status=OutboxStatus.SENDING)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


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
    "claim",
    "due_ids",
    "exists",
    "first_rows",
    "keys_with_prefix",
    "queue",
    "status_counts",
    "thread_root",
]
