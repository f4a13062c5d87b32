"""``eia.NAME``: EIA API v2 series, one per ``[[eia]]`` entry in the settings.

Each entry names a route (``electricity/retail-sales``), facets that select the rows
(``{stateid = ["CA"], sectorid = ["COM"]}``) and the data column to read (``price``).
The collector asks ``{eia_api_url}/{route}/data/`` with ``data[0]=<column>``,
``facets[<f>][]=<v>``, ``frequency`` and ``sort`` by period, and pages with ``offset`` and
``length`` past the API's 5,000-row cap until the reply's ``total``; rows still missing
then make the batch ``incomplete`` (and the cursor stays put). Values arrive as strings; ``period`` is ``YYYY``,
``YYYY-Qn``, ``YYYY-MM``, ``YYYY-MM-DD`` (weekly: the week's last day) or
``YYYY-MM-DDTHH`` (hourly values become a daily mean). When the facets leave several rows
for one period, their values are summed and the batch says so.

EIA publishes no vintages and its data replies give no release time: a period is assumed
published ``release_lag`` after its last day, and known at the end of that day in New York
(EIA is in Washington; basis ASSUMED), never later than the collection; a value that changes
on a later run is recorded as known at that run. A saved reply imports into every ``[[eia]]``
table that reads its route and column (or the one ``--series eia.NAME`` names); a reply cut
short of its ``total`` is imported as ``incomplete``. The API key (``eia_api_key``) goes in
the query string and is never logged.

Usage::

    source = EiaSource(settings)
    batch = source.collect(["eia.pr_generation"], state)
    batch = source.import_file(Path("reply.json"))     # a saved reply of configured routes
"""

from __future__ import annotations

import calendar
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, MutableMapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.errors import ApiError, ConfigError, PayloadError
from signalflow.series import (
    PUBLISHER_ZONES,
    Batch,
    KnownAtBasis,
    Observation,
    SeriesInfo,
    SeriesKind,
    capped,
    end_of_day,
    utcnow,
)
from signalflow.sources.configured import ConfiguredSource
from signalflow.sources.eia_settings import EiaSeries, EiaSettings
from signalflow.sources.validate import in_range

if TYPE_CHECKING:
    from signalflow.settings import Settings
    from signalflow.sources.http import HttpClient

PAGE_SIZE = 5000  # the API's maximum rows per JSON reply
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
ZONE = PUBLISHER_ZONES["eia"]



def period_bounds(period: str, frequency: str) -> tuple[date, date]:
    """The first and last day an EIA ``period`` string covers."""
    try:
        if frequency == "annual" or re.fullmatch(r"\d{4}", period):
            year = int(period[:4])
            return date(year, 1, 1), date(year, 12, 31)
        quarter = _QUARTER.match(period)
        if quarter:
            year, q = int(quarter[1]), int(quarter[2])
            end_month = 3 * q
            return date(year, end_month - 2, 1), date(year, end_month, calendar.monthrange(year, end_month)[1])
        if re.fullmatch(r"\d{4}-\d{2}", period):
            year, month = int(period[:4]), int(period[5:7])
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        day = date.fromisoformat(period[:10])
    except ValueError:
        raise ValueError(f"not an EIA {frequency} period: {period!r}") from None
    if frequency == "weekly":
        return day - timedelta(days=6), day
    return day, day


def _parse_value(raw: Any) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def matches(row: dict[str, Any], facets: dict[str, list[str]]) -> bool:
    """True when the row has one of the wanted values of each facet it carries (the API
    filtered on the others already)."""
    return all(
        str(row[facet]) in {str(v) for v in values} for facet, values in facets.items() if facet in row
    )


