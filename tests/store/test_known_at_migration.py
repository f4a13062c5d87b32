"""Migration 0002: rows stored with a publication date taken as 00:00 UTC move to the end of
the publisher's day (never after their collection); instants stay where they are."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from signalflow.store.db import create_engine, current_revision, upgrade

SERIES = ["fred.DGS10", "sec.AAPL.revenue", "news.power_contract", "csv.util"]
# (series, known_at, basis, collected_at) -> (known_at, basis) after the migration
ROWS = [
    (("fred.DGS10", datetime(2026, 7, 2), "vintage", datetime(2026, 8, 1)), (datetime(2026, 7, 3, 5), "vintage")),
    # captured during its vintage day, before the Chicago day ended
    (("fred.DGS10", datetime(2026, 7, 6), "vintage", datetime(2026, 7, 6, 16, 4)), (datetime(2026, 7, 6, 16, 4), "collected")),
    (("sec.AAPL.revenue", datetime(2010, 1, 25), "reported", datetime(2026, 8, 1)), (datetime(2010, 1, 26, 5), "end_of_day")),
    (("news.power_contract", datetime(2025, 3, 3), "reported", datetime(2026, 8, 1)), (datetime(2025, 3, 3), "reported")),
    (("csv.util", datetime(2026, 6, 1, 14, 30), "reported", datetime(2026, 8, 1)), (datetime(2026, 6, 1, 14, 30), "reported")),
    (("csv.util", datetime(2026, 7, 1), "assumed", datetime(2026, 8, 1)), (datetime(2026, 7, 2), "assumed")),
]


def test_date_only_rows_move_to_the_end_of_the_publishers_day(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    now = datetime(2026, 8, 1)
    with engine.begin() as conn:
        for i, key in enumerate(SERIES, start=1):
            conn.execute(sa.text(
                "INSERT INTO series (id, key, source, kind, unit, frequency, title, url, created_at, updated_at) "
                "VALUES (:id, :key, :source, 'level', '', '', '', '', :now, :now)"
            ), {"id": i, "key": key, "source": key.split(".")[0], "now": now})
        for n, ((key, known_at, basis, collected_at), _) in enumerate(ROWS):
            conn.execute(sa.text(
                "INSERT INTO observation (series_id, period_start, period_end, value, unit, known_at, "
                "known_at_basis, source_ref, collected_at) VALUES (:sid, :day, :day, :value, '', :known, :basis, '', :collected)"
            ), {"sid": SERIES.index(key) + 1, "day": date(2026, 1, 1 + n), "value": float(n), "known": known_at,
                "basis": basis, "collected": collected_at})
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT value, known_at, known_at_basis FROM observation ORDER BY value")).all()
    moved = [(datetime.fromisoformat(str(k)), b) for _, k, b in got]
    assert moved == [after for _, after in ROWS]
    engine.dispose()
