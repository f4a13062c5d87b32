"""Reader for Epoch AI's Frontier Data Centers export (``data_centers.csv`` and its timelines).

Epoch's export drifts between releases: the site key is ``Handle`` in the Dec 2025 export and
``Name`` after it, dates are ``M/D/YYYY`` then ISO, and ``IT power (MW)`` appears next to
``Power (MW)`` in the timelines from Jul 2026, when the sites' ``Current power (MW)`` switches
from facility power to IT power. The reader records that switch as the snapshot's
``power_basis`` so a diff reports a basis change rather than a "drop" of a fifth of the power.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import (
    DC_COLUMNS,
    TIMELINE_COLUMNS,
    Snapshot,
    clean_text,
    find_columns,
    parse_date,
    parse_mw,
    resolve_as_of,
)

if TYPE_CHECKING:
    import pandas as pd

_SITE_COLUMNS = {
    "id": ("Name", "Handle"),
    "title": ("Title",),
    "owner": ("Owner",),
    "power_mw": ("Current power (MW)",),
    "h100e": ("Current H100 equivalents",),
}
_TIMELINE_COLUMNS = {
    "site": ("Data center",),
    "date": ("Date",),
    "power_mw": ("Power (MW)",),
    "it_power_mw": ("IT power (MW)",),
    "status_text": ("Construction status",),
}


def owner_name(value: Any) -> str:
    """An owner cell without Epoch's confidence tags: ``"Meta #confident"`` -> ``"Meta"``."""
    return " ".join(re.sub(r"#\w+", " ", clean_text(value)).split())


def _read_csv(path: Path, origin: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (starting line, fields) records; fields may hold embedded newlines."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise PayloadError(origin, "empty file")
            records = []
            line = reader.line_num + 1
            for fields in reader:
                records.append((line, fields))
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PayloadError(origin, f"not a readable CSV ({exc})") from exc
    return header, records


def timelines_path_for(path: Path) -> Path:
    """The timelines file published beside a ``*data_centers.csv``."""
    return path.with_name(path.name.replace("data_centers", "data_center_timelines"))


def read_epoch(path: Path | str, as_of: date, timelines: Path | str | None = None) -> Snapshot:
    """Epoch's sites file (and its timelines, found beside it unless given) as of ``as_of``.

    The export's own file names and commit dates say nothing reliable about when the data was
    current, so ``as_of`` is required. Sites are keyed by their name as Epoch writes it.
    ``power_basis`` is ``"it"`` when the timelines carry an ``IT power (MW)`` column,
    ``"facility"`` when they do not, and ``"unknown"`` without timelines.
    """
    import pandas as pd

    path = Path(path)
    origin = path.name
    when, basis = resolve_as_of(None, as_of, "", origin)
    header, records = _read_csv(path, origin)
    columns = find_columns(header, _SITE_COLUMNS, origin, "header", {"id", "power_mw"}, 1)
    rows: list[dict[str, Any]] = []
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise PayloadError(origin, f"row has {len(fields)} fields, the header {len(header)}", line)
        site = clean_text(fields[columns["id"]])
        if not site:
            raise PayloadError(origin, "a site without a name", line)
        rows.append(
            {
                "id": site,
                "name": clean_text(fields[columns["title"]]) if "title" in columns else site,
                "owner": owner_name(fields[columns["owner"]]) if "owner" in columns else "",
                "power_mw": parse_mw(fields[columns["power_mw"]], origin, "Current power (MW)", line),
                "h100e": parse_mw(fields[columns["h100e"]], origin, "Current H100 equivalents", line)
                if "h100e" in columns
                else None,
                "row": line,
            }
        )
    sites = pd.DataFrame.from_records(rows, columns=DC_COLUMNS)
    duplicated = sites["id"][sites["id"].duplicated()].tolist()
    if duplicated:
        raise PayloadError(origin, f"site {duplicated[0]!r} is listed twice", int(sites["row"][sites["id"].duplicated()].iloc[0]))
    timeline_path = Path(timelines) if timelines is not None else timelines_path_for(path)
    frame: pd.DataFrame | None = None
    power_basis = "unknown"
    if timelines is not None or timeline_path.is_file():
        frame, has_it_power = _read_timelines(timeline_path)
        power_basis = "it" if has_it_power else "facility"
    warnings: tuple[str, ...] = ()
    if frame is not None:
        unknown = sorted(set(frame["site"]) - set(sites["id"]))
        if unknown:
            warnings = (f"timelines name {len(unknown)} site(s) not in {origin}: {', '.join(unknown)}",)
    return Snapshot("epoch", "dc", origin, when, basis, sites, timelines=frame, power_basis=power_basis, warnings=warnings)


def _read_timelines(path: Path) -> tuple[pd.DataFrame, bool]:
    import pandas as pd

    origin = path.name
    header, records = _read_csv(path, origin)
    columns = find_columns(header, _TIMELINE_COLUMNS, origin, "header", {"site", "date", "power_mw"}, 1)
    rows: list[dict[str, Any]] = []
    for line, fields in records:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise PayloadError(origin, f"row has {len(fields)} fields, the header {len(header)}", line)
        when = parse_date(fields[columns["date"]])
        if when is None:
            raise PayloadError(origin, f"date {fields[columns['date']]!r} is not a date", line)
        rows.append(
            {
                "site": clean_text(fields[columns["site"]]),
                "date": when,
                "power_mw": parse_mw(fields[columns["power_mw"]], origin, "Power (MW)", line),
                "it_power_mw": parse_mw(fields[columns["it_power_mw"]], origin, "IT power (MW)", line)
                if "it_power_mw" in columns
                else None,
                "status_text": clean_text(fields[columns["status_text"]]) if "status_text" in columns else "",
                "row": line,
            }
        )
    return pd.DataFrame.from_records(rows, columns=TIMELINE_COLUMNS), "it_power_mw" in columns
