"""What every snapshot reader shares: the Snapshot value, header matching, date and MW parsing."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.errors import PayloadError

if TYPE_CHECKING:
    import pandas as pd

GRID_COLUMNS = ["id", "name", "mw", "fuel", "technology", "cod", "status", "raw_status", "owner", "is_load", "sheet", "row"]
"""Columns of a grid queue snapshot, one row per interconnection request.

``cod`` is the projected (or, for completed projects, actual) commercial-operation date as a
``datetime.date`` or ``None``; ``status`` is one of :data:`STATUSES`, ``raw_status`` the
publisher's word; ``row`` the 1-based row in the sheet or CSV, for messages and references."""

STATUSES = ("active", "withdrawn", "completed", "agreement", "retired")
"""Normalized statuses. ``agreement`` is out of the study queue with a signed agreement but not
yet in service (MISO "Done"); ``retired`` an in-service unit deactivated (PJM)."""

DC_COLUMNS = ["id", "name", "owner", "power_mw", "h100e", "row"]
"""Columns of a data-center snapshot, one row per site; ``owner`` without confidence tags."""

TIMELINE_COLUMNS = ["site", "date", "power_mw", "it_power_mw", "status_text", "row"]
"""Columns of a data-center timeline, one row per site and dated milestone."""


@dataclass(frozen=True, eq=False)  # frames do not compare with ==
class Snapshot:
    """One publisher's file as of one date, normalized.

    ``as_of`` is the date the data represents and ``as_of_basis`` where it came from:
    ``"content"`` (a run date printed in the file), ``"file_properties"`` (the workbook's saved
    date) or ``"given"`` (the caller said so). ``power_basis`` says what a data-center snapshot's
    power means (``"facility"``, ``"it"`` or ``"unknown"``); a diff across two bases reports a
    basis change instead of MW changes. ``warnings`` lists what was dropped or doubtful.
    """

    publisher: str  # ercot, pjm, nyiso, miso, caiso, epoch
    kind: str  # "grid" or "dc"
    origin: str  # the file's name, for references
    as_of: date
    as_of_basis: str
    projects: pd.DataFrame
    timelines: pd.DataFrame | None = None
    power_basis: str = ""
    warnings: tuple[str, ...] = field(default=())

    def ref(self, project_id: str) -> str:
        """The ``source_ref`` of one project or site in this snapshot: ``file#id``."""
        return f"{self.origin}#{project_id}"[:300]


def norm_header(value: Any) -> str:
    """A header cell as a comparable key: embedded newlines and runs of spaces collapse, case folds."""
    return " ".join(str(value).split()).casefold()


def find_columns(
    headers: list[Any], wanted: dict[str, tuple[str, ...]], origin: str, where: str, required: set[str], line: int | None = None
) -> dict[str, int]:
    """Map canonical names to column positions, accepting each name's known spellings.

    Publishers rename columns between months (Epoch's ``Handle`` became ``Name``); every
    accepted spelling is listed in ``wanted``. A required column that is absent raises
    :class:`PayloadError` naming the file, the sheet and the header row.
    """
    index = {norm_header(h): i for i, h in reversed(list(enumerate(headers))) if h is not None and str(h) != "nan"}
    found: dict[str, int] = {}
    for name, spellings in wanted.items():
        for spelling in spellings:
            if norm_header(spelling) in index:
                found[name] = index[norm_header(spelling)]
                break
    missing = sorted(required - found.keys())
    if missing:
        spelled = ", ".join(repr(wanted[m][0]) for m in missing)
        raise PayloadError(origin, f"{where}: no column {spelled} in the header", line)
    return found


