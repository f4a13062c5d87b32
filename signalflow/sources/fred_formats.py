"""Parsers for every FRED payload signalflow reads: pure functions from text to a Batch.

- FRED API JSON (``fred/series/observations``): each row's ``realtime_start`` is the
  vintage, a day of FRED's (the St. Louis Fed's, America/Chicago: ``fred/series`` gives
  ``last_updated`` with a -05/-06 offset). The value was published during that day at a time
  FRED does not give, so ``known_at`` is the end of that Chicago day (basis VINTAGE): a value
  with ``realtime_start`` 2026-07-02 is visible from 2026-07-03 05:00 UTC.
- fredgraph.csv, both header styles (``DATE,<ID>...`` and ``observation_date,<ID>...``),
  one or several series columns, and the processed ``date,value`` copies pandas writes.
  Nothing says when a value was published: it is assumed published the day after its period
  ends, and known at the end of that Chicago day (basis ASSUMED).
- ALFRED vintage CSV (``DATE,<ID>_<YYYYMMDD>,...``): each column is a vintage; a value
  becomes a version on the first vintage that shows it and again whenever it changes, known
  at the end of the vintage's Chicago day (basis VINTAGE).

Every parser takes ``collected_at``, the moment the payload was fetched when known: no
``known_at`` is later than it (basis COLLECTED), since the value was in hand by then.

Missing values (``.`` or an empty field) produce no observation: FRED uses them for days
without a value (holidays) and for vintages before a period was first released.
"""

from __future__ import annotations

import enum
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from signalflow.errors import ApiError, PayloadError
from signalflow.series import (
    OBSERVATION_COLUMNS,
    PUBLISHER_ZONES,
    Batch,
    KnownAtBasis,
    SeriesInfo,
    SeriesKind,
    capped_frame,
    end_of_day,
    end_of_day_frame,
)
from signalflow.sources.validate import FIRST_DATE, LAST_DATE
from signalflow.sources.frequency import Frequency, infer_frequency, period_bounds_frame

if TYPE_CHECKING:
    import pandas as pd

SERIES_ID = re.compile(r"^[A-Z0-9_]+$")
ALFRED_COLUMN = re.compile(r"^(?P<id>[A-Z0-9_]+)_(?P<vintage>\d{8})$")
MISSING = frozenset({".", ""})
FREDGRAPH_REF = "fredgraph.csv"
SERIES_PAGE = "https://fred.stlouisfed.org/series/{id}"
# The API's `units` parameter is a transformation ("lin" = levels), not a unit of measure.
API_ROW_CAP = 100_000  # the most observations one fred/series/observations reply holds
TRANSFORMS = frozenset({"lin", "chg", "ch1", "pch", "pc1", "pca", "cch", "cca", "log"})
ZONE = PUBLISHER_ZONES["fred"]


class FredFormat(str, enum.Enum):
    """The FRED payload layouts :func:`detect_format` recognises."""

    API_JSON = "api_json"
    FREDGRAPH_CSV = "fredgraph_csv"
    PROCESSED_CSV = "processed_csv"
    ALFRED_CSV = "alfred_csv"


def series_key(series_id: str) -> str:
    return f"fred.{series_id}"


def series_info(
    series_id: str, frequency: Frequency | None, unit: str = "", title: str = ""
) -> SeriesInfo:
    """What signalflow records about ``fred.<series_id>``: a level series linked to its FRED page."""
    return SeriesInfo(
        key=series_key(series_id),
        source="fred",
        kind=SeriesKind.LEVEL,
        unit=unit,
        frequency=(frequency or Frequency.IRREGULAR).value,
        title=title,
        url=SERIES_PAGE.format(id=series_id),
    )


