"""Snapshot files of the power pipeline: readers, diffs and levels, on small files and the real ones.

Expected figures for the real files are computed here from the files with a plain reading of
their own (the csv module, a pandas read with the publisher's header row), never copied from
the readers' output.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import pytest

from signalflow.errors import PayloadError
from signalflow.series import KnownAtBasis
from signalflow.sources.snapshots import (
    Change,
    change_events,
    change_observations,
    detect_publisher,
    diff_snapshots,
    level_observations,
    levels,
    parse_date,
    read_epoch,
    read_ercot,
    read_miso,
    read_nyiso,
    read_snapshot,
)

KNOWN = datetime(2026, 2, 3, 14, 0)


# -- small files written by the tests ---------------------------------------------------------


def _column(index: int) -> str:
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A minimal workbook (inline strings and numbers), enough for the calamine reader."""
    names = list(sheets)
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(len(names))
            )
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rel.replace("officeDocument/2006/relationships", "package/2006/relationships")}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
            + "</sheets></workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rel.replace("officeDocument/2006/relationships", "package/2006/relationships")}">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                for i in range(len(names))
            )
            + "</Relationships>",
        )
        for i, name in enumerate(names):
            rows = []
            for r, values in enumerate(sheets[name]):
                cells = []
                for c, value in enumerate(values):
                    ref = f"{_column(c)}{r + 1}"
                    if value is None:
                        continue
                    if isinstance(value, (int, float)):
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
                rows.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
            book.writestr(
                f"xl/worksheets/sheet{i + 1}.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(rows)}</sheetData></worksheet>',
            )
    return path


MISO_HEADER = ["Project #", "Request Status", "Queue Date", "Withdrawn Date", "Done Date", "Appl In Service Date",
               "Transmission Owner", "County", "State", "Study Cycle", "Study Group", "Study Phase", "Service Type",
               "POI Name", "Summer MW", "Winter MW", "Fuel", "Generating Facility", "Post GIA Status",
               "Negotiated In Service Date", "Decision Point 1 ERIS MW", "Decision Point 1 NRIS MW",
               "Decision Point 2 ERIS MW", "Decision Point 2 NRIS MW"]


