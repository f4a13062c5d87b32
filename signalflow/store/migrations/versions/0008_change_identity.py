"""change identity: a project's every change is its own occurrence

Grid-queue and data-center change series (``grid.ISO.KIND``, ``.mw``, ``.days``, ``dc.KIND``...)
are event series: their rows are told apart by ``source_ref`` alone. It was ``file#id``, so
a project's second change in a file fetched under the same name was taken for its first and
dropped. It is now ``file#id@START..END``, the dates of the two snapshots the change happened
between, which are the row's own period: stored rows get that suffix here, so a re-import
recognizes them instead of storing them twice.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    observation = sa.table(
        "observation",
        sa.column("id", sa.Integer),
        sa.column("series_id", sa.Integer),
        sa.column("period_start", sa.Date),
        sa.column("period_end", sa.Date),
        sa.column("source_ref", sa.String),
    )
    series = sa.table("series", sa.column("id", sa.Integer), sa.column("key", sa.String), sa.column("kind", sa.String))
    rows = conn.execute(
        sa.select(observation.c.id, observation.c.period_start, observation.c.period_end, observation.c.source_ref)
        .join(series, series.c.id == observation.c.series_id)
        .where(
            sa.or_(series.c.key.like("grid.%"), series.c.key.like("dc.%")),
            series.c.kind == "event",
            observation.c.source_ref.like("%#%"),
            sa.not_(observation.c.source_ref.like("%@%")),
        )
    ).all()
    updates = []
    for row_id, start, end, ref in rows:
        suffix = f"@{start.isoformat()}..{end.isoformat()}"
        updates.append({"row_id": row_id, "ref": ref[: 300 - len(suffix)] + suffix})
    if updates:
        conn.execute(
            observation.update().where(observation.c.id == sa.bindparam("row_id")).values(source_ref=sa.bindparam("ref")),
            updates,
        )


def downgrade() -> None:
    """The old identities lost changes; nothing is moved back."""
