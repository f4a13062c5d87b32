"""``csv.NAME`` and ``http.NAME``: series the user brings as CSV or JSON, from a file or a URL.

Each name is a ``[[tabular]]`` table in the settings (:class:`TabularSeries`)::

    [[tabular]]
    name = "gpu_utilization"
    url = "https://example.com/util.json"     # or a file path (csv.NAME only)
    format = "json"
    records_path = "data.rows"                # dotted path to the list of records
    date_column = "day"
    value_column = "util"
    frequency = "daily"

Dates name the period as FRED's do (see :mod:`signalflow.sources.frequency`). A
``known_at_column`` says when each value became known: an ISO instant (basis EXACT; one
without an offset is in the table's ``timezone``), or a date, known at the end of that day in
``timezone`` (END_OF_DAY). Without one a value is assumed published the day after its period
ends and known at the end of that day (ASSUMED); a changed value for a period already seen is
recorded as known when it was collected. No value is known later than its collection.
"""

from __future__ import annotations

import difflib
import io
import json
import logging
import re
from collections.abc import Callable, MutableMapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from signalflow.errors import PayloadError, SourceError
from signalflow.redact import redact
from signalflow.series import (
    OBSERVATION_COLUMNS,
    Batch,
    KnownAtBasis,
    SeriesInfo,
    SeriesKind,
    capped_frame,
    end_of_day,
    end_of_day_frame,
)
from signalflow.sources.base import RefWarning, Source
from signalflow.sources.captured import captured_at
from signalflow.sources.configured import own_schedule
from signalflow.sources.fred_formats import detect_format
from signalflow.sources.frequency import Frequency, infer_frequency, period_bounds_frame
from signalflow.sources.seen import remember_last, restamp_seen
from signalflow.sources.tabular_settings import TabularSeries, TabularSettings
from signalflow.sources.validate import FIRST_DATE, LAST_DATE

if TYPE_CHECKING:
    import pandas as pd
    from signalflow.sources.http import HttpClient

log = logging.getLogger(__name__)

MISSING = frozenset({"", ".", "na", "n/a", "nan", "null", "none"})
DATE_HEADERS = ("date", "observation_date", "period", "day", "time", "timestamp")
SOURCE_REF = "tabular"


def parse_table(
    content: bytes | str,
    origin: str,
    key: str,
    spec: TabularSeries,
    frequency: Frequency | None = None,
    collected_at: datetime | None = None,
) -> Batch:
    """Observations of ``key`` from a CSV or JSON payload laid out as ``spec`` says.

    ``frequency`` overrides ``spec.frequency``; when both are empty it is inferred from the
    spacing of the dates. ``collected_at`` caps every known_at."""
    import pandas as pd

    text = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    if spec.format == "json":
        dates, values, known, where = _json_columns(text, origin, spec)
    else:
        dates, values, known, where = _csv_columns(text, origin, spec)
    day = _parse_dates(dates, origin, where, spec.date_column)
    number = _parse_values(values, origin, where, spec.value_column)
    keep = number.notna()
    freq = frequency or Frequency.parse(spec.frequency) or infer_frequency(d.date() for d in day[keep])
    start, end = period_bounds_frame(day[keep], freq)
    frame = pd.DataFrame(
        {"series": key, "period_start": start, "period_end": end, "value": number[keep], "unit": spec.unit,
         "source_ref": SOURCE_REF}
    )
    frame["known_at"] = end_of_day_frame(frame["period_end"] + pd.Timedelta(days=1), spec.timezone)
    frame["known_at_basis"] = KnownAtBasis.ASSUMED.value
    if known is not None:
        reported, date_only = _parse_known(known, origin, where, spec.known_at_column, spec.timezone)
        reported, date_only = reported[keep], date_only[keep]
        has = reported.notna()
        frame.loc[has, "known_at"] = reported[has]
        frame.loc[has & ~date_only, "known_at_basis"] = KnownAtBasis.EXACT.value
        frame.loc[has & date_only, "known_at_basis"] = KnownAtBasis.END_OF_DAY.value
    frame = capped_frame(frame, collected_at)
    frame = frame.sort_values(["period_start", "known_at"], kind="stable").reset_index(drop=True)
    info = SeriesInfo(
        key=key,
        source=key.split(".", 1)[0],
        kind=SeriesKind.LEVEL,
        unit=spec.unit,
        frequency=freq.value,
        title=spec.name,
        url=_shown(spec) if _remote(spec) else "",
    )
    return Batch(series=[info], frame=frame[OBSERVATION_COLUMNS])


def _csv_columns(text: str, origin: str, spec: TabularSeries):
    import pandas as pd

    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PayloadError(origin, f"not a CSV table: {exc}") from None
    table.columns = [str(c).strip() for c in table.columns]
    wanted = [spec.date_column, spec.value_column] + ([spec.known_at_column] if spec.known_at_column else [])
    for column in wanted:
        if column not in table.columns:
            raise PayloadError(origin, f"no column {column!r} (columns: {', '.join(table.columns)})", line=1)
    known = table[spec.known_at_column] if spec.known_at_column else None
    return table[spec.date_column], table[spec.value_column], known, lambda i: (origin, i + 2)


