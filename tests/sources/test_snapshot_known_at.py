"""When an imported snapshot is known: a file dated by itself from the end of that day in
its publisher's zone, never its 00:00 UTC; a --known-at as given."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from signalflow.series import KnownAtBasis, describe_known_at, publisher_zone
from signalflow.settings import Settings
from signalflow.sources.snapshot_files import GridSource
from signalflow.sources.snapshots import read_snapshot

from .test_snapshots import infra  # noqa: F401  (fixture)


@pytest.mark.parametrize(("name", "day", "known"), [
    # ERCOT's report run 2025-12-01 08:00 Central: known from the end of that Central day (CST).
    ("ercot_gis/GIS_Report_November2025.xlsx", date(2025, 12, 1), datetime(2025, 12, 2, 6)),
    # CAISO's report run 2025-01-23: the end of that Pacific day.
    ("caiso_queue/2025-01-23_CAISO Queue Report.xlsx", date(2025, 1, 23), datetime(2025, 1, 24, 8)),
])
def test_a_self_dated_file_is_known_from_the_end_of_the_publishers_day(tmp_path: Path, infra: Path, name, day, known) -> None:
    batch = GridSource(Settings(data_dir=tmp_path)).import_file(infra / name)
    assert read_snapshot(infra / name).as_of == day
    assert {o.known_at for o in batch.observations} == {known}
    assert {o.known_at_basis for o in batch.observations} == {KnownAtBasis.END_OF_DAY}


def test_known_at_given_is_taken_as_given(tmp_path: Path, infra: Path) -> None:
    path = infra / "ercot_gis" / "GIS_Report_November2025.xlsx"
    batch = GridSource(Settings(data_dir=tmp_path)).import_file(path, known_at=datetime(2025, 12, 1, 15, 30))
    assert {o.known_at for o in batch.observations} == {datetime(2025, 12, 1, 15, 30)}


def test_each_grid_publisher_has_its_zone_and_describes_its_day() -> None:
    assert publisher_zone("grid.ercot.cod_slip.mw") == "America/Chicago"
    assert publisher_zone("grid.caiso.queue_mw") == "America/Los_Angeles"
    assert publisher_zone("grid.nyiso.load_mw") == publisher_zone("grid.pjm.queue_mw") == "America/New_York"
    assert publisher_zone("fred.DGS10") == "America/Chicago" and publisher_zone("dc.power_mw") == "UTC"
    text = describe_known_at("grid.ercot.queue_mw", datetime(2025, 12, 2, 6), KnownAtBasis.END_OF_DAY.value)
    assert text == "published 2025-12-01 (CT date, known from its end)"
