"""Migration 0008: stored grid/data-center change rows get the identity new imports give
them (``file#id@START..END``), so re-importing a file recognizes them; other rows keep theirs."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from signalflow.sources.snapshots.series import change_ref
from signalflow.store.db import create_engine, current_revision, upgrade

# (key, kind, period_start, period_end, source_ref) -> source_ref after the migration
ROWS = [
    (("grid.miso.cod_slip.mw", "event", date(2025, 1, 1), date(2025, 2, 1), "feb.csv#J1"), "feb.csv#J1@2025-01-01..2025-02-01"),
    (("grid.miso.cod_slip.mw", "event", date(2025, 2, 1), date(2025, 3, 1), "mar.csv#J1"), "mar.csv#J1@2025-02-01..2025-03-01"),
    (("dc.power_added.mw", "event", date(2025, 3, 1), date(2025, 6, 1), "epoch.json#Site 7"), "epoch.json#Site 7@2025-03-01..2025-06-01"),
    # levels keep the file name; news events keep their feed entry ids; already migrated stays
    (("grid.miso.queue_mw", "level", date(2025, 2, 1), date(2025, 2, 1), "feb.csv"), "feb.csv"),
    (("news.power_contract", "event", date(2025, 2, 1), date(2025, 2, 1), "https://x.test/a#frag"), "https://x.test/a#frag"),
    (("grid.pjm.withdrawn", "event", date(2025, 1, 1), date(2025, 2, 1), "q.xlsx#AB1@2025-01-01..2025-02-01"),
     "q.xlsx#AB1@2025-01-01..2025-02-01"),
]


def test_change_rows_take_the_identity_a_reimport_gives_them(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    now = datetime(2026, 8, 1)
    keys = list(dict.fromkeys(key for (key, *_), _ in ROWS))
    with engine.begin() as conn:
        for i, key in enumerate(keys, start=1):
            kind = next(k for (kk, k, *_), _ in ROWS if kk == key)
            conn.execute(sa.text(
                "INSERT INTO series (id, key, source, kind, unit, frequency, title, url, created_at, updated_at) "
                "VALUES (:id, :key, :source, :kind, '', '', '', '', :now, :now)"
            ), {"id": i, "key": key, "source": key.split(".")[0], "kind": kind, "now": now})
        for n, ((key, _, start, end, ref), _) in enumerate(ROWS):
            conn.execute(sa.text(
                "INSERT INTO observation (series_id, period_start, period_end, value, unit, known_at, "
                "known_at_basis, source_ref, collected_at) VALUES (:sid, :start, :end, :value, '', :now, 'reported', :ref, :now)"
            ), {"sid": keys.index(key) + 1, "start": start, "end": end, "value": float(n), "ref": ref, "now": now})
    upgrade(engine, "head")
    assert current_revision(engine) == "0008"
    with engine.connect() as conn:
        got = [r for (r,) in conn.execute(sa.text("SELECT source_ref FROM observation ORDER BY value")).all()]
    assert got == [after for _, after in ROWS]
    # What an import computes for the same change now is exactly what the row holds.
    assert change_ref("feb.csv#J1", date(2025, 1, 1), date(2025, 2, 1)) == got[0]
    engine.dispose()