def _json_columns(text: str, origin: str, spec: TabularSeries):
    import pandas as pd

    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(origin, f"not JSON: {exc.msg}", line=exc.lineno) from None
    path = [p for p in spec.records_path.split(".") if p]
    for depth, part in enumerate(path):
        if not isinstance(data, dict) or part not in data:
            raise PayloadError(origin, f"records_path {spec.records_path!r}: no {'.'.join(path[:depth + 1])!r}")
        data = data[part]
    if not isinstance(data, list):
        raise PayloadError(origin, f"records_path {spec.records_path!r} is {type(data).__name__}, not a list of records")
    fields = [spec.date_column, spec.value_column] + ([spec.known_at_column] if spec.known_at_column else [])
    columns: dict[str, list[Any]] = {f: [] for f in fields}
    for index, record in enumerate(data):
        for name in fields:
            try:
                columns[name].append(_dig(record, name))
            except KeyError:
                raise PayloadError(f"{origin} record[{index}]", f"no field {name!r}") from None
    known = pd.Series(columns[spec.known_at_column], dtype=object) if spec.known_at_column else None
    return (
        pd.Series(columns[spec.date_column], dtype=object),
        pd.Series(columns[spec.value_column], dtype=object),
        known,
        lambda i: (f"{origin} record[{i}]", None),
    )


def _dig(record: Any, dotted: str) -> Any:
    """``record['a']['b']`` for ``'a.b'``; a literal key with dots wins."""
    if isinstance(record, dict) and dotted in record:
        return record[dotted]
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def _as_text(raw: pd.Series) -> pd.Series:
    return raw.map(lambda v: "" if v is None else str(v)).str.strip()


def _parse_dates(
    raw: pd.Series, origin: str, where: Callable[[int], tuple[str, int | None]], column: str, required: bool = True
) -> pd.Series:
    import pandas as pd

    text = _as_text(raw)
    missing = text.str.lower().isin(MISSING)
    parsed = pd.to_datetime(text.where(~missing, None), errors="coerce", format="ISO8601", utc=True)
    parsed = parsed.dt.tz_convert(None)
    outside = (parsed < pd.Timestamp(FIRST_DATE)) | (parsed > pd.Timestamp(LAST_DATE))
    parsed = parsed.where(~outside).astype("datetime64[ns]")
    bad = (parsed.isna() if required else parsed.isna() & ~missing) | outside
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        place, line = where(position)
        problem = "outside the dates the store can hold" if outside.iloc[position] else "not a date"
        raise PayloadError(place, f"{column}: {problem}: {text.iloc[position]!r}", line=line)
    return parsed if not required else parsed.dt.normalize()


def _parse_known(
    raw: pd.Series, origin: str, where: Callable[[int], tuple[str, int | None]], column: str, zone: str
) -> tuple[pd.Series, pd.Series]:
    """Each known_at as naive UTC (NaT where empty), and whether it was a date only: a date is
    known at the end of that day in ``zone``, an instant without an offset is local to it."""
    import pandas as pd

    text = _as_text(raw)
    missing = text.str.lower().isin(MISSING)
    date_only = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}") & ~missing
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for position, (value, is_date, absent) in enumerate(zip(text, date_only, missing)):
        if absent:
            continue
        try:
            if is_date:
                out.iloc[position] = end_of_day(date.fromisoformat(value), zone)
                continue
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            place, line = where(position)
            raise PayloadError(place, f"{column}: not a date or ISO instant: {value!r}", line=line) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=ZoneInfo(zone))
        out.iloc[position] = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return out, date_only


def _parse_values(raw: pd.Series, origin: str, where: Callable[[int], tuple[str, int | None]], column: str) -> pd.Series:
    import pandas as pd

    text = _as_text(raw).str.replace(",", "", regex=False)
    missing = text.str.lower().isin(MISSING)
    parsed = pd.to_numeric(text.where(~missing, None), errors="coerce")
    bad = (parsed.isna() & ~missing) | parsed.abs().eq(float("inf"))  # inf, -Infinity, 1e400
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        place, line = where(position)
        problem = "not a finite number" if pd.notna(parsed.iloc[position]) else "not a number"
        raise PayloadError(place, f"{column}: {problem}: {_as_text(raw).iloc[position]!r}", line=line)
    return parsed.astype("float64")


def _remote(spec: TabularSeries) -> bool:
    return spec.url.get_secret_value().startswith(("http://", "https://"))


def _shown(spec: TabularSeries) -> str:
    """The series' URL or path as messages and the store show it: credentials taken out."""
    return redact(spec.url.get_secret_value())


