"""news stories: the story table, and each event's story, outlet, language and details

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 01:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "story",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("known_at", sa.DateTime(), nullable=False),
        sa.Column("mw", sa.Float(), nullable=True),
        sa.Column("amount_usd", sa.Float(), nullable=True),
        sa.Column("companies", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_label"), ["label"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_known_at"), ["known_at"], unique=False)
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("story", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("outlet", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="en")
        )
        batch_op.add_column(sa.Column("details_json", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_event_story"), ["story"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_story"))
        batch_op.drop_column("details_json")
        batch_op.drop_column("language")
        batch_op.drop_column("outlet")
        batch_op.drop_column("story")
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_known_at"))
        batch_op.drop_index(batch_op.f("ix_story_label"))
    op.drop_table("story")