_MONTH_ONLY = re.compile(r"^(\d{1,2})\s*[-/]\s*(\d{4})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_UNKNOWN = date(1900, 1, 1)


def parse_date(value: Any) -> date | None:
    """A date from any of the forms the publishers use, or ``None`` when there is none.

    Accepted: datetime values, ``YYYY-MM-DD`` with or without a time and offset (the offset is
    dropped: MISO stamps midnight US time as 04:00 UTC), ``M/D/YYYY``, and month-only
    ``MM-YYYY``/``MM/YYYY``/``M-YYYY`` (NYISO), read as the first of the month. ERCOT's
    1-1-1900 means "unknown" and reads as ``None``, as do blanks and words ("N/A", "I/S", "TBD").
    """
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = str(value).strip()
        if match := _ISO_DATE.match(text):
            found = _checked(int(match[1]), int(match[2]), int(match[3]))
        elif match := _US_DATE.match(text):
            found = _checked(int(match[3]), int(match[1]), int(match[2]))
        elif match := _MONTH_ONLY.match(text):
            found = _checked(int(match[2]), int(match[1]), 1)
        else:
            return None
    if found is None or found <= _UNKNOWN:
        return None
    return found


def _checked(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_mw(value: Any, origin: str, where: str, line: int) -> float | None:
    """A capacity in MW; blank is ``None``, text that is not a number raises with the row."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(",", "")
    if not text or text.upper() in {"N/A", "NA", "TBD", "-"}:
        return None
    try:
        return float(text)
    except ValueError:
        raise PayloadError(origin, f"{where}: MW value {str(value)!r} is not a number", line) from None


def clean_text(value: Any) -> str:
    """A cell as stripped text, blank for empty cells."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join(str(value).split())


def slug(value: str) -> str:
    """A fuel or owner name as a series-key segment: ``Natural Gas`` -> ``natural_gas``."""
    return re.sub(r"[^a-z0-9]+", "_", value.casefold()).strip("_") or "unknown"


def read_excel_sheet(path: Path, sheet: str, origin: str) -> pd.DataFrame:
    """One sheet as a header-less frame of raw cells, read with the calamine engine.

    Sheet names are matched ignoring surrounding spaces (NYISO's `` Cluster Projects``).
    """
    import pandas as pd

    names = {name.strip().casefold(): name for name in sheet_names(path, origin)}
    if sheet.strip().casefold() not in names:
        raise PayloadError(origin, f"no sheet {sheet!r} (sheets: {', '.join(names.values())})")
    try:
        return pd.read_excel(path, names[sheet.strip().casefold()], header=None, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises its own error types
        raise PayloadError(origin, f"sheet {sheet!r} cannot be read ({exc})") from exc


def sheet_names(path: Path, origin: str) -> list[str]:
    import pandas as pd

    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            return list(book.sheet_names)
    except Exception as exc:  # calamine raises its own error types for non-workbooks
        raise PayloadError(origin, f"not a readable workbook ({exc})") from exc


def workbook_saved(path: Path) -> date | None:
    """The workbook's last-saved date from its document properties, if it has one."""
    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    match = re.search(r"<dcterms:modified[^>]*>(\d{4}-\d{2}-\d{2})", core)
    return date.fromisoformat(match[1]) if match else None


def header_row(cells: pd.DataFrame, first: str, origin: str, sheet: str, column: int | None = 0) -> int:
    """The index of the first row whose cell (in ``column``, or any when ``None``) reads ``first``."""
    key = norm_header(first)
    frame = cells if column is None else cells[[column]]
    for index, values in enumerate(frame.itertuples(index=False)):
        if any(norm_header(v) == key for v in values if v is not None):
            return index
    raise PayloadError(origin, f"sheet {sheet!r}: no header row starting with {first!r}")


def resolve_as_of(found: date | None, given: date | None, basis: str, origin: str) -> tuple[date, str]:
    """The caller's date wins; else the file's; a file that carries none needs one given."""
    if given is not None:
        return given, "given"
    if found is None:
        raise PayloadError(origin, "the file does not say what date it represents; pass as_of")
    return found, basis


Record = dict[str, Any]


def grid_frame(records: list[Record]) -> pd.DataFrame:
    """Records with :data:`GRID_COLUMNS` as a frame with float MW and boolean ``is_load``."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=GRID_COLUMNS)
    frame["mw"] = frame["mw"].astype(float)
    frame["is_load"] = frame["is_load"].astype(bool)
    return frame


def cell_rows(cells: pd.DataFrame, start: int, columns: dict[str, int]) -> Iterator[tuple[int, Record]]:
    """Rows from ``start`` on as (1-based sheet row, {canonical name: cell})."""
    for index in range(start, len(cells)):
        values = cells.iloc[index]
        yield index + 1, {name: values.iloc[position] for name, position in columns.items()}
