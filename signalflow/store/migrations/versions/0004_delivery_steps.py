"""delivery steps and leases

Each outbox row's delivery is split into steps with their own outcome (``outbox_step``), and
a deliverer claims a row with a lease (``outbox.lease_owner``, ``outbox.lease_until``) that
other deliverers on the same database honour.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
    op.create_table(
        "outbox_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("receipt_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "name", name="uq_outbox_step"),
    )
    with op.batch_alter_table("outbox_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_step_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_step_outbox_id"))
    op.drop_table("outbox_step")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
