"""MISO's GI Interactive Queue CSV export."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path


from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import (
    Record,
    Snapshot,
    clean_text,
    find_columns,
    grid_frame,
    parse_date,
    parse_mw,
    resolve_as_of,
)


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
    return Snapshot("miso", "grid", origin, when, basis, grid_frame(records), warnings=tuple(warnings))
