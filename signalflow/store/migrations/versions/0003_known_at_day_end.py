"""known_at of stored date-only publications: the end of the publisher's day, not 00:00 UTC

Earlier versions stored a publication date (a FRED vintage, an SEC filing date, an assumed
release day, a user table's known_at date, an efficiency publication) as 00:00 UTC of that
day, up to a day before the value was public. Such rows move to the end of that day in the
publisher's time zone, never later than when they were collected; re-collecting cannot fix
them, because a later instant with the same value adds no version.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (series key prefix, basis of the rows to move, their zone, their basis afterwards)
MOVES = (
    ("fred.", "vintage", "America/Chicago", "vintage"),
    ("fred.", "assumed", "America/Chicago", "assumed"),
    ("sec.", "reported", "America/New_York", "end_of_day"),
    ("eia.", "assumed", "America/New_York", "assumed"),
    ("csv.", "assumed", "UTC", "assumed"),
    ("http.", "assumed", "UTC", "assumed"),
    ("csv.", "reported", "UTC", "end_of_day"),
    ("http.", "reported", "UTC", "end_of_day"),
    ("efficiency.", "reported", "America/Los_Angeles", "end_of_day"),
)


def _day_end(day, zone: str) -> datetime:
    local = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def upgrade() -> None:
    conn = op.get_bind()
    observation = sa.table(
        "observation",
        sa.column("id", sa.Integer),
        sa.column("series_id", sa.Integer),
        sa.column("known_at", sa.DateTime),
        sa.column("known_at_basis", sa.String),
        sa.column("collected_at", sa.DateTime),
    )
    series = sa.table("series", sa.column("id", sa.Integer), sa.column("key", sa.String))
    for prefix, basis, zone, after in MOVES:
        rows = conn.execute(
            sa.select(observation.c.id, observation.c.known_at, observation.c.collected_at)
            .join(series, series.c.id == observation.c.series_id)
            .where(series.c.key.like(f"{prefix}%"), observation.c.known_at_basis == basis)
        ).all()
        updates = []
        for row_id, known_at, collected_at in rows:
            if known_at.time() != time():
                continue  # an instant already, not a date taken as midnight
            moved, new_basis = _day_end(known_at.date(), zone), after
            if collected_at is not None and collected_at < moved:
                moved, new_basis = max(collected_at, known_at), "collected"
            updates.append({"row_id": row_id, "moved": moved, "new_basis": new_basis})
        if updates:
            conn.execute(
                observation.update()
                .where(observation.c.id == sa.bindparam("row_id"))
                .values(known_at=sa.bindparam("moved"), known_at_basis=sa.bindparam("new_basis")),
                updates,
            )


def downgrade() -> None:
    """The old instants were wrong; nothing is moved back."""
