"""tranche plans

The tranche journal (``tranche``: which tranches of a thesis's plan the owner says were
taken) and where each add of a plan stands (``plan_add``: its condition's episode, whether
it was announced or why it is withheld).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tranche",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thesis", sa.String(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("size", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tranche", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tranche_thesis"), ["thesis"], unique=False)
    op.create_table(
        "plan_add",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thesis", sa.String(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_since", sa.DateTime(), nullable=True),
        sa.Column("announced_at", sa.DateTime(), nullable=True),
        sa.Column("withheld", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thesis", "number", name="uq_plan_add"),
    )


def downgrade() -> None:
    op.drop_table("plan_add")
    with op.batch_alter_table("tranche", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tranche_thesis"))
    op.drop_table("tranche")