def write_miso(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(MISO_HEADER)
        for row in rows:
            writer.writerow([row.get(h, "") for h in MISO_HEADER])
    return path


def miso_row(pid: str, status: str, mw: str, cod: str, fuel: str = "Solar", poi: str = "", post_gia: str = "") -> dict[str, str]:
    return {"Project #": pid, "Request Status": status, "Summer MW": mw, "Negotiated In Service Date": cod,
            "Fuel": fuel, "POI Name": poi or f"POI {pid}", "Post GIA Status": post_gia}


@pytest.fixture
def miso_pair(tmp_path: Path):
    old = write_miso(tmp_path / "old.csv", [
        miso_row("J1", "Active", "100", "2026-01-01T04:00:00+00:00"),           # slips 90 days
        miso_row("J2", "Active", "50", "2027-06-01T04:00:00+00:00"),            # pulled in
        miso_row("J3", "Active", "75", "2026-05-01T04:00:00+00:00", "Wind"),    # withdraws
        miso_row("J4", "Done", "20", "2025-12-01T04:00:00+00:00"),              # goes into service
        miso_row("J5", "Active", "30", "2026-09-01T04:00:00+00:00"),            # disappears
        miso_row("J6", "Active", "40", "2026-09-01T04:00:00+00:00", "Gas"),     # MW raised
        miso_row("J7", "Active", "60", "2028-01-01T04:00:00+00:00", "Wind", poi="Elm 345kV"),  # renumbered
        miso_row("J8", "Withdrawn", "10", ""),
    ])
    new = write_miso(tmp_path / "new.csv", [
        miso_row("AA1234", "fish mango watermelon", "0.84", "2024-11-15T11:31:23.5972781+00:00", "watermelon"),
        miso_row("J1", "Active", "100", "2026-04-01T04:00:00+00:00"),
        miso_row("J2", "Active", "50", "2027-01-01T04:00:00+00:00"),
        miso_row("J3", "Withdrawn", "75", "2026-05-01T04:00:00+00:00", "Wind"),
        miso_row("J4", "Done", "20", "2025-12-01T04:00:00+00:00", post_gia="In Service"),
        miso_row("J6", "Active", "55", "2026-09-01T04:00:00+00:00", "Gas"),
        miso_row("K7", "Active", "60", "2028-01-01T04:00:00+00:00", "Wind", poi="Elm 345kV"),
        miso_row("J8", "Withdrawn", "10", ""),
        miso_row("J9", "Active", "200", "2029-03-01T04:00:00+00:00", "Battery Storage"),
    ])
    return read_miso(old, as_of=date(2025, 1, 1)), read_miso(new, as_of=date(2025, 2, 1))


def _by_kind(changes: list[Change]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for change in changes:
        out.setdefault(change.kind, []).append(change)
    return out


def test_every_queue_event_kind(miso_pair) -> None:
    old, new = miso_pair
    kinds = _by_kind(diff_snapshots(old, new))
    assert [(c.id, c.mw, c.old_date, c.new_date, c.days) for c in kinds["cod_slip"]] == [
        ("J1", 100.0, date(2026, 1, 1), date(2026, 4, 1), 90)
    ]
    assert [(c.id, c.days) for c in kinds["cod_pull_in"]] == [("J2", -151)]
    assert [(c.id, c.mw, c.fuel) for c in kinds["withdrawn"]] == [("J3", 75.0, "Wind")]
    assert [(c.id, c.mw) for c in kinds["completed"]] == [("J4", 20.0)]
    assert [(c.id, c.mw) for c in kinds["removed"]] == [("J5", 30.0)]
    assert [(c.id, c.mw) for c in kinds["mw_change"]] == [("J6", 15.0)]
    assert [(c.id, c.detail) for c in kinds["renamed"]] == [("K7", "was J7")]
    assert [(c.id, c.mw, c.new_date) for c in kinds["new_request"]] == [("J9", 200.0, date(2029, 3, 1))]
    assert set(kinds) == {"cod_slip", "cod_pull_in", "withdrawn", "completed", "removed", "mw_change", "renamed", "new_request"}


def test_placeholder_row_is_dropped_with_a_warning(miso_pair) -> None:
    _, new = miso_pair
    assert "AA1234" not in set(new.projects["id"])
    assert any("AA1234" in w and "fish mango watermelon" in w for w in new.warnings)


def test_levels_and_observations(miso_pair) -> None:
    old, new = miso_pair
    assert levels(new) == {
        "grid.miso.queue_mw": 100 + 50 + 55 + 60 + 200,
        "grid.miso.queue_count": 5,
        "grid.miso.queue_mw.solar": 150,
        "grid.miso.queue_mw.gas": 55,
        "grid.miso.queue_mw.wind": 60,
        "grid.miso.queue_mw.battery_storage": 200,
    }
    changes = diff_snapshots(old, new)
    rows = change_observations(changes, old, new, KNOWN)
    slip = [o for o in rows if o.series == "grid.miso.cod_slip.mw"]
    assert len(slip) == 1 and slip[0].value == 100 and slip[0].source_ref == "new.csv#J1@2025-01-01..2025-02-01"
    assert (slip[0].period_start, slip[0].period_end, slip[0].known_at) == (date(2025, 1, 1), date(2025, 2, 1), KNOWN)
    assert [o.value for o in rows if o.series == "grid.miso.cod_slip.days"] == [90.0]
    assert not [o for o in rows if o.series.startswith("grid.miso.renamed")]
    level_rows = {o.series: o for o in level_observations(new, KNOWN)}
    assert level_rows["grid.miso.queue_mw"].value == 465 and level_rows["grid.miso.queue_mw"].period_end == date(2025, 2, 1)
    assert level_rows["grid.miso.queue_mw"].known_at_basis is KnownAtBasis.REPORTED
    events = change_events(changes, new, KNOWN)
    slip_event = next(e for e in events if e.label == "cod_slip")
    assert slip_event.source == "grid.miso" and slip_event.mw == 100 and slip_event.published == KNOWN
    assert "2026-01-01 -> 2026-04-01 (+90 d)" in slip_event.title


def test_a_diff_wants_the_older_snapshot_first(miso_pair) -> None:
    old, new = miso_pair
    with pytest.raises(ValueError, match="older"):
        diff_snapshots(new, old)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("04-2026", date(2026, 4, 1)),
        ("04/2028", date(2028, 4, 1)),
        ("5-2026", date(2026, 5, 1)),
        ("12/2024", date(2024, 12, 1)),
        ("9/20/2016", date(2016, 9, 20)),
        ("2026-07-06", date(2026, 7, 6)),
        ("2018-03-12T04:00:00+00:00", date(2018, 3, 12)),
        ("2024-11-15T11:31:23.5972781+00:00", date(2024, 11, 15)),
        (datetime(2025, 12, 1, 7, 0), date(2025, 12, 1)),
        (datetime(1900, 1, 1), None),  # ERCOT's "unknown"
        ("N/A", None),
        ("I/S", None),
        ("", None),
        (float("nan"), None),
        ("13/2026", None),
    ],
)
def test_dates_in_every_form(text, expected) -> None:
    assert parse_date(text) == expected


def test_unreadable_mw_names_the_file_and_row(tmp_path: Path) -> None:
    path = write_miso(tmp_path / "bad.csv", [miso_row("J1", "Active", "100", ""), miso_row("J2", "Active", "lots", "")])
    with pytest.raises(PayloadError) as caught:
        read_miso(path, as_of=date(2025, 1, 1))
    assert caught.value.origin == "bad.csv" and caught.value.line == 3 and "'lots'" in str(caught.value)


