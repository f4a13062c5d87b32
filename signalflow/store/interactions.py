"""Claims on Slack interactions: the first claim of a key wins, every later one is refused."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from signalflow.store.db import dialect_insert
from signalflow.store.models import InteractionRow


def claim(session: Session, key: str, kind: str, user: str, now: datetime) -> bool:
    """Insert ``key`` unless it is there (insert-or-ignore, safe between processes on one
    database); True when this call claimed it. Commits with the caller's session."""
    table = InteractionRow.__table__
    row = {"key": key[:200], "kind": kind[:40], "user": user[:40], "received_at": now}
    statement = (
        dialect_insert(session, table).values(row).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    )
    return session.execute(statement).scalar() is not None


def forget(session: Session, kind: str, before: datetime) -> int:
    """Delete the claims of ``kind`` received before ``before`` (request signatures outlive
    their use after five minutes: a request that old is refused as stale anyway)."""
    table = InteractionRow.__table__
    result = session.execute(table.delete().where(table.c.kind == kind, table.c.received_at < before))
    return result.rowcount or 0
