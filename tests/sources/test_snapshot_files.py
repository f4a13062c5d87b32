"""`signalflow import` of snapshot files: the grid and dc sources keep each snapshot whole and
diff the next one against the one before it in date order."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.settings import Settings
from signalflow.sources.snapshot_files import DcSource, GridSource, kept_snapshots
from signalflow.sources.snapshots import diff_snapshots, read_miso

from .test_snapshots import miso_row, write_miso


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sf.db'}")
    monkeypatch.setenv("SIGNALFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(tmp_path / "rules"))
    return tmp_path


def run_import(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(app, ["import", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def queues(folder: Path) -> tuple[Path, Path, Path]:
    jan = write_miso(folder / "jan.csv", [
        miso_row("J1", "Active", "100", "2026-01-01"),
        miso_row("J2", "Active", "50", "2027-06-01"),
    ])
    feb = write_miso(folder / "feb.csv", [
        miso_row("J1", "Active", "100", "2026-04-01"),     # slips 90 days
        miso_row("J2", "Withdrawn", "50", "2027-06-01"),
        miso_row("J3", "Active", "300", "2028-01-01"),     # new
    ])
    mar = write_miso(folder / "mar.csv", [
        miso_row("J1", "Active", "120", "2026-10-01"),     # slips again, MW raised
        miso_row("J3", "Active", "300", "2028-01-01"),
    ])
    return jan, feb, mar


def test_import_diffs_each_snapshot_against_the_one_before(env: Path) -> None:
    from signalflow.store import Store

    jan, feb, mar = queues(env)
    for path, day in ((jan, "2025-01-01"), (feb, "2025-02-01"), (mar, "2025-03-01")):
        code, reports = run_import(str(path), "--known-at", day)
        assert code == 0 and reports[0]["source"] == "grid", reports
    assert kept_snapshots(env / "data", "miso") == [datetime(2025, 1, 1), datetime(2025, 2, 1), datetime(2025, 3, 1)]

    store = Store.open(f"sqlite:///{env / 'sf.db'}")
    try:
        frames = store.load({"grid.miso.cod_slip.mw", "grid.miso.cod_slip", "grid.miso.withdrawn.mw",
                             "grid.miso.new_request.mw", "grid.miso.queue_mw"})
    finally:
        store.close()
    slips = frames["grid.miso.cod_slip.mw"].data
    # J1 slipped in February and again in March: one row each, known at each snapshot's date.
    assert sorted(slips["known_at"].dt.date) == [date(2025, 2, 1), date(2025, 3, 1)]
    assert set(slips["source_ref"]) == {"feb.csv#J1@2025-01-01..2025-02-01", "mar.csv#J1@2025-02-01..2025-03-01"}
    assert list(frames["grid.miso.cod_slip"].data["value"]) == [1.0, 1.0]
    assert list(frames["grid.miso.withdrawn.mw"].data["value"]) == [50.0]
    assert list(frames["grid.miso.new_request.mw"].data["value"]) == [300.0]
    queue = frames["grid.miso.queue_mw"].data.sort_values("known_at")
    assert list(queue["value"]) == [150.0, 400.0, 420.0]


def test_a_project_changing_twice_in_a_file_that_keeps_its_name_keeps_both_changes(env: Path) -> None:
    # A fetched publisher file has one name month after month: a project's second slip must
    # not be taken for its first (change series are event series, told apart by source_ref).
    from signalflow.store import Store

    jan, feb, mar = queues(env)
    same = env / "queue.csv"
    for path, day in ((jan, "2025-01-01"), (feb, "2025-02-01"), (mar, "2025-03-01"), (mar, "2025-03-01")):
        same.write_bytes(path.read_bytes())
        code, reports = run_import(str(same), "--known-at", day)
        assert code == 0, reports
    store = Store.open(f"sqlite:///{env / 'sf.db'}")
    try:
        slips = store.load({"grid.miso.cod_slip.mw"})["grid.miso.cod_slip.mw"].data.sort_values("known_at")
    finally:
        store.close()
    # 90 days in February, 183 in March (2026-04-01 -> 2026-10-01), MW 100 then 120; the
    # same file imported twice in March adds nothing.
    assert list(slips["value"]) == [100.0, 120.0]
    assert list(slips["source_ref"]) == ["queue.csv#J1@2025-01-01..2025-02-01", "queue.csv#J1@2025-02-01..2025-03-01"]


def test_each_import_matches_a_diff_of_the_two_files(env: Path) -> None:
    jan, feb, _ = queues(env)
    run_import(str(jan), "--known-at", "2025-01-01")
    code, reports = run_import(str(feb), "--known-at", "2025-02-01")
    expected = diff_snapshots(read_miso(jan, as_of=date(2025, 1, 1)), read_miso(feb, as_of=date(2025, 2, 1)))
    assert code == 0 and reports[0]["events_added"] == len(expected)


def test_out_of_order_import_diffs_against_the_earlier_date_and_warns(env: Path) -> None:
    settings = Settings(data_dir=env / "data")
    jan, feb, mar = queues(env)
    source = GridSource(settings)
    source.import_file(jan, known_at=datetime(2025, 1, 1))
    source.import_file(mar, known_at=datetime(2025, 3, 1))
    batch = source.import_file(feb, known_at=datetime(2025, 2, 1))
    # February is compared with January, not with March.
    assert {o.source_ref for o in batch.observations if o.series == "grid.miso.new_request.mw"} == {"feb.csv#J3@2025-01-01..2025-02-01"}
    assert any("2025-03-01" in w and "date order" in w for w in batch.warnings)


def test_an_unreadable_file_names_file_and_row_and_keeps_earlier_snapshots(env: Path) -> None:
    jan, _, _ = queues(env)
    run_import(str(jan), "--known-at", "2025-01-01")
    bad = write_miso(env / "bad.csv", [miso_row("J1", "Active", "100", ""), miso_row("J2", "Active", "lots", "")])
    code, reports = run_import(str(bad), "--known-at", "2025-02-01")
    assert code == 1 and "bad.csv" in reports[0]["error"] and "3" in reports[0]["error"]
    assert kept_snapshots(env / "data", "miso") == [datetime(2025, 1, 1)]


def test_a_file_without_a_date_needs_known_at(env: Path) -> None:
    jan, _, _ = queues(env)
    code, reports = run_import(str(jan))
    assert code == 1 and "as_of" in reports[0]["error"]
    assert kept_snapshots(env / "data", "miso") == []


def test_sources_sniff_only_their_publishers(env: Path) -> None:
    settings = Settings(data_dir=env / "data")
    jan, _, _ = queues(env)
    head = jan.read_bytes()[:65536]
    assert GridSource(settings).sniff(jan, head) and not DcSource(settings).sniff(jan, head)
    other = env / "fred.csv"
    other.write_text("DATE,DGS10\n2025-01-02,4.5\n")
    assert not GridSource(settings).sniff(other, other.read_bytes())


def test_check_ref_knows_publishers_and_measures() -> None:
    grid, dc = GridSource(Settings()), DcSource(Settings())
    assert grid.check_ref("grid.ercot.cod_slip.mw") is None
    assert grid.check_ref("grid.ercot.queue_mw.solar") is None
    assert "ercot" in grid.check_ref("grid.texas.cod_slip.mw")
    assert "cod_slips" in grid.check_ref("grid.ercot.cod_slips")
    assert dc.check_ref("dc.power_mw[AMZN]") is None and dc.check_ref("dc.site_added") is None
    assert dc.check_ref("dc.megawatts") is not None


@pytest.fixture
def infra(shared_data: Path) -> Path:
    folder = shared_data / "infra"
    if not folder.is_dir():
        pytest.skip(f"real snapshot files not found at {folder}")
    return folder


def test_real_ercot_reports_dated_by_their_run_date(env: Path, infra: Path) -> None:
    files = [infra / "ercot_gis" / "GIS_Report_October2025.xlsx", infra / "ercot_gis" / "GIS_Report_November2025.xlsx"]
    code, reports = run_import(*map(str, files))
    assert code == 0, reports
    assert [r["source"] for r in reports] == ["grid", "grid"]
    # The MANIFEST: October's report ran 2025-11-01, November's 2025-12-01; known from the end
    # of those days in Austin (CDT, then CST).
    assert kept_snapshots(env / "data", "ercot") == [datetime(2025, 11, 2, 5), datetime(2025, 12, 2, 6)]
    assert reports[0]["events_added"] == 0 and reports[1]["events_added"] > 0


def test_real_epoch_sites_with_their_timelines(env: Path, infra: Path) -> None:
    folder = infra / "epoch_ai"
    code, reports = run_import(str(folder / "2026-07-07_data_center_timelines.csv"), str(folder / "2026-07-07_data_centers.csv"),
                               "--known-at", "2026-07-06")
    assert code == 0, reports
    assert [r["source"] for r in reports] == ["dc", "dc"]
    assert reports[0]["observations_added"] == 0 and reports[1]["observations_added"] > 0
    assert kept_snapshots(env / "data", "epoch") == [datetime(2026, 7, 6)]


def test_series_show_lists_each_slipped_project(env: Path) -> None:
    jan, feb, mar = queues(env)
    for path, day in ((jan, "2025-01-01"), (feb, "2025-02-01"), (mar, "2025-03-01")):
        run_import(str(path), "--known-at", day)
    result = CliRunner().invoke(app, ["series", "show", "grid.miso.cod_slip", "--json"])
    assert result.exit_code == 0, result.output
    rows = [(r["id"], r["old_date"], r["new_date"], r["days"], r["mw"]) for r in json.loads(result.stdout)]
    # The CODs and MW written into the files above.
    assert rows == [("J1", "2026-01-01", "2026-04-01", 90, 100.0), ("J1", "2026-04-01", "2026-10-01", 183, 120.0)]
    earlier = CliRunner().invoke(app, ["series", "show", "grid.miso.cod_slip.mw", "--as-of", "2025-02-15", "--json"])
    assert [r["new_date"] for r in json.loads(earlier.stdout)] == ["2026-04-01"]
    table = CliRunner().invoke(app, ["series", "show", "grid.miso.withdrawn"], env={"COLUMNS": "80"})
    assert table.exit_code == 0 and "J2" in table.stdout and "1 change(s)" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())


THESIS = """\
thesis: queue_test
title: "MISO queue"
growth:
  reason: "the queue grows"
  when: grid.miso.queue_mw > 0