def test_a_file_without_its_date_needs_one(tmp_path: Path) -> None:
    path = write_miso(tmp_path / "q.csv", [miso_row("J1", "Active", "100", "")])
    with pytest.raises(PayloadError, match="pass as_of"):
        read_miso(path)


def ercot_workbook(path: Path, run: str, rows: list[list[object]], cancelled: list[list[object]] = ()) -> Path:
    header = ["INR", "Project Name", "GIM Study Phase", "Interconnecting Entity", "POI Location", "County",
              "CDR Reporting Zone", "Projected COD", "Fuel", "Technology", "Capacity (MW)"]
    notes = [[f"note {i}"] for i in range(3)]
    continuation = [[None] * len(header) for _ in range(4)]
    return write_xlsx(path, {
        "Contents": [["GIM Activity: Jan 01, 2026 to Jan 31, 2026"], [None], [f"Time of Report Run: {run}"]],
        "Project Details - Large Gen": notes + [header] + continuation + rows + [[None], ["Notes: end of table"]],
        "Cancellation Update": [["Projects Cancelled"], ["INR", "Size Category", "Project Name", "Fuel", "County", "Cancel Date", "MW **"]] + list(cancelled),
    })


def gen(inr: str, mw: float, cod: str, fuel: str = "SOL") -> list[object]:
    return [inr, f"Project {inr}", "SS Completed", "Dev LLC", "POI", "County", "WEST", cod, fuel, "PV", mw]


def test_ercot_layout_and_report_date(tmp_path: Path) -> None:
    old = read_ercot(ercot_workbook(tmp_path / "GIS_Report_December2025.xlsx", "Jan 1, 2026 8:00:12 AM",
                                    [gen("24INR0001", 301, "2025-12-01"), gen("24INR0002", 150, "2026-06-30", "GAS"),
                                     gen("24INR0003", -7.2, "1900-01-01", "WIN")]))
    new = read_ercot(ercot_workbook(tmp_path / "file.xlsx", "Feb 1, 2026 8:00:50 AM",
                                    [gen("24INR0001", 301, "2026-04-01"), gen("24INR0003", -7.2, "2026-03-01", "WIN")],
                                    cancelled=[["24INR0002", "Large", "Project 24INR0002", "Gas", "X", "2026-01-06", 150]]))
    assert (old.as_of, new.as_of, new.as_of_basis) == (date(2026, 1, 1), date(2026, 2, 1), "content")
    assert list(old.projects["id"]) == ["24INR0001", "24INR0002", "24INR0003"]
    assert old.projects.set_index("id").loc["24INR0003", "cod"] is None  # 1-1-1900: unknown, no slip from it
    kinds = _by_kind(diff_snapshots(old, new))
    assert [(c.id, c.mw, c.days) for c in kinds["cod_slip"]] == [("24INR0001", 301.0, 121)]
    assert [(c.id, c.mw, c.detail) for c in kinds["withdrawn"]] == [("24INR0002", 150.0, "Cancellation Update")]
    assert set(kinds) == {"cod_slip", "withdrawn"}
    assert levels(new)["grid.ercot.queue_mw"] == pytest.approx(301 - 7.2)


def test_workbook_faults_name_the_file_and_sheet(tmp_path: Path) -> None:
    no_sheet = write_xlsx(tmp_path / "a.xlsx", {"Contents": [["Time of Report Run: Feb 1, 2026 8:00:50 AM"]]})
    with pytest.raises(PayloadError, match="no sheet 'Project Details - Large Gen'") as caught:
        read_ercot(no_sheet)
    assert caught.value.origin == "a.xlsx"
    no_header = write_xlsx(tmp_path / "b.xlsx", {"Contents": [["Time of Report Run: Feb 1, 2026"]],
                                                  "Project Details - Large Gen": [["nothing here"]]})
    with pytest.raises(PayloadError, match="no header row starting with 'INR'"):
        read_ercot(no_header)
    renamed = write_xlsx(tmp_path / "c.xlsx", {"Contents": [["Time of Report Run: Feb 1, 2026"]],
                                                "Project Details - Large Gen": [["INR", "Project Name", "Capacity"]]})
    with pytest.raises(PayloadError, match="no column 'Projected COD'") as caught:
        read_ercot(renamed)
    assert caught.value.line == 1
    bad_mw = ercot_workbook(tmp_path / "d.xlsx", "Feb 1, 2026", [gen("24INR0001", "about 300", "2026-01-01")])  # type: ignore[arg-type]
    with pytest.raises(PayloadError) as caught:
        read_ercot(bad_mw)
    assert caught.value.line == 9 and "Large Gen" in str(caught.value)
    not_a_workbook = tmp_path / "e.xlsx"
    not_a_workbook.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(PayloadError, match="e.xlsx"):
        read_ercot(not_a_workbook)


