"""PJM's interconnection-queue export."""

from __future__ import annotations

from datetime import date
from pathlib import Path


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
)


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
    for line, row in cell_rows(cells, top + 1, columns):
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
    return Snapshot("pjm", "grid", origin, when, basis, grid_frame(records), warnings=tuple(warnings))