class EiaSource(ConfiguredSource):
    table = "eia"
    title = "EIA"
    name = "eia"
    config_model = EiaSettings
    config: EiaSettings

    def __init__(
        self,
        settings: Settings,
        http: HttpClient | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(settings, http, clock=clock)
        self.page_size = page_size

    def ready(self) -> None:
        if self.config.api_key is None:
            raise ConfigError("eia_api_key", "is required to collect eia.* series", "get one at eia.gov/opendata")

    def client(self) -> HttpClient:
        from signalflow.sources.http import HttpClient

        return HttpClient("eia", user_agent="signalflow (EIA collector)")

    def collect_series(self, http: HttpClient, config: EiaSeries, state: MutableMapping[str, str]) -> Batch:
        url = f"{self.config.api_url.get_secret_value().rstrip('/')}/{config.route.strip('/')}/data/"
        params: list[tuple[str, str | int]] = [
            ("api_key", self.config.api_key.get_secret_value()),  # type: ignore[union-attr]
            ("frequency", config.frequency),
            ("data[0]", config.data_column),
            ("sort[0][column]", "period"),
            ("sort[0][direction]", "asc"),
        ]
        for facet, values in config.facets.items():
            params.extend((f"facets[{facet}][]", v) for v in values)
        # rows of one period in a fixed order too, so offset paging neither skips nor repeats
        for i, facet in enumerate(sorted(config.facets), start=1):
            params.extend([(f"sort[{i}][column]", facet), (f"sort[{i}][direction]", "asc")])
        last = state.get(f"{config.name}:last_period")
        if last:
            params.append(("start", last))
        rows, warnings, total = self._pages(http, url, params, config.name)
        seen = json.loads(state.get(f"{config.name}:seen", "{}"))
        batch = self._observations(config, rows, f"{config.route}", seen=seen)
        batch.warnings.extend(warnings)
        if len(rows) < total:
            # keep the cursor where it was, so the next run asks for the missing rows again
            batch.incomplete.append(_short(config.name, len(rows), total, "the API stopped short"))
        periods = sorted({str(r.get("period")) for r in rows if r.get("period")})
        if periods and not batch.incomplete:
            state[f"{config.name}:last_period"] = periods[-1]
            state[f"{config.name}:seen"] = json.dumps(
                {o.source_ref.rsplit("#", 1)[-1]: o.value for o in batch.observations}
            )
        return batch

    def _pages(
        self, http: HttpClient, url: str, params: list[tuple[str, str | int]], name: str
    ) -> tuple[list[dict[str, Any]], list[str], int]:
        """Every row of a request, asked ``length`` rows at a time from ``offset`` 0 until the
        reply's ``total`` (a string in EIA's replies) is reached; the server may send fewer
        rows than asked (its 5,000-row cap), so the next offset is what actually arrived.
        Returns the rows, the API's warnings and the total it announced."""
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        total = 0
        while True:
            page = params + [("offset", len(rows)), ("length", self.page_size)]
            fetched = http.get(url, params=page)  # type: ignore[arg-type]
            reply = _reply(fetched.json() if fetched.content else {}, f"eia.{name} {url}")
            data = reply["response"].get("data") or []
            if not isinstance(data, list):
                raise PayloadError(f"eia.{name} {url}", "'response.data' is not a list of rows")
            rows.extend(data)
            warnings.extend(w for w in _warnings(reply, name, paged=True) if w not in warnings)
            announced = _total(reply, f"eia.{name} {url}")
            total = max(total, len(rows) if announced is None else announced)
            if not data or len(rows) >= total:
                return rows, warnings, total

    def _observations(
        self, config: EiaSeries, rows: Iterable[dict[str, Any]], origin: str, seen: dict[str, Any] | None = None
    ) -> Batch:
        key = f"eia.{config.name}"
        lag = config.release_lag
        now = self.clock()
        sums: dict[str, float | None] = {}
        counts: dict[str, int] = defaultdict(int)
        unit = config.unit
        for row in rows:
            if not matches(row, config.facets):
                continue
            period = str(row.get("period", ""))
            bucket = period[:10] if config.frequency == "hourly" else period
            value = _parse_value(row.get(config.data_column))
            unit = unit or str(row.get(f"{config.data_column}-units") or "")
            counts[bucket] += 1
            if value is not None:
                sums[bucket] = (sums.get(bucket) or 0.0) + value
            else:
                sums.setdefault(bucket, None)
        batch = Batch()
        frequency = "daily" if config.frequency == "hourly" else config.frequency
        batch.series.append(SeriesInfo(key, "eia", SeriesKind.LEVEL, unit, frequency, title=f"EIA {config.route}"))
        crowded = 0
        for bucket, total in sorted(sums.items()):
            try:
                start, end = period_bounds(bucket, frequency)
            except ValueError as exc:
                raise PayloadError(origin, str(exc)) from None
            if not (in_range(start) and in_range(end)):
                raise PayloadError(origin, f"period {bucket!r} is outside the dates the store can hold")
            value = total
            if config.frequency == "hourly" and total is not None:
                value = total / counts[bucket]
            elif counts[bucket] > 1:
                crowded += 1
            published = (datetime.combine(end, time()) + lag).date()
            known_at, basis = capped(end_of_day(published, ZONE), KnownAtBasis.ASSUMED, now)
            if seen and bucket in seen and seen[bucket] != value:
                known_at, basis = now, KnownAtBasis.COLLECTED  # a revision we saw happen
            batch.observations.append(
                Observation(key, start, end, value, known_at, unit, f"{origin}#{bucket}", basis)
            )
        if crowded:
            batch.warnings.append(
                f"{key}: {crowded} period(s) matched several rows and were summed; add facets to select one row"
            )
        return batch

    def sniff(self, path: Path, head: bytes) -> bool:
        start = head.lstrip()[:40]
        return start.startswith(b"{") and b'"response"' in start and b'"dateFormat"' in head

    def import_file(self, path: Path, *, series: str | None = None) -> Batch:
        """A saved API reply, into every ``[[eia]]`` table reading the route and data column
        its request names, or into the one ``series`` (``eia.NAME``) names. A reply holding
        fewer rows than its ``total`` is imported and marked incomplete."""
        try:
            reply = _reply(json.loads(path.read_bytes()), str(path))
        except json.JSONDecodeError as exc:
            raise PayloadError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        request = reply.get("request") or {}
        command = str(request.get("command", "")).strip("/")
        columns = (request.get("params") or {}).get("data") or []
        if series is not None:
            name = series.split(".", 1)[1] if series.startswith(f"{self.name}.") else series
            config = self.entry(name)
            if config is None:
                raise PayloadError(str(path), f"--series {series}: {self.check_ref(f'{self.name}.{name}')}")
            if command and not _reads(config, command, columns):
                raise PayloadError(
                    str(path), f"--series {series} reads route {config.route!r} column {config.data_column!r}; "
                    f"this reply is route {command!r} with columns {columns}",
                )
            configs = [config]
        else:
            configs = [s for s in self.configs() if _reads(s, command, columns)]
        if not configs:
            raise PayloadError(
                str(path), f"no [[eia]] setting reads route {command!r} with columns {columns}: add one or pass --series"
            )
        data = reply["response"].get("data") or []
        if not isinstance(data, list):
            raise PayloadError(str(path), "'response.data' is not a list of rows")
        total = _total(reply, str(path))
        periods = {str(r.get("period")) for r in data if isinstance(r, dict) and r.get("period")}
        batch = Batch()
        for config in configs:  # every table reading this route: several may share one reply
            part = self._observations(config, data, str(path))
            part.warnings.extend(_warnings(reply, config.name, paged=False))
            if total is not None and len(data) < total:
                have = {o.source_ref.rsplit("#", 1)[-1] for o in part.observations}
                spans = {p[:10] for p in periods} if config.frequency == "hourly" else periods
                gap = len(spans - have)
                seen = f"{gap} of the {len(spans)} periods in the reply have no row" if gap else "the reply is cut"
                part.incomplete.append(_short(config.name, len(data), total, seen))
            batch.extend(part)
        return batch

def _reply(data: Any, origin: str) -> dict[str, Any]:
    if isinstance(data, dict) and "error" in data:
        error = data["error"]
        if isinstance(error, dict):
            raise ApiError(origin, _code(data.get("code")), f"{error.get('code', '')} {error.get('message', '')}")
        raise ApiError(origin, _code(data.get("code")), str(error))
    if not isinstance(data, dict) or not isinstance(data.get("response"), dict):
        raise PayloadError(origin, "not an EIA API v2 reply (no 'response' object)")
    return data


def _reads(config: EiaSeries, command: str, columns: list[Any]) -> bool:
    """True when the table reads the reply's route (``v2/<route>/data``) and data column."""
    return command == f"v2/{config.route.strip('/')}/data" and config.data_column in columns


def _total(reply: dict[str, Any], origin: str) -> int | None:
    """The reply's ``response.total`` (EIA sends it as a string), or None when absent."""
    raw = reply["response"].get("total")
    if raw is None or raw == "":
        return None
    try:
        total = int(str(raw).strip())
    except ValueError:
        raise PayloadError(origin, f"'response.total' is not a row count: {raw!r}") from None
    if total < 0:
        raise PayloadError(origin, f"'response.total' is negative: {raw!r}")
    return total


def _short(name: str, got: int, total: int, what: str) -> str:
    return (
        f"eia.{name}: {what} ({got:,} of the {total:,} rows the API matched; one reply holds at "
        f"most {PAGE_SIZE:,}): collect it (the collector pages with offset/length) or save a reply "
        f"narrowed with facets, start or end"
    )


def _code(value: Any) -> int:
    text = str(value or 0).strip()
    return int(text) if text.isdigit() else 0


def _warnings(reply: dict[str, Any], name: str, paged: bool) -> list[str]:
    out = []
    for warning in reply["response"].get("warnings") or []:
        text = f"{warning.get('warning', '')}: {warning.get('description', '')}".strip(": ")
        if paged and "incomplete return" in text:
            continue  # we page past the row cap ourselves
        out.append(f"eia.{name}: EIA says {text}")
    return out
