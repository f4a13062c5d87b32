"""ERCOT's monthly Generation Interconnection Status (GIS) report."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import (
    Record,
    Snapshot,
    cell_rows,
    clean_text,
    find_columns,
    grid_frame,
    header_row,
    parse_date,
    parse_mw,
    read_excel_sheet,
    resolve_as_of,
    sheet_names,
)

if TYPE_CHECKING:
    import pandas as pd


def _ercot_run_date(contents: pd.DataFrame) -> date | None:
    import pandas as pd

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
    for line, row in cell_rows(cells, top + 5, columns):
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
    return Snapshot("ercot", "grid", origin, when, basis, grid_frame(records))


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
        for line, row in cell_rows(cells, top + 1, columns):
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