class TabularSource(Source):
    """Shared behaviour of ``csv.NAME`` and ``http.NAME``; subclasses set the name."""

    remote_only = False
    config_model = TabularSettings
    config: TabularSettings


    def configured(self) -> dict[str, TabularSeries]:
        return {spec.name: spec for spec in self.config.series}

    def series_schedule(self, ref: str) -> timedelta:
        return own_schedule(self.configured().get(ref.split(".", 1)[1] if "." in ref else "")) or self.schedule()

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Read every configured series ``refs`` name; a failing one becomes a warning
        unless none succeeded (then its error is raised)."""
        from signalflow.sources.http import HttpClient

        window = self.config.revision_window
        http = self.http or HttpClient(self.name, user_agent="signalflow (user series)")
        batch, errors, succeeded = Batch(), [], 0
        try:
            for ref in dict.fromkeys(r for r in refs if self.handles(r)):
                try:
                    problem = self.check_ref(ref)
                    if problem:
                        raise SourceError(self.name, problem)
                    batch.extend(self._collect_one(http, ref, state, window))
                    succeeded += 1
                except SourceError as exc:
                    errors.append(exc)
                    batch.warnings.append(str(exc))
                    log.warning("user series failed", extra={"series": ref, "error": str(exc)})
        finally:
            if self.http is None:
                http.close()
        if errors and not succeeded:
            raise errors[0]
        return batch

    def _collect_one(self, http: HttpClient, ref: str, state: MutableMapping[str, str], window) -> Batch:
        spec = self.configured()[ref.split(".", 1)[1]]
        etag = None
        if _remote(spec):
            fetched = http.get(spec.url.get_secret_value(), etag=state.get(f"{ref}:etag"))
            if fetched.not_modified:
                return Batch()
            content, etag = fetched.content, fetched.etag
        else:
            try:
                content = Path(spec.url.get_secret_value()).expanduser().read_bytes()
            except OSError as exc:
                raise PayloadError(_shown(spec), f"cannot read {ref}: {exc.strerror or exc}") from None
        try:
            batch = parse_table(content, _shown(spec), ref, spec, collected_at=self.clock())
        except SourceError:
            # An ETag kept for a file not read would get a 304 next time and the file would
            # never be read; emptied, not removed (the store keeps every key it was given).
            if state.get(f"{ref}:etag"):
                state[f"{ref}:etag"] = ""
            raise
        batch.frame = restamp_seen(batch.frame, state.get(f"{ref}:last"), window, self.clock())
        remember_last(batch.frame, state, f"{ref}:last")
        if etag:
            state[f"{ref}:etag"] = etag
        return batch

    def needs(self, ref: str) -> str | None:
        name = ref.split(".", 1)[1] if "." in ref else ""
        return None if name in self.configured() else f"[[tabular]] name = {name!r} in signalflow.toml"

    def check_ref(self, ref: str) -> str | None:
        name = ref.split(".", 1)[1] if "." in ref else ""
        known = self.configured()
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {self.name}.{close[0]}?" if close else ""
            return RefWarning(
                f"{ref} is not configured, so it stays unknown: add a [[tabular]] table with "
                f"name = {name!r} to the settings{hint}"
            )
        if self.remote_only and not _remote(known[name]):
            return f"{ref}: url {_shown(known[name])!r} is not http(s); use csv.{name} for files"
        return None


class CsvSource(TabularSource):
    """``csv.NAME``: a CSV or JSON series from a file path or a URL; also imports plain
    ``date,value`` CSV files."""

    name = "csv"

    def sniff(self, path: Path, head: bytes) -> bool:
        if Path(path).suffix.lower() not in (".csv", ".txt") or detect_format(Path(path).name, head) is not None:
            return False
        header = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0].strip().lower()
        columns = [c.strip().strip('"') for c in header.split(",")]
        return len(columns) >= 2 and columns[0] in DATE_HEADERS

    def import_file(self, path: Path, *, series: str | None = None) -> Batch:
        """A CSV (or, with a configured ``series``, JSON) file as ``csv.<file stem>`` or
        ``series``. A configured name's columns and frequency apply; otherwise the first
        column is the date and the ``value`` column (or the second) the value."""
        path = Path(path)
        name = series.split(".", 1)[1] if series else _slug(path.stem)
        if series is not None and not self.handles(series):
            raise PayloadError(str(path), f"{series}: not a csv.* series")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PayloadError(str(path), f"cannot read: {exc.strerror or exc}") from None
        spec = self.configured().get(name)
        saved = captured_at(path)
        if spec is not None:
            return parse_table(content, str(path), f"csv.{name}", spec, collected_at=saved)
        header = content[:65536].decode("utf-8-sig", errors="replace").split("\n", 1)[0]
        columns = [c.strip().strip('"') for c in header.split(",")]
        if len(columns) < 2:
            raise PayloadError(str(path), "expected a date column and a value column", line=1)
        value = "value" if "value" in columns[1:] else columns[1]
        try:
            spec = TabularSeries(name=name, url=str(path), date_column=columns[0], value_column=value)
        except ValueError:
            raise PayloadError(str(path), f"{name!r} is not a series name (a-z, 0-9, _): pass --series csv.NAME") from None
        return parse_table(content, str(path), f"csv.{name}", spec, collected_at=saved)


class HttpSource(TabularSource):
    """``http.NAME``: a CSV or JSON series from an http(s) URL."""

    name = "http"
    remote_only = True


def _slug(stem: str) -> str:
    """A file stem as a series name: ``GPU Util-2024`` -> ``gpu_util_2024``."""
    slug = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"s_{slug}"

