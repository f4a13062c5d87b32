"""NYISO's interconnection-queue workbook; it lists large loads (data centers) with generation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any


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
    workbook_saved,
)


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
        for line, row in cell_rows(cells, top + 1, columns):
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
    frame = grid_frame(records)
    # A project listed both as active and withdrawn (moved mid-month) counts as withdrawn.
    frame = frame.sort_values("status", key=lambda s: s.eq("withdrawn")).drop_duplicates("id", keep="last")
    return Snapshot("nyiso", "grid", origin, when, basis, frame.sort_values("row", kind="stable").reset_index(drop=True))
