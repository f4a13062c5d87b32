"""layer binding

The moves of the binding bottleneck layer (``layer_binding``): one row per instant the layer
with the highest share of theses warning changed, so the board can say since when it binds.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "layer_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("layer", sa.String(length=40), nullable=False),
        sa.Column("previous", sa.String(length=40), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("theses_json", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("layer_binding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_layer_binding_at"), ["at"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("layer_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_layer_binding_at"))
    op.drop_table("layer_binding")