liquidity:
  reason: "requests keep coming"
  when: grid.miso.queue_count >= 1
soft_warning:
  - name: slips_outrun_requests
    when: sum(grid.miso.cod_slip.mw, 90d) > 0.5 * sum(grid.miso.new_request.mw, 90d)
kill_switch:
  - name: repeated_slips
    when: count(grid.miso.cod_slip, 90d) >= 2
"""


def test_theses_read_grid_change_streams_point_in_time(env: Path) -> None:
    rules = env / "rules"
    rules.mkdir()
    (rules / "queue_test.yaml").write_text(THESIS)
    check = CliRunner().invoke(app, ["check", str(rules), "--json"])
    assert check.exit_code == 0, check.output
    jan, feb, mar = queues(env)
    for path, day in ((jan, "2025-01-01"), (feb, "2025-02-01"), (mar, "2025-03-01")):
        run_import(str(path), "--known-at", day)

    def state(day: str) -> tuple[str, list[str]]:
        result = CliRunner().invoke(app, ["evaluate", "queue_test", "--as-of", day, "--json"])
        assert result.exit_code == 0, result.output
        status = json.loads(result.stdout)[0]
        return status["state"], status["firing"]

    # February: 100 MW slipped against 300 MW of new requests, one slip; March: 220 MW, two.
    assert state("2025-02-15")[1] == []
    assert state("2025-03-01") == ("kill_switch", ["repeated_slips", "slips_outrun_requests"])


@pytest.mark.parametrize(("when", "problem"), [
    ("grid.miso.cod_slip.mw > 1", "event stream"),
    ("grid.miso.cod_slips > 1", "cod_slips"),
    ("count(grid.miso.queue_mw, 30d) > 1", "count"),
])
def test_check_rejects_misused_grid_refs(env: Path, when: str, problem: str) -> None:
    rules = env / "rules"
    rules.mkdir()
    (rules / "queue_test.yaml").write_text(THESIS.replace("count(grid.miso.cod_slip, 90d) >= 2", when))
    check = CliRunner().invoke(app, ["check", str(rules)])
    assert check.exit_code != 0 and problem in check.output, check.output


ERCOT_IN_DATE_ORDER = (  # the MANIFEST's run dates: 2025-01-01, 2025-11-01, 2025-12-01, 2026-01-01, 2026-02-01
    "GIS_Report_December2024.xlsx", "GIS_Report_October2025.xlsx", "GIS_Report_November2025.xlsx",
    "inputs/2025/12/file.xlsx", "inputs/2026/01/file.xlsx",
)
EPOCH_IN_DATE_ORDER = (("2025-12-14", "2025-12-11"), ("2026-04-03", "2026-04-03"), ("2026-07-07", "2026-07-06"),
                       ("2026-08-03", "2026-08-03"))


def _firing(thesis: str, day: str) -> list[str]:
    result = CliRunner().invoke(app, ["evaluate", thesis, "--as-of", day, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]["firing"]


def _plain_epoch_power(path: Path, owner: str) -> float:
    """Current power of an owner's sites, read plainly: the Owner cell names it (tags aside)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sum(float(r["Current power (MW)"] or 0) for r in rows if r["Owner"].split("#")[0].strip() == owner)


