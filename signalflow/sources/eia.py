"""``eia.NAME``: EIA API v2 series, one per ``[[eia]]`` entry in the settings.

Each entry names a route (``electricity/retail-sales``), facets that select the rows
(``{stateid = ["CA"], sectorid = ["COM"]}``) and the data column to read (``price``).
The collector asks ``{eia_api_url}/{route}/data/`` with ``data[0]=<column>``,
``facets[<f>][]=<v>``, ``frequency`` and ``sort`` by period, and pages with ``offset`` and
``length`` past the API's 5,000-row cap. Values arrive as strings; ``period`` is ``YYYY``,
``YYYY-Qn``, ``YYYY-MM``, ``YYYY-MM-DD`` (weekly: the week's last day) or
``YYYY-MM-DDTHH`` (hourly values become a daily mean). When the facets leave several rows
for one period, their values are summed and the batch says so.

EIA publishes no vintages: a period is assumed known ``release_lag`` after it ends (never
later than the collection), and a value that changes on a later run is recorded as known at
that run. The API key (``eia_api_key``) goes in the query string and is never logged.

Usage::

    source = EiaSource(settings)
    batch = source.collect(["eia.pr_generation"], state)
    batch = source.import_file(Path("reply.json"))     # a saved reply of a configured route
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
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo, SeriesKind, utcnow
from signalflow.sources.configured import ConfiguredSource
from signalflow.sources.validate import in_range

if TYPE_CHECKING:
    from signalflow.settings import EiaSeries, Settings
    from signalflow.sources.http import HttpClient

PAGE_SIZE = 5000  # the API's maximum rows per JSON reply
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")



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
        if self.settings.eia_api_key is None:
            raise ConfigError("eia_api_key", "is required to collect eia.* series", "get one at eia.gov/opendata")

    def client(self) -> HttpClient:
        from signalflow.sources.http import HttpClient

        return HttpClient("eia", user_agent="signalflow (EIA collector)")

    def collect_series(self, http: HttpClient, config: EiaSeries, state: MutableMapping[str, str]) -> Batch:
        url = f"{self.settings.eia_api_url.rstrip('/')}/{config.route.strip('/')}/data/"
        params: list[tuple[str, str | int]] = [
            ("api_key", self.settings.eia_api_key.get_secret_value()),  # type: ignore[union-attr]
            ("frequency", config.frequency),
            ("data[0]", config.data_column),
            ("sort[0][column]", "period"),
            ("sort[0][direction]", "asc"),
        ]
        for facet, values in config.facets.items():
            params.extend((f"facets[{facet}][]", v) for v in values)
        last = state.get(f"{config.name}:last_period")
        if last:
            params.append(("start", last))
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        offset = 0
        while True:
            page = params + [("offset", offset), ("length", self.page_size)]
            fetched = http.get(url, params=page)  # type: ignore[arg-type]
            reply = _reply(fetched.json() if fetched.content else {}, f"eia.{config.name} {url}")
            data = reply["response"].get("data") or []
            rows.extend(data)
            warnings.extend(_warnings(reply, config.name, paged=True))
            total = int(reply["response"].get("total") or 0)
            offset += len(data)
            if not data or offset >= total:
                break
        seen = json.loads(state.get(f"{config.name}:seen", "{}"))
        batch = self._observations(config, rows, f"{config.route}", seen=seen)
        batch.warnings.extend(warnings)
        periods = sorted({str(r.get("period")) for r in rows if r.get("period")})
        if periods:
            state[f"{config.name}:last_period"] = periods[-1]
            state[f"{config.name}:seen"] = json.dumps(
                {o.source_ref.rsplit("#", 1)[-1]: o.value for o in batch.observations}
            )
        return batch

    def _observations(
        self, config: EiaSeries, rows: Iterable[dict[str, Any]], origin: str, seen: dict[str, Any] | None = None
    ) -> Batch:
        from signalflow.settings import parse_duration

        key = f"eia.{config.name}"
        lag = parse_duration(config.release_lag)
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
            known_at = min(now, datetime.combine(end, time()) + lag)
            basis = KnownAtBasis.ASSUMED
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
        """A saved API reply; the ``[[eia]]`` entry is the one named ``series`` or the one
        whose route and data column the reply's request names."""
        try:
            reply = _reply(json.loads(path.read_bytes()), str(path))
        except json.JSONDecodeError as exc:
            raise PayloadError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        request = reply.get("request") or {}
        command = str(request.get("command", "")).strip("/")
        columns = (request.get("params") or {}).get("data") or []
        candidates = [s for s in self.settings.eia if series in (None, s.name)]
        config = next(
            (s for s in candidates if series or (command == f"v2/{s.route.strip('/')}/data" and s.data_column in columns)),
            None,
        )
        if config is None:
            raise PayloadError(
                str(path), f"no [[eia]] setting reads route {command!r} with columns {columns}: add one or pass --series"
            )
        batch = self._observations(config, reply["response"].get("data") or [], str(path))
        batch.warnings.extend(_warnings(reply, config.name, paged=False))
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