def detect_format(name: str, head: bytes) -> FredFormat | None:
    """The FRED layout of a file from its name and first bytes, or None if it is not one.

    A ``date,value`` CSV counts as FRED only when its file stem looks like a FRED id
    (``DGS10.csv``); other such files belong to the generic CSV source."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("{"):
        if '"observations"' in text or '"error_code"' in text:
            return FredFormat.API_JSON
        return None
    header = [c.strip().strip('"') for c in text.split("\n", 1)[0].strip().split(",")]
    if len(header) < 2:
        return None
    first = header[0]
    if first in ("DATE", "observation_date"):
        if all(ALFRED_COLUMN.match(c) for c in header[1:]):
            return FredFormat.ALFRED_CSV
        if all(SERIES_ID.match(c) for c in header[1:]):
            return FredFormat.FREDGRAPH_CSV
        return None
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if [c.lower() for c in header] == ["date", "value"] and SERIES_ID.match(stem):
        return FredFormat.PROCESSED_CSV
    return None


def parse_api_json(
    payload: bytes | str | Mapping[str, Any],
    origin: str,
    series_id: str,
    frequency: Frequency | None = None,
    unit: str = "",
    title: str = "",
    collected_at: datetime | None = None,
) -> Batch:
    """A ``fred/series/observations`` reply (``file_type=json``); an error reply raises
    :class:`ApiError` naming ``origin``."""
    import pandas as pd

    data = _load_json(payload, origin)
    if "error_code" in data:
        code = str(data.get("error_code") or 0)
        raise ApiError(origin, int(code) if code.isdigit() else 0, str(data.get("error_message", "")))
    rows = data.get("observations")
    if not isinstance(rows, list):
        raise PayloadError(origin, "no 'observations' list: not a fred/series/observations reply")
    if not unit and data.get("units") not in TRANSFORMS:
        unit = str(data.get("units") or "")
    for index, row in enumerate(rows):
        value = row.get("value") if isinstance(row, dict) else None
        if isinstance(value, float) and not math.isfinite(value):  # JSON NaN/Infinity, which pandas reads as missing
            raise PayloadError(f"{origin} observation[{index}]", f"not a finite number: {value!r}")
    try:
        raw = pd.DataFrame(rows, columns=["date", "value", "realtime_start"], dtype=object)
    except (TypeError, ValueError) as exc:
        raise PayloadError(origin, f"observations are not objects: {exc}") from None
    dates = _dates(raw["date"], origin, index_base=0, what="observation")
    vintages = _dates(raw["realtime_start"], origin, index_base=0, what="observation")
    values = _values(raw["value"], origin, index_base=0, what="observation")
    frequency = frequency or infer_frequency(d.date() for d in dates.dropna())
    frame = _frame(series_id, dates, values, frequency, unit)
    frame["known_at"] = end_of_day_frame(vintages, ZONE)
    frame["source_ref"] = "vintage:" + vintages.dt.strftime("%Y-%m-%d")
    frame["known_at_basis"] = KnownAtBasis.VINTAGE.value
    frame = frame[values.notna()].drop_duplicates(subset=["period_start", "known_at"])
    frame = capped_frame(frame, collected_at)
    batch = Batch(series=[series_info(series_id, frequency, unit, title)], frame=_ordered(frame))
    cut = _cut_at_cap(data, len(rows))
    if cut:
        batch.incomplete.append(f"{series_key(series_id)}: {cut}")
    return batch


def _cut_at_cap(data: Mapping[str, Any], held: int) -> str:
    """What a saved reply misses when FRED's own row cap (not the request's smaller
    ``limit``, a window the user chose) cut it; empty when it is whole."""
    count, limit, offset = data.get("count"), data.get("limit"), data.get("offset") or 0
    if not all(isinstance(n, int) for n in (count, limit, offset)) or limit < API_ROW_CAP:
        return ""
    if offset + held >= count:
        return ""
    return (
        f"the reply holds {held:,} of the {count:,} observations FRED matched from offset {offset:,} "
        f"(one reply holds at most {API_ROW_CAP:,}): collect it, the collector pages with offset"
    )


def parse_fredgraph_csv(
    text: str, origin: str, frequency: Frequency | None = None, collected_at: datetime | None = None
) -> Batch:
    """A fredgraph.csv download: ``DATE`` or ``observation_date`` then one column per series."""
    table = _read_csv(text, origin)
    date_col, series_cols = table.columns[0], list(table.columns[1:])
    if date_col not in ("DATE", "observation_date") or not series_cols:
        raise PayloadError(origin, f"expected a DATE or observation_date column then series ids, got {list(table.columns)}")
    dates = _dates(table[date_col], origin)
    batch = Batch()
    for col in series_cols:
        if not SERIES_ID.match(col):
            raise PayloadError(origin, f"column {col!r} is not a FRED series id", line=1)
        batch.extend(_assumed(col, dates, _values(table[col], origin), frequency, collected_at))
    return batch


def parse_processed_csv(
    text: str,
    origin: str,
    series_id: str,
    frequency: Frequency | None = None,
    collected_at: datetime | None = None,
) -> Batch:
    """A ``date,value`` CSV of one FRED series (the id comes from the file name)."""
    table = _read_csv(text, origin)
    if [c.lower() for c in table.columns] != ["date", "value"]:
        raise PayloadError(origin, f"expected the columns date,value, got {list(table.columns)}", line=1)
    dates = _dates(table.iloc[:, 0], origin)
    return _assumed(series_id, dates, _values(table.iloc[:, 1], origin), frequency, collected_at)


def parse_alfred_csv(
    text: str, origin: str, frequency: Frequency | None = None, collected_at: datetime | None = None
) -> Batch:
    """An ALFRED download with one column per vintage, in any column order."""
    import pandas as pd

    table = _read_csv(text, origin)
    if table.columns[0] not in ("DATE", "observation_date"):
        raise PayloadError(origin, f"expected a DATE column first, got {table.columns[0]!r}", line=1)
    dates = _dates(table.iloc[:, 0], origin)
    vintage_cols: dict[str, list[tuple[date, str]]] = {}
    for col in table.columns[1:]:
        match = ALFRED_COLUMN.match(col)
        if not match:
            raise PayloadError(origin, f"column {col!r} is not <SERIES>_<YYYYMMDD>", line=1)
        try:
            vintage = pd.Timestamp(match["vintage"]).date()
        except ValueError:
            raise PayloadError(origin, f"column {col!r}: {match['vintage']} is not a date", line=1) from None
        vintage_cols.setdefault(match["id"], []).append((vintage, col))
    batch = Batch()
    for series_id, columns in vintage_cols.items():
        columns.sort()
        values = pd.DataFrame({col: _values(table[col], origin) for _, col in columns})
        frequency_of = frequency or infer_frequency(d.date() for d in dates.dropna())
        parts = []
        previous = pd.Series(float("nan"), index=table.index)
        for vintage, col in columns:
            current = values[col]
            # A version is born when a value first appears or differs from the last vintage's.
            changed = current.notna() & ~(current == previous)
            part = _frame(series_id, dates[changed], current[changed], frequency_of, "")
            part["known_at"] = pd.Timestamp(end_of_day(vintage, ZONE))
            part["source_ref"] = f"vintage:{vintage.isoformat()}"
            part["known_at_basis"] = KnownAtBasis.VINTAGE.value
            parts.append(part)
            previous = current.where(current.notna(), previous)
        frame = capped_frame(pd.concat(parts, ignore_index=True), collected_at)
        batch.extend(Batch(series=[series_info(series_id, frequency_of)], frame=_ordered(frame)))
    return batch


def _assumed(
    series_id: str,
    dates: pd.Series,
    values: pd.Series,
    frequency: Frequency | None,
    collected_at: datetime | None = None,
) -> Batch:
    """Observations without vintage information: assumed published the day after the period
    ends, known at the end of that day."""
    import pandas as pd

    keep = values.notna()
    frequency = frequency or infer_frequency(d.date() for d in dates[keep])
    frame = _frame(series_id, dates[keep], values[keep], frequency, "")
    frame["known_at"] = end_of_day_frame(frame["period_end"] + pd.Timedelta(days=1), ZONE)
    frame["source_ref"] = FREDGRAPH_REF
    frame["known_at_basis"] = KnownAtBasis.ASSUMED.value
    frame = capped_frame(frame, collected_at)
    return Batch(series=[series_info(series_id, frequency)], frame=_ordered(frame))


def _frame(series_id: str, dates: pd.Series, values: pd.Series, frequency: Frequency, unit: str) -> pd.DataFrame:
    import pandas as pd

    start, end = period_bounds_frame(dates, frequency)
    return pd.DataFrame(
        {
            "series": series_key(series_id),
            "period_start": start,
            "period_end": end,
            "value": values.astype("float64"),
            "unit": unit,
        }
    )


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["period_start", "known_at"], kind="stable").reset_index(drop=True)[OBSERVATION_COLUMNS]


def _load_json(payload: bytes | str | Mapping[str, Any], origin: str) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise PayloadError(origin, f"not JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise PayloadError(origin, f"expected a JSON object, got {type(data).__name__}")
    return data


def _read_csv(text: str, origin: str) -> pd.DataFrame:
    import pandas as pd

    try:
        table = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PayloadError(origin, f"not a CSV table: {exc}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.shape[1] < 2:
        raise PayloadError(origin, f"expected a date column and at least one value column, got {list(table.columns)}", line=1)
    return table


def _where(origin: str, position: int, index_base: int, what: str) -> tuple[str, int | None]:
    """CSV rows are reported as file lines (header = line 1), JSON rows as list indexes."""
    if index_base:
        return origin, position + index_base
    return f"{origin} {what}[{position}]", None


def _dates(raw: pd.Series, origin: str, index_base: int = 2, what: str = "row") -> pd.Series:
    import pandas as pd

    text = raw.fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() | ~text.str[:4].between(str(FIRST_DATE.year), str(LAST_DATE.year))
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        where, line = _where(origin, position, index_base, what)
        raise PayloadError(
            where, f"not a date (YYYY-MM-DD) from {FIRST_DATE.year} to {LAST_DATE.year}: {text.iloc[position]!r}", line=line
        )
    return parsed.astype("datetime64[ns]")


def _values(raw: pd.Series, origin: str, index_base: int = 2, what: str = "row") -> pd.Series:
    import pandas as pd

    text = raw.fillna("").astype(str).str.strip()
    missing = text.isin(MISSING)
    parsed = pd.to_numeric(text.where(~missing, None), errors="coerce")
    bad = (parsed.isna() & ~missing) | parsed.abs().eq(float("inf"))  # inf, -Infinity, 1e400
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        where, line = _where(origin, position, index_base, what)
        problem = "not a finite number" if pd.notna(parsed.iloc[position]) else "not a number"
        raise PayloadError(where, f"{problem}: {text.iloc[position]!r}", line=line)
    return parsed.astype("float64")