def test_publisher_comes_from_the_content_not_the_name(tmp_path: Path, miso_pair) -> None:
    misleading = write_miso(tmp_path / "CAISO Queue Report.csv", [miso_row("J1", "Active", "1", "")])
    assert detect_publisher(misleading) == "miso"
    workbook = ercot_workbook(tmp_path / "PJM Queue.xlsx", "Feb 1, 2026", [gen("24INR0001", 1, "2026-01-01")])
    assert read_snapshot(workbook).publisher == "ercot"
    stranger = tmp_path / "other.csv"
    stranger.write_text("a,b\n1,2\n")
    with pytest.raises(PayloadError, match="no known publisher"):
        read_snapshot(stranger)


def write_epoch(folder: Path, sites: list[dict[str, str]], lines: list[dict[str, str]], *, key: str, it_power: bool) -> Path:
    folder.mkdir()
    site_header = [key, "Owner", "Current power (MW)", "Current H100 equivalents", "Address"]
    with (folder / "data_centers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(site_header)
        for s in sites:
            writer.writerow([s["name"], s["owner"], s["mw"], s.get("h100e", "0"), "1 Main St\nSomewhere"])
    line_header = ["Data center", "Date", "Construction status"] + (["IT power (MW)"] if it_power else []) + ["Power (MW)"]
    with (folder / "data_center_timelines.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(line_header)
        for t in lines:
            writer.writerow([t["site"], t["date"], "Building 1\noperational"] + ([t.get("it", "")] if it_power else []) + [t["mw"]])
    return folder / "data_centers.csv"


def test_every_data_center_event_kind(tmp_path: Path) -> None:
    old = read_epoch(write_epoch(tmp_path / "a", [
        {"name": "Meta Aiken", "owner": "Meta #confident", "mw": "0", "h100e": "0"},
        {"name": "xAI Colossus 2", "owner": "xAI #confident", "mw": "300"},
        {"name": "Gone Site", "owner": "Oracle #likely", "mw": "10"},
    ], [
        {"site": "Meta Aiken", "date": "3/1/2026", "mw": "140"},
        {"site": "Meta Aiken", "date": "9/1/2026", "mw": "300"},
        {"site": "xAI Colossus 2", "date": "12/1/2026", "mw": "900"},
    ], key="Handle", it_power=False), as_of=date(2026, 1, 15))
    new = read_epoch(write_epoch(tmp_path / "b", [
        {"name": "Meta Aiken", "owner": "Meta #confident", "mw": "142", "h100e": "1000"},
        {"name": "Colossus 2", "owner": "xAI #confident", "mw": "300"},
        {"name": "Google Bristow", "owner": "Google", "mw": "279"},
    ], [
        {"site": "Meta Aiken", "date": "2026-03-01", "mw": "142"},
        {"site": "Meta Aiken", "date": "2027-01-01", "mw": "310"},
        {"site": "Colossus 2", "date": "2026-06-01", "mw": "500"},
    ], key="Name", it_power=False), as_of=date(2026, 4, 1))
    assert old.power_basis == new.power_basis == "facility"
    assert old.projects.set_index("id").loc["Meta Aiken", "owner"] == "Meta"
    kinds = _by_kind(diff_snapshots(old, new))
    assert [(c.id, c.mw) for c in kinds["power_change"]] == [("Meta Aiken", 142.0)]
    assert [(c.id, c.detail) for c in kinds["renamed"]] == [("Colossus 2", "was xAI Colossus 2")]
    assert [(c.id, c.mw) for c in kinds["site_added"]] == [("Google Bristow", 279.0)]
    assert [(c.id, c.mw) for c in kinds["site_removed"]] == [("Gone Site", 10.0)]
    slips = [(c.id, c.mw, c.old_date, c.new_date, c.days) for c in kinds["timeline_slip"]]
    assert slips == [
        ("Meta Aiken", 300.0, date(2026, 9, 1), date(2027, 1, 1), 122),  # 300 MW now reached four months later
        ("Colossus 2", 900.0, date(2026, 12, 1), None, None),  # the 900 MW milestone was dropped
    ]
    got = levels(new, {"meta": "META"})
    assert got["dc.power_mw"] == 142 + 300 + 279 and got["dc.sites"] == 3
    assert got["dc.power_mw[META]"] == 142 and got["dc.h100e[META]"] == 1000 and got["dc.power_mw[XAI]"] == 300
    units = {o.series: o.unit for o in level_observations(new, KNOWN, {"meta": "META"})}
    assert units["dc.power_mw[META]"] == "MW (facility power)"


def test_switch_to_it_power_is_a_basis_change_not_a_drop(tmp_path: Path) -> None:
    old = read_epoch(write_epoch(tmp_path / "a", [{"name": "New Carlisle", "owner": "Amazon", "mw": "1092"}],
                                 [{"site": "New Carlisle", "date": "2026-03-23", "mw": "1092"}], key="Name", it_power=False),
                     as_of=date(2026, 4, 3))
    new = read_epoch(write_epoch(tmp_path / "b", [{"name": "New Carlisle", "owner": "Amazon", "mw": "910"}],
                                 [{"site": "New Carlisle", "date": "2026-03-23", "it": "910", "mw": "1092"}], key="Name", it_power=True),
                     as_of=date(2026, 7, 6))
    assert (old.power_basis, new.power_basis) == ("facility", "it")
    kinds = _by_kind(diff_snapshots(old, new))
    assert "power_change" not in kinds
    assert [c.detail for c in kinds["basis_change"]] == ["current power was facility power, is now it power; power changes not reported"]


def test_epoch_needs_its_date(tmp_path: Path) -> None:
    path = write_epoch(tmp_path / "a", [{"name": "S", "owner": "", "mw": "1"}], [], key="Name", it_power=False)
    with pytest.raises(PayloadError, match="pass as_of"):
        read_snapshot(path)


# -- the real files in ../shared/data/infra ----------------------------------------------------


@pytest.fixture
def infra(shared_data: Path) -> Path:
    folder = shared_data / "infra"
    if not folder.is_dir():
        pytest.skip(f"infrastructure snapshots not found at {folder}")
    return folder


def _ercot_plain(path: Path) -> tuple[date, pd.DataFrame]:
    """ERCOT's Large Gen table read the plain way: the row under the notes that names its columns."""
    contents = pd.read_excel(path, sheet_name="Contents", header=None, engine="calamine")
    run = next(str(v) for v in contents[0] if str(v).startswith("Time of Report Run"))
    raw = pd.read_excel(path, sheet_name="Project Details - Large Gen", header=None, engine="calamine")
    top = int(raw.index[raw[0] == "INR"][0])
    table = pd.read_excel(path, sheet_name="Project Details - Large Gen", header=top, engine="calamine")
    table = table[table["INR"].astype(str).str.contains("INR")]
    return pd.Timestamp(run.split(": ", 1)[1]).date(), table.set_index("INR")


def test_ercot_month_over_month_matches_a_plain_reading(infra: Path) -> None:
    old_path, new_path = infra / "ercot_gis/inputs/2025/12/file.xlsx", infra / "ercot_gis/inputs/2026/01/file.xlsx"
    old_run, old_table = _ercot_plain(old_path)
    new_run, new_table = _ercot_plain(new_path)
    old, new = read_snapshot(old_path), read_snapshot(new_path)
    assert (old.as_of, new.as_of) == (old_run, new_run) == (date(2026, 1, 1), date(2026, 2, 1))
    both = old_table.index.intersection(new_table.index)
    was = pd.to_datetime(old_table.loc[both, "Projected COD"])
    now = pd.to_datetime(new_table.loc[both, "Projected COD"])
    later, earlier = both[(now > was).to_numpy()], both[(now < was).to_numpy()]
    kinds = _by_kind(diff_snapshots(old, new))
    assert sorted(c.id for c in kinds["cod_slip"]) == sorted(later)
    assert sorted(c.id for c in kinds["cod_pull_in"]) == sorted(earlier)
    assert sum(c.mw for c in kinds["cod_slip"]) == pytest.approx(new_table.loc[later, "Capacity (MW)"].astype(float).sum())
    example = next(c for c in kinds["cod_slip"] if c.id == "20INR0203")  # the MANIFEST's example
    assert (example.old_date, example.new_date) == (date(2025, 12, 1), date(2026, 4, 1))
    assert example.mw == float(new_table.at["20INR0203", "Capacity (MW)"]) == pytest.approx(301, abs=1)
    gone = set(old_table.index) - set(new_table.index)
    assert {c.id for c in kinds["withdrawn"] + kinds["completed"] + kinds.get("removed", [])} == gone
    fresh = set(new_table.index) - set(old_table.index)
    assert {c.id for c in kinds["new_request"]} == fresh
    got = levels(new)
    assert got["grid.ercot.queue_mw"] == pytest.approx(new_table["Capacity (MW)"].astype(float).sum())
    assert got["grid.ercot.queue_count"] == len(new_table)
    gas = new_table[new_table["Fuel"] == "GAS"]["Capacity (MW)"].astype(float).sum()
    assert got["grid.ercot.queue_mw.gas"] == pytest.approx(gas)


def test_ercot_row_counts_of_every_report(infra: Path) -> None:
    # The MANIFEST's counts of Large Gen rows.
    expected = {"GIS_Report_December2024.xlsx": 1697, "GIS_Report_October2025.xlsx": 1810,
                "GIS_Report_November2025.xlsx": 1809, "inputs/2025/12/file.xlsx": 1810, "inputs/2026/01/file.xlsx": 1831}
    for name, count in expected.items():
        snapshot = read_snapshot(infra / "ercot_gis" / name)
        assert (snapshot.projects["status"] == "active").sum() == count, name


def _epoch_plain(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row.get("Name") or row["Handle"]: row for row in csv.DictReader(handle)}


def test_epoch_july_to_august_matches_a_plain_reading(infra: Path) -> None:
    old_path, new_path = infra / "epoch_ai/2026-07-07_data_centers.csv", infra / "epoch_ai/2026-08-03_data_centers.csv"
    before, after = _epoch_plain(old_path), _epoch_plain(new_path)
    old, new = read_epoch(old_path, as_of=date(2026, 7, 6)), read_epoch(new_path, as_of=date(2026, 8, 3))
    kinds = _by_kind(diff_snapshots(old, new))
    assert {c.id for c in kinds["site_added"]} == set(after) - set(before)
    assert len(kinds["site_added"]) == 7  # the MANIFEST's count
    moved = {s: float(after[s]["Current power (MW)"]) - float(before[s]["Current power (MW)"])
             for s in set(after) & set(before) if float(after[s]["Current power (MW)"]) != float(before[s]["Current power (MW)"])}
    assert {c.id: c.mw for c in kinds["power_change"]} == moved
    assert "basis_change" not in kinds
    ridgeland = [c for c in kinds["timeline_slip"] if c.id == "Amazon Ridgeland"]
    assert [c.old_date for c in ridgeland] == [date(2027, 9, 21)]  # the milestone the MANIFEST says is gone
    got = levels(new, {"Meta": "META"})
    assert got["dc.power_mw"] == pytest.approx(sum(float(r["Current power (MW)"]) for r in after.values()))
    assert got["dc.sites"] == len(after)
    meta = [r for r in after.values() if re.sub(r"\s*#\w+", "", r["Owner"]).strip() == "Meta"]
    assert got["dc.power_mw[META]"] == pytest.approx(sum(float(r["Current power (MW)"]) for r in meta))
    assert got["dc.h100e[META]"] == pytest.approx(sum(float(r["Current H100 equivalents"]) for r in meta))


def test_epoch_april_to_july_is_a_basis_change_with_renames(infra: Path) -> None:
    old = read_epoch(infra / "epoch_ai/2026-04-03_data_centers.csv", as_of=date(2026, 4, 3))
    new = read_epoch(infra / "epoch_ai/2026-07-07_data_centers.csv", as_of=date(2026, 7, 6))
    with (infra / "epoch_ai/2026-07-07_data_center_timelines.csv").open(newline="") as handle:
        has_it_power = "IT power (MW)" in next(csv.reader(handle))
    assert has_it_power and (old.power_basis, new.power_basis) == ("facility", "it")
    kinds = _by_kind(diff_snapshots(old, new))
    assert "power_change" not in kinds and len(kinds["basis_change"]) == 1
    assert {(c.id, c.detail) for c in kinds["renamed"]} == {("Colossus 1", "was xAI Colossus 1"), ("Colossus 2", "was xAI Colossus 2")}
    assert any("EdgeCore Mesa PH03" in w for w in new.warnings)  # in the timelines, not in the sites file


def test_epoch_december_handles(infra: Path) -> None:
    path = infra / "epoch_ai/2025-12-14_data_centers.csv"
    snapshot = read_epoch(path, as_of=date(2025, 12, 11))
    with path.open(newline="", encoding="utf-8") as handle:
        handles = [row["Handle"] for row in csv.DictReader(handle)]
    assert list(snapshot.projects["id"]) == handles and len(handles) == 16
    assert snapshot.timelines is not None and len(snapshot.timelines) == 112


def test_nyiso_snapshots_ordered_by_their_saved_date(infra: Path) -> None:
    folder = infra / "nyiso_queue"
    names = ["2025-03-29_NYISO-Interconnection-Queue.xlsx", "2025-01-13_NYISO-Interconnection-Queue.xlsx",
             "2025-01-23_NYISO-Interconnection-Queue.xlsx"]
    saved = []
    for name in names:
        with zipfile.ZipFile(folder / name) as book:
            saved.append(date.fromisoformat(re.search(r"modified[^>]*>(\d{4}-\d\d-\d\d)", book.read("docProps/core.xml").decode())[1]))
    snapshots = [read_nyiso(folder / n) for n in names]
    assert [s.as_of for s in snapshots] == saved == sorted(saved)  # the latest commit holds the oldest data
    with pytest.raises(ValueError):
        diff_snapshots(snapshots[1], snapshots[0])
    queue = pd.read_excel(folder / names[2], sheet_name="Interconnection Queue", engine="calamine", dtype={"Queue Pos.": str})
    cluster = pd.read_excel(folder / names[2], sheet_name=" Cluster Projects", engine="calamine")
    loads = pd.concat([queue, cluster])
    loads = loads[loads["Type/ Fuel"] == "L"]
    got = levels(snapshots[2])
    assert got["grid.nyiso.load_count"] == len(loads) and 21 <= len(loads) <= 24
    assert got["grid.nyiso.load_mw"] == pytest.approx(pd.to_numeric(loads["SP (MW)"]).sum())
    load_ids = set(snapshots[2].projects.query("is_load")["id"])
    assert {"0979", "1670", "1719"} <= load_ids  # data centers the MANIFEST names
    kinds = _by_kind(diff_snapshots(snapshots[1], snapshots[2]))
    assert any(c.id == "0721" and c.new_date and c.new_date.year == 2026 for c in kinds["cod_slip"])
    # In Service splits its header over two rows; its positions are the completed projects.
    in_service = pd.read_excel(folder / names[1], sheet_name="In Service", header=None, engine="calamine", dtype=object)
    positions = {str(v).strip() for v in in_service[0].iloc[2:] if isinstance(v, str) and v.strip()[:1].isdigit()}
    completed = set(snapshots[1].projects.query("status == 'completed'")["id"])
    assert positions and positions <= completed
    assert "0717" in positions and "0717" in set(snapshots[0].projects.query("status == 'active'")["id"])
    first = _by_kind(diff_snapshots(snapshots[0], snapshots[1]))
    assert [(c.id, c.mw) for c in first["completed"]] == [("0717", 177.0)]


def test_miso_real_placeholder_and_counts(infra: Path) -> None:
    folder = infra / "miso_queue"
    path = folder / "2025-01-23_MISO GI Interactive Queue.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    snapshot = read_miso(path, as_of=date(2025, 1, 23))
    assert len(snapshot.projects) == len(rows) - 1 and "AA1234" not in set(snapshot.projects["id"])
    active = [r for r in rows if r["Request Status"] in {"Active", "Confirmed", "In Review", "Correction"}]
    assert levels(snapshot)["grid.miso.queue_mw"] == pytest.approx(sum(float(r["Summer MW"] or 0) for r in active))
    assert (snapshot.projects["raw_status"] == "Active").sum() == 1920  # the MANIFEST's count


def test_pjm_like_with_like_and_a_known_slip(infra: Path) -> None:
    folder = infra / "pjm_queue"
    old = read_snapshot(folder / "2025-01-23_PJM Queue.xlsx", as_of=date(2025, 1, 23))
    new = read_snapshot(folder / "2025-04-21_PlanningQueues.xlsx", as_of=date(2025, 4, 21))
    plain = pd.read_excel(folder / "2025-04-21_PlanningQueues.xlsx", sheet_name="Data", engine="calamine")
    assert len(new.projects) == (plain["Project Type"] == "Generation Interconnection").sum() == 8190
    kinds = _by_kind(diff_snapshots(old, new))
    slips = {c.id: c for c in kinds["cod_slip"]}
    for pid in ("AB1-087", "AB1-088"):  # the MANIFEST's example
        assert (slips[pid].old_date, slips[pid].new_date) == (date(2025, 6, 1), date(2027, 5, 7))
        assert slips[pid].mw == plain.set_index("Project ID").at[pid, "MW Energy"]
    older = pd.read_excel(folder / "2025-01-23_PJM Queue.xlsx", sheet_name="Data", engine="calamine").set_index("Project ID")
    newer = plain.set_index("Project ID")
    both = older.index.intersection(newer.index)
    to_withdrawn = [p for p in both if older.at[p, "Status"] == "Active" and newer.at[p, "Status"] == "Withdrawn"]
    assert len(to_withdrawn) == 185
    assert set(to_withdrawn) <= {c.id for c in kinds["withdrawn"]}


def test_caiso_run_dates_and_active_counts(infra: Path) -> None:
    folder = infra / "caiso_queue"
    for name, run, active in (("2025-01-13_CAISO Queue Report.xlsx", date(2024, 7, 13), 420),
                              ("2025-01-23_CAISO Queue Report.xlsx", date(2025, 1, 23), 393)):
        raw = pd.read_excel(folder / name, sheet_name="Grid GenerationQueue", header=None, engine="calamine")
        line = next(v for v in raw.iloc[0] if str(v).startswith("Report Run Date"))
        stamp = datetime.strptime(line.split(": ")[1], "%m/%d/%Y").date()
        table = pd.read_excel(folder / name, sheet_name="Grid GenerationQueue", header=3, engine="calamine")
        table = table[table["Queue Position"].notna()]
        snapshot = read_snapshot(folder / name)
        assert snapshot.as_of == stamp == run
        assert (snapshot.projects["status"] == "active").sum() == len(table) == active
        assert levels(snapshot)["grid.caiso.queue_mw"] == pytest.approx(pd.to_numeric(table["Net MWs to Grid"]).sum())


def test_snapshot_batch_bundles_levels_changes_and_series(miso_pair) -> None:
    from signalflow.series import SeriesKind
    from signalflow.sources.snapshots import snapshot_batch

    old, new = miso_pair
    alone = snapshot_batch(new, KNOWN)
    assert not alone.events and all(info.kind is SeriesKind.LEVEL for info in alone.series)
    assert any("AA1234" in w and w.startswith("new.csv: ") for w in alone.warnings)
    batch = snapshot_batch(new, KNOWN, previous=old)
    infos = {info.key: info for info in batch.series}
    assert infos["grid.miso.queue_mw"].kind is SeriesKind.LEVEL and infos["grid.miso.queue_mw"].source == "grid"
    assert infos["grid.miso.cod_slip.mw"].kind is SeriesKind.EVENT and infos["grid.miso.cod_slip.mw"].unit == "MW"
    assert len(batch.series) == len({o.series for o in batch.observations})
    assert {e.label for e in batch.events} == {c.kind for c in diff_snapshots(old, new)}
    assert all(o.known_at == KNOWN for o in batch.observations)


def test_nyiso_layout_loads_and_month_dates(tmp_path: Path) -> None:
    header = ["Queue Pos.", "Developer/Interconnection Customer", "Project Name", "Date of IR", "SP (MW)", "WP (MW)",
              "Type/ Fuel", "County", "State", "Z", "Points of Interconnection", "Utility", "S", "Last Updated Date",
              "Proposed In-Service/Initial Backfeed Date", "Proposed Sync Date", "Proposed COD"]

    def row(pos, mw, fuel, cod, name="P"):
        return [pos, "Dev", f"{name} {pos}", "2024-01-01", mw, mw, fuel, "C", "NY", "A", "POI", "NYSEG", "9", "2024-11-30", cod, cod, cod]

    def book(name, active, in_service=()):
        sheets = {
            "Interconnection Queue": [header] + active + [[None, "DPS/State - SIR Interconnection Queue (notes):"]],
            " Cluster Projects": [header],
            "Withdrawn": [["Queue Pos.", "Owner/Developer", "Project Name", "Date of IR", "SP (MW)"]],
            "In Service": [["Queue", None, None, "Date", "SP", "WP", "Type/"], ["Pos.", "Owner/Developer", "Project Name", "of IR", "(MW)", "(MW)", "Fuel"]]
            + [list(r) for r in in_service],
        }
        return read_nyiso(write_xlsx(tmp_path / name, sheets), as_of=date(2025, 1, 9) if "jan" in name else date(2024, 12, 10))

    old = book("dec.xlsx", [row("0979", 176, "L", "04-2026", "North Country Data Center"), row("0721", 280, "S", "12-2024"),
                            row("0500", 50, "W", "5-2026")])
    new = book("jan.xlsx", [row("0979", 176, "L", "04/2026", "North Country Data Center"), row("0721", 280, "S", "04/2026")],
               in_service=[["0500", "Dev", "P 0500", "2024-01-01", 50, 50, "W"]])
    assert new.as_of_basis == "given"
    kinds = _by_kind(diff_snapshots(old, new))
    assert [(c.id, c.old_date, c.new_date) for c in kinds["cod_slip"]] == [("0721", date(2024, 12, 1), date(2026, 4, 1))]
    assert [(c.id, c.mw) for c in kinds["completed"]] == [("0500", 50.0)]
    assert set(kinds) == {"cod_slip", "completed"}  # "04-2026" -> "04/2026" is formatting, not a change
    got = levels(new)
    assert (got["grid.nyiso.load_mw"], got["grid.nyiso.load_count"], got["grid.nyiso.queue_mw"]) == (176, 1, 280)


def test_history_orders_by_the_data_date_not_the_file_name(infra: Path) -> None:
    from signalflow.sources.snapshots import snapshot_history

    folder = infra / "nyiso_queue"
    by_name = sorted(folder.glob("*.xlsx"))  # by file name the Nov 2024 data comes last
    snapshots = [read_nyiso(path) for path in by_name]
    assert snapshots[-1].as_of < snapshots[0].as_of
    published = {s.origin: datetime.combine(s.as_of, datetime.min.time()).replace(hour=12) for s in snapshots}
    history = snapshot_history(snapshots, known_at=lambda s: published[s.origin])
    ordered = sorted(snapshots, key=lambda s: s.as_of)
    expected = diff_snapshots(ordered[0], ordered[1]) + diff_snapshots(ordered[1], ordered[2])
    assert [e.title for e in history.events] == [c.describe() for c in expected]
    queue = sorted((o.known_at, o.value) for o in history.observations if o.series == "grid.nyiso.queue_mw")
    assert [k for k, _ in queue] == sorted(published.values())
    assert [v for _, v in queue] == [levels(s)["grid.nyiso.queue_mw"] for s in ordered]
    assert len({info.key for info in history.series}) == len(history.series)