def test_real_snapshots_fire_the_theses_as_of_the_right_dates(env: Path, infra: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).resolve().parents[2] / "rules", env / "rules", dirs_exist_ok=True)
    for name in ERCOT_IN_DATE_ORDER:
        code, reports = run_import(str(infra / "ercot_gis" / name))
        assert code == 0, reports
    for stem, day in EPOCH_IN_DATE_ORDER:
        code, reports = run_import(str(infra / "epoch_ai" / f"{stem}_data_centers.csv"), "--known-at", day)
        assert code == 0, reports

    # ERCOT: the changes of the report run 2025-11-01 span ten months (December 2024 to October
    # 2025) and bring many new requests. A run date is known from the end of that Central day
    # (2025-11-02 05:00 UTC), not its 00:00 UTC, so they stay in the 90-day window through
    # 2026-01-31 (a day later than when run dates were taken as 00:00 UTC); then the slips of
    # the monthly reports of December and January outrun new requests 1.5 to 1.
    for day in ("2025-10-31", "2025-11-01", "2025-12-01", "2026-01-01", "2026-01-30", "2026-01-31T12:00"):
        assert "queue_slips_outrun_requests" not in _firing("power_bottleneck", day), day
    for day in ("2026-02-01", "2026-02-02"):
        assert "queue_slips_outrun_requests" in _firing("power_bottleneck", day), day

    # Epoch: Amazon's power, read plainly from the files, stops growing after April 2026.
    amazon = [_plain_epoch_power(infra / "epoch_ai" / f"{stem}_data_centers.csv", "Amazon") for stem, _ in EPOCH_IN_DATE_ORDER]
    assert amazon[3] <= amazon[1] and amazon[2] > amazon[0]
    assert "amazon_stalls" not in _firing("datacenter_buildout", "2026-07-06")
    assert "amazon_stalls" not in _firing("datacenter_buildout", "2026-08-02")
    assert "amazon_stalls" in _firing("datacenter_buildout", "2026-08-03")


