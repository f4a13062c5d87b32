"""Migration 0002 adds stories to a database that already holds news items, and goes back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from signalflow.store import db


def test_upgrade_keeps_old_items_and_downgrade_removes_the_story_columns(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "insert into event (source, entry_id, title, summary, link, published, label, companies, rule,"
                " collected_at) values ('grid', 'grid-1', 't', '', '', '2025-03-04', 'power_contract', 'MSFT', 'r',"
                " '2025-03-04')"
            ))  # fmt: skip
        db.upgrade(engine, "head")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select entry_id, story, outlet, language, details_json from event")).all()
            assert [tuple(r) for r in rows] == [("grid-1", "", "", "en", "")]
            assert conn.execute(sa.text("select count(*) from story")).scalar_one() == 0
        cfg = db.alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            columns = {r[1] for r in conn.execute(sa.text("pragma table_info(event)")).all()}
            assert {"story", "outlet", "language", "details_json"}.isdisjoint(columns)
            assert not sa.inspect(conn).has_table("story")
    finally:
        engine.dispose()
