"""NYISO's interconnection-queue workbook; it lists large loads (data centers) with generation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import pandas as pd


_NYISO_SHEETS = {
    "Interconnection Queue": "active",
    "Cluster Projects": "active",
    "Withdrawn": "withdrawn",
    "Cluster Projects-Withdrawn": "withdrawn",
    "In Service": "completed",
}
_PRECEDENCE = {"active": 0, "withdrawn": 1, "completed": 2}
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


def _header(cells: pd.DataFrame, origin: str, sheet: str) -> tuple[list[str], int]:
    """The sheet's column names and the index of its first data row.

    Most sheets have one header row starting ``Queue Pos.``; ``In Service`` splits each name
    over two rows (``Queue`` / ``Pos.``, ``Type/`` / ``Fuel``), which are joined.
    """
    firsts = [clean_text(v) for v in cells[0]] if len(cells.columns) else []
    if "Queue Pos." in firsts:
        top = firsts.index("Queue Pos.")
        return [clean_text(v) for v in cells.iloc[top]], top + 1
    top = header_row(cells, "Queue", origin, sheet)
    if top + 1 >= len(cells):
        raise PayloadError(origin, f"sheet {sheet!r}: the header ends the sheet", top + 1)
    upper, lower = cells.iloc[top], cells.iloc[top + 1]
    return [" ".join(p for p in (clean_text(a), clean_text(b)) if p) for a, b in zip(upper, lower)], top + 2


def read_nyiso(path: Path | str, as_of: date | None = None) -> Snapshot:
    """NYISO's interconnection-queue workbook: active serial and cluster projects, and withdrawals.

    The ``In Service`` sheet spreads its header over two rows (``Queue`` over ``Pos.``); the two
    are joined. A project listed on two sheets takes the later stage (in service over
    withdrawn over active). ``Type/ Fuel`` ``L`` marks a
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
        where = f"sheet {sheet!r}"
        headers, start = _header(cells, origin, sheet)
        columns = find_columns(headers, _NYISO_COLUMNS, origin, where, {"id", "mw"}, start)
        for line, row in cell_rows(cells, start, columns):
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
    frame = frame.sort_values("status", key=lambda s: s.map(_PRECEDENCE), kind="stable").drop_duplicates("id", keep="last")
    return Snapshot("nyiso", "grid", origin, when, basis, frame.sort_values("row", kind="stable").reset_index(drop=True))