def test_a_snapshot_an_earlier_version_kept_under_its_day_is_diffed_and_ordered_by_that_days_end(env: Path) -> None:
    from signalflow.sources.snapshot_files import snapshot_dir
    from signalflow.sources.snapshots.kept import dump_kept
    from signalflow.store import Store

    jan, feb, _ = queues(env)
    folder = snapshot_dir(env / "data", "miso")
    folder.mkdir(parents=True)
    dump_kept(read_miso(jan, as_of=date(2025, 1, 1)), folder / "2025-01-01.json.gz")  # as earlier versions named it
    code, reports = run_import(str(feb), "--known-at", "2025-02-01T15:30")
    assert code == 0 and reports[0]["events_added"] > 0, reports
    # Known from the end of 2025-01-01 in MISO's zone (Eastern), then at the instant given.
    assert kept_snapshots(env / "data", "miso") == [datetime(2025, 1, 2, 5), datetime(2025, 2, 1, 15, 30)]
    assert sorted(p.name for p in folder.iterdir()) == ["2025-01-01.json.gz", "20250201T153000Z.json.gz"]
    store = Store.open(f"sqlite:///{env / 'sf.db'}")
    try:
        slips = store.load({"grid.miso.cod_slip.mw"})["grid.miso.cod_slip.mw"].data
    finally:
        store.close()
    assert list(slips["source_ref"]) == ["feb.csv#J1@2025-01-01..2025-02-01"] and list(slips["known_at"]) == [datetime(2025, 2, 1, 15, 30)]

    # A snapshot known at noon on January 1 comes before the one known from that day's end.
    noon = write_miso(env / "noon.csv", [miso_row("J1", "Active", "100", "2025-12-01")])
    code, reports = run_import(str(noon), "--known-at", "2025-01-01T12:00")
    assert code == 0 and any("2025-01-02 05:00:00 UTC" in w and "date order" in w for w in reports[0]["warnings"])
    assert kept_snapshots(env / "data", "miso")[0] == datetime(2025, 1, 1, 12)


