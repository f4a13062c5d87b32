"""Readers for the grid operators' interconnection-queue files (ERCOT, PJM, NYISO, MISO, CAISO).

Each reader returns a :class:`Snapshot` whose ``projects`` frame has :data:`GRID_COLUMNS`. The
readers keep the publisher's project id as written (NYISO's ``0979`` stays a string) and map
each publisher's status words onto :data:`STATUSES`; a row whose status is not a known word
(MISO's published placeholder ``AA1234`` "fish mango watermelon") is dropped with a warning.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import (
    GRID_COLUMNS,
    Snapshot,
    clean_text,
    find_columns,
    header_row,
    parse_date,
    parse_mw,
    read_excel_sheet,
    resolve_as_of,
    sheet_names,
    workbook_saved,
)

Record = dict[str, Any]


def _frame(records: list[Record]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=GRID_COLUMNS)
    frame["mw"] = frame["mw"].astype(float)
    frame["is_load"] = frame["is_load"].astype(bool)
    return frame


def _rows(cells: pd.DataFrame, start: int, columns: dict[str, int]) -> Iterator[tuple[int, Record]]:
    """Rows from ``start`` on as (1-based sheet row, {canonical name: cell})."""
    for index in range(start, len(cells)):
        values = cells.iloc[index]
        yield index + 1, {name: values.iloc[position] for name, position in columns.items()}


def _ercot_run_date(contents: pd.DataFrame) -> date | None:
    for value in contents.to_numpy().ravel():
        text = clean_text(value)
        if text.startswith("Time of Report Run:"):
            found = pd.to_datetime(text.split(":", 1)[1].strip(), errors="coerce", format="mixed")
            return None if pd.isna(found) else found.date()
    return None


ERCOT_LARGE_GEN = "Project Details - Large Gen"
_ERCOT_COLUMNS = {
    "id": ("INR",),
    "name": ("Project Name",),
    "owner": ("Interconnecting Entity",),
    "cod": ("Projected COD",),
    "fuel": ("Fuel",),
    "technology": ("Technology",),
    "mw": ("Capacity (MW)",),
    "phase": ("GIM Study Phase",),
}


def read_ercot(path: Path | str, as_of: date | None = None) -> Snapshot:
    """ERCOT's monthly GIS report: the "Project Details - Large Gen" table, plus the month's exits.

    The table's header is the row whose first cell is ``INR``, followed by four continuation
    rows. Every Large Gen row is in the queue (``active``). The same workbook's "Commissioning
    Update" (commercial operation approved) and "Cancellation Update"/"Inactive Projects" sheets
    add rows with status ``completed`` and ``withdrawn`` for INRs no longer in the table, so a
    diff can tell a completion from a cancellation. The date is the "Time of Report Run" on
    the Contents sheet.
    """
    path = Path(path)
    origin = path.name
    contents = read_excel_sheet(path, "Contents", origin)
    when, basis = resolve_as_of(_ercot_run_date(contents), as_of, "content", origin)
    cells = read_excel_sheet(path, ERCOT_LARGE_GEN, origin)
    top = header_row(cells, "INR", origin, ERCOT_LARGE_GEN)
    where = f"sheet {ERCOT_LARGE_GEN!r}"
    columns = find_columns(list(cells.iloc[top]), _ERCOT_COLUMNS, origin, where, {"id", "mw", "cod", "fuel"}, top + 1)
    records: list[Record] = []
    for line, row in _rows(cells, top + 5, columns):
        inr = clean_text(row["id"])
        if not inr or not re.match(r"^\d{2}INR\d", inr, re.IGNORECASE):
            continue  # blank rows and trailing notes
        records.append(
            {
                "id": inr,
                "name": clean_text(row.get("name")),
                "mw": parse_mw(row["mw"], origin, where, line),
                "fuel": clean_text(row["fuel"]),
                "technology": clean_text(row.get("technology")),
                "cod": parse_date(row["cod"]),
                "status": "active",
                "raw_status": clean_text(row.get("phase")),
                "owner": clean_text(row.get("owner")),
                "is_load": False,
                "sheet": ERCOT_LARGE_GEN,
                "row": line,
            }
        )
    if not records:
        raise PayloadError(origin, f"{where}: no INR rows under the header", top + 1)
    seen = {r["id"] for r in records}
    records += _ercot_exits(path, origin, seen)
    return Snapshot("ercot", "grid", origin, when, basis, _frame(records))


_ERCOT_EXIT_SHEETS = {
    "Commissioning Update": "completed",
    "Cancellation Update": "withdrawn",
    "Inactive Projects": "withdrawn",
}


def _ercot_exits(path: Path, origin: str, seen: set[str]) -> list[Record]:
    records: list[Record] = []
    available = {name.strip() for name in sheet_names(path, origin)}
    for sheet, status in _ERCOT_EXIT_SHEETS.items():
        if sheet not in available:
            continue
        cells = read_excel_sheet(path, sheet, origin)
        top = header_row(cells, "INR", origin, sheet, column=None)
        wanted = {"id": ("INR",), "name": ("Project Name",), "fuel": ("Fuel",), "mw": ("MW **", "MW"),
                  "category": ("Commissioning Category",), "date": ("Approval Date *", "Cancel Date", "Inactive Date")}
        columns = find_columns(list(cells.iloc[top]), wanted, origin, f"sheet {sheet!r}", {"id"}, top + 1)
        for line, row in _rows(cells, top + 1, columns):
            inr = clean_text(row["id"])
            if not re.match(r"^\d{2}INR\d", inr, re.IGNORECASE) or inr in seen:
                continue
            category = clean_text(row.get("category"))
            if status == "completed" and not category.startswith("Commercial Operation"):
                continue
            seen.add(inr)
            records.append(
                {
                    "id": inr,
                    "name": clean_text(row.get("name")),
                    "mw": parse_mw(row.get("mw"), origin, f"sheet {sheet!r}", line),
                    "fuel": clean_text(row.get("fuel")),
                    "technology": "",
                    "cod": parse_date(row.get("date")) if status == "completed" else None,
                    "status": status,
                    "raw_status": category or sheet,
                    "owner": "",
                    "is_load": False,
                    "sheet": sheet,
                    "row": line,
                }
            )
    return records


_PJM_STATUS = {
    "active": "active",
    "engineering and procurement": "active",
    "under construction": "active",
    "partially in service - under construction": "active",
    "suspended": "active",
    "confirmed": "active",
    "in service": "completed",
    "withdrawn": "withdrawn",
    "retracted": "withdrawn",
    "annulled": "withdrawn",
    "canceled": "withdrawn",
    "deactivated": "retired",
}
_PJM_COLUMNS = {
    "id": ("Project ID",),
    "name": ("Name",),
    "commercial": ("Commercial Name",),
    "status": ("Status",),
    "owner": ("Transmission Owner",),
    "mw": ("MW Energy",),
    "mfo": ("MFO",),
    "type": ("Project Type",),
    "fuel": ("Fuel",),
    "revised": ("Revised In Service Date",),
    "milestone": ("Commercial Operation Milestone",),
    "actual": ("Actual In Service Date",),
}


def read_pjm(
    path: Path | str, as_of: date | None = None, project_types: tuple[str, ...] = ("Generation Interconnection",)
) -> Snapshot:
    """PJM's queue export (sheet ``Data``), keyed by ``Project ID``.

    Only ``project_types`` are kept: the Jan 2025 export holds generation rows only while the
    Apr 2025 one adds transmission and upgrade requests, so like is compared with like. MW is
    the request's ``MW Energy`` (``MFO``, the whole facility's output, counts existing units of
    an uprate again), else ``MFO``; the COD is the ``Revised In Service Date``, else the
    ``Commercial Operation Milestone``, and for projects in service the actual date. The export carries no date of its own: ``as_of`` must be given.
    """
    path = Path(path)
    origin = path.name
    when, basis = resolve_as_of(None, as_of, "", origin)
    cells = read_excel_sheet(path, "Data", origin)
    top = header_row(cells, "Project ID", origin, "Data")
    columns = find_columns(list(cells.iloc[top]), _PJM_COLUMNS, origin, "sheet 'Data'", {"id", "status", "mw", "fuel"}, top + 1)
    records: list[Record] = []
    warnings: list[str] = []
    kept = {t.casefold() for t in project_types}
    skipped = 0
    for line, row in _rows(cells, top + 1, columns):
        project = clean_text(row["id"])
        if not project:
            continue
        if kept and clean_text(row.get("type")).casefold() not in kept:
            skipped += 1
            continue
        raw = clean_text(row["status"])
        status = _PJM_STATUS.get(raw.casefold())
        if status is None:
            warnings.append(f"row {line}: {project} has unknown status {raw!r}; dropped")
            continue
        mw = parse_mw(row["mw"], origin, "sheet 'Data'", line)
        if mw is None:
            mw = parse_mw(row.get("mfo"), origin, "sheet 'Data'", line)
        cod = parse_date(row.get("actual")) if status == "completed" else None
        cod = cod or parse_date(row.get("revised")) or parse_date(row.get("milestone"))
        records.append(
            {
                "id": project,
                "name": clean_text(row.get("name")) or clean_text(row.get("commercial")),
                "mw": mw,
                "fuel": clean_text(row["fuel"]),
                "technology": clean_text(row.get("type")),
                "cod": cod,
                "status": status,
                "raw_status": raw,
                "owner": clean_text(row.get("owner")),
                "is_load": False,
                "sheet": "Data",
                "row": line,
            }
        )
    if skipped:
        warnings.append(f"{skipped} rows of other project types left out (kept: {', '.join(project_types)})")
    return Snapshot("pjm", "grid", origin, when, basis, _frame(records), warnings=tuple(warnings))


_NYISO_SHEETS = {
    "Interconnection Queue": "active",
    "Cluster Projects": "active",
    "Withdrawn": "withdrawn",
    "Cluster Projects-Withdrawn": "withdrawn",
}
_NYISO_COLUMNS = {
    "id": ("Queue Pos.",),
    "owner": ("Developer/Interconnection Customer", "Interconnection Customer Name", "Owner/Developer"),
    "name": ("Project Name",),
    "mw": ("SP (MW)",),
    "fuel": ("Type/ Fuel", "Type/Fuel"),
    "status_code": ("S",),
    "cod": ("Proposed COD",),
    "in_service": ("Proposed In-Service/Initial Backfeed Date", "Proposed In-Service"),
}


def _nyiso_id(value: Any) -> str:
    """``Queue Pos.`` as NYISO writes it: a number is zero-padded to four digits (``0979``)."""
    text = clean_text(value)
    if re.fullmatch(r"\d+(\.0)?", text):
        return f"{int(float(text)):04d}"
    return text


def read_nyiso(path: Path | str, as_of: date | None = None) -> Snapshot:
    """NYISO's interconnection-queue workbook: active serial and cluster projects, and withdrawals.

    The ``In Service`` sheet is not read (its two-row header is hand-formatted); a project that
    leaves the active sheets for it shows as ``removed`` in a diff. ``Type/ Fuel`` ``L`` marks a
    large load (data centers, fabs): ``is_load``. The COD is ``Proposed COD``, else the proposed
    in-service date; both are month-only text in several spellings. The workbook's saved date
    (document properties) dates the snapshot, not the file name, which is a download date.
    """
    path = Path(path)
    origin = path.name
    when, basis = resolve_as_of(workbook_saved(path), as_of, "file_properties", origin)
    available = {name.strip() for name in sheet_names(path, origin)}
    if "Interconnection Queue" not in available:
        raise PayloadError(origin, f"no sheet 'Interconnection Queue' (sheets: {', '.join(sorted(available))})")
    records: list[Record] = []
    for sheet, status in _NYISO_SHEETS.items():
        if sheet not in available:
            continue
        cells = read_excel_sheet(path, sheet, origin)
        top = header_row(cells, "Queue Pos.", origin, sheet)
        where = f"sheet {sheet!r}"
        columns = find_columns(list(cells.iloc[top]), _NYISO_COLUMNS, origin, where, {"id", "mw"}, top + 1)
        for line, row in _rows(cells, top + 1, columns):
            raw_id = clean_text(row["id"])
            if not raw_id or len(raw_id) > 12 or " " in raw_id:
                continue  # blank rows and the notes under the table
            fuel = clean_text(row.get("fuel"))
            records.append(
                {
                    "id": _nyiso_id(raw_id),
                    "name": clean_text(row.get("name")),
                    "mw": parse_mw(row["mw"], origin, where, line),
                    "fuel": fuel,
                    "technology": "",
                    "cod": parse_date(row.get("cod")) or parse_date(row.get("in_service")),
                    "status": status,
                    "raw_status": clean_text(row.get("status_code")),
                    "owner": clean_text(row.get("owner")),
                    "is_load": fuel.upper() == "L",
                    "sheet": sheet,
                    "row": line,
                }
            )
    frame = _frame(records)
    # A project listed both as active and withdrawn (moved mid-month) counts as withdrawn.
    frame = frame.sort_values("status", key=lambda s: s.eq("withdrawn")).drop_duplicates("id", keep="last")
    return Snapshot("nyiso", "grid", origin, when, basis, frame.sort_values("row", kind="stable").reset_index(drop=True))


_MISO_STATUS = {
    "active": "active",
    "confirmed": "active",
    "in review": "active",
    "correction": "active",
    "withdrawn": "withdrawn",
    "done": "agreement",
}


def read_miso(path: Path | str, as_of: date | None = None) -> Snapshot:
    """MISO's GI Interactive Queue CSV, keyed by ``Project #``.

    ``Done`` means the agreement is signed; it is ``completed`` when ``Post GIA Status`` says
    "In Service", else ``agreement``. The COD is the ``Negotiated In Service Date``, else the
    ``Appl In Service Date``. The export carries no date of its own: ``as_of`` must be given.
    """
    path = Path(path)
    origin = path.name
    when, basis = resolve_as_of(None, as_of, "", origin)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PayloadError(origin, f"not a readable CSV ({exc})") from exc
    if not rows:
        raise PayloadError(origin, "empty file")
    wanted = {
        "id": ("Project #",),
        "status": ("Request Status",),
        "owner": ("Transmission Owner",),
        "mw": ("Summer MW",),
        "fuel": ("Fuel",),
        "technology": ("Generating Facility",),
        "post_gia": ("Post GIA Status",),
        "negotiated": ("Negotiated In Service Date",),
        "applied": ("Appl In Service Date",),
        "poi": ("POI Name",),
    }
    columns = find_columns(rows[0], wanted, origin, "header", {"id", "status", "mw", "fuel"}, 1)
    records: list[Record] = []
    warnings: list[str] = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) < len(rows[0]):
            raise PayloadError(origin, f"row has {len(values)} fields, the header {len(rows[0])}", line)
        row = {name: values[i] for name, i in columns.items()}
        raw = clean_text(row["status"])
        status = _MISO_STATUS.get(raw.casefold())
        if status is None:
            warnings.append(f"row {line}: {row['id']} has unknown status {raw!r} (a placeholder?); dropped")
            continue
        if status == "agreement" and clean_text(row.get("post_gia")).casefold() == "in service":
            status = "completed"
        records.append(
            {
                "id": clean_text(row["id"]),
                "name": clean_text(row.get("poi")),
                "mw": parse_mw(row["mw"], origin, "row", line),
                "fuel": clean_text(row["fuel"]),
                "technology": clean_text(row.get("technology")),
                "cod": parse_date(row.get("negotiated")) or parse_date(row.get("applied")),
                "status": status,
                "raw_status": raw,
                "owner": clean_text(row.get("owner")),
                "is_load": False,
                "sheet": "",
                "row": line,
            }
        )
    return Snapshot("miso", "grid", origin, when, basis, _frame(records), warnings=tuple(warnings))


_CAISO_SHEETS = {
    "Grid GenerationQueue": "active",
    "Completed Generation Projects": "completed",
    "Withdrawn Generation Projects": "withdrawn",
}
_CAISO_COLUMNS = {
    "id": ("Queue Position",),
    "name": ("Project Name", "Project Name - Confidential"),
    "mw": ("Net MWs to Grid",),
    "fuel": ("Fuel-1",),
    "technology": ("Type-1",),
    "status": ("Application Status",),
    "owner": ("Utility",),
    "current": ("Current On-line Date",),
    "actual": ("Actual On-line Date",),
}


def _caiso_run_date(cells: pd.DataFrame) -> date | None:
    for value in cells.iloc[0]:
        match = re.search(r"Report Run Date:\s*(\d{1,2}/\d{1,2}/\d{4})", clean_text(value))
        if match:
            return parse_date(match[1])
    return None


def read_caiso(path: Path | str, as_of: date | None = None) -> Snapshot:
    """CAISO's queue report: active, completed and withdrawn sheets, keyed by ``Queue Position``.

    The header is the row holding ``Queue Position`` (row 4); header cells carry embedded
    newlines, matched with whitespace collapsed. MW is ``Net MWs to Grid``; the COD is the
    ``Current On-line Date`` (``Actual On-line Date`` for completed projects). The date is the
    "Report Run Date" in the first row of the active sheet.
    """
    path = Path(path)
    origin = path.name
    available = {name.strip() for name in sheet_names(path, origin)}
    if "Grid GenerationQueue" not in available:
        raise PayloadError(origin, f"no sheet 'Grid GenerationQueue' (sheets: {', '.join(sorted(available))})")
    records: list[Record] = []
    when: tuple[date, str] | None = None
    for sheet, status in _CAISO_SHEETS.items():
        if sheet not in available:
            continue
        cells = read_excel_sheet(path, sheet, origin)
        if when is None:
            when = resolve_as_of(_caiso_run_date(cells), as_of, "content", origin)
        top = header_row(cells, "Queue Position", origin, sheet, column=None)
        where = f"sheet {sheet!r}"
        columns = find_columns(list(cells.iloc[top]), _CAISO_COLUMNS, origin, where, {"id", "mw"}, top + 1)
        for line, row in _rows(cells, top + 1, columns):
            position = clean_text(row["id"])
            if not position:
                continue
            if re.fullmatch(r"\d+\.0", position):
                position = position[:-2]
            records.append(
                {
                    "id": position,
                    "name": clean_text(row.get("name")),
                    "mw": parse_mw(row["mw"], origin, where, line),
                    "fuel": clean_text(row.get("fuel")),
                    "technology": clean_text(row.get("technology")),
                    "cod": parse_date(row.get("actual") if status == "completed" else row.get("current")),
                    "status": status,
                    "raw_status": clean_text(row.get("status")),
                    "owner": clean_text(row.get("owner")),
                    "is_load": False,
                    "sheet": sheet,
                    "row": line,
                }
            )
    assert when is not None
    return Snapshot("caiso", "grid", origin, when[0], when[1], _frame(records))
