"""CAISO's queue report workbook."""

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
        for line, row in cell_rows(cells, top + 1, columns):
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
    return Snapshot("caiso", "grid", origin, when[0], when[1], grid_frame(records))