def test_a_different_snapshot_for_a_kept_instant_is_kept_a_second_later(env: Path) -> None:
    from signalflow.sources.snapshot_files import load_snapshot, snapshot_dir
    from signalflow.sources.snapshots.kept import dump_kept
    from signalflow.store import Store

    jan, feb, _ = queues(env)
    folder = snapshot_dir(env / "data", "miso")
    folder.mkdir(parents=True)
    dump_kept(read_miso(jan, as_of=date(2025, 1, 1)), folder / "2025-01-01.json.gz")  # known from 2025-01-02 05:00 UTC
    for _ in range(2):  # the second time, the same file again: nothing more is kept
        code, reports = run_import(str(feb), "--known-at", "2025-01-02T05:00")
        assert code == 0, reports
    assert kept_snapshots(env / "data", "miso") == [datetime(2025, 1, 2, 5), datetime(2025, 1, 2, 5, 0, 1)]
    assert sorted(p.name for p in folder.iterdir()) == ["2025-01-01.json.gz", "20250102T050001Z.json.gz"]
    assert load_snapshot(env / "data", "miso", datetime(2025, 1, 2, 5)).as_of == date(2025, 1, 1)  # not replaced
    store = Store.open(f"sqlite:///{env / 'sf.db'}")
    try:
        slips = store.load({"grid.miso.cod_slip.mw"})["grid.miso.cod_slip.mw"].data
    finally:
        store.close()
    assert list(slips["source_ref"]) == ["feb.csv#J1@2025-01-01..2025-01-02"] and list(slips["known_at"]) == [datetime(2025, 1, 2, 5, 0, 1)]
