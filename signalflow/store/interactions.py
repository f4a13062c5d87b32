"""Claims on Slack interactions: the first claim of a key wins, every later one is refused."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from signalflow.store.models import InteractionRow


def claim(session: Session, key: str, kind: str, user: str, now: datetime) -> bool:
    """Insert ``key`` unless it is there (insert-or-ignore, safe between processes on one
    database); True when this call claimed it. Commits with the caller's session."""
    table = InteractionRow.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    row = {"key": key[:200], "kind": kind[:40], "user": user[:40], "received_at": now}
    statement = insert(table).values(row).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    return session.execute(statement).scalar() is not None
