"""``prom.NAME``: a PromQL expression evaluated over time with ``/api/v1/query_range``.

Each ``[[prom]]`` entry in the settings holds a ``query``, a ``step`` and a ``lookback``
(how far back the first run reaches); later runs start where the previous one ended. The
reply must be ``status: success`` with ``resultType: matrix``. The expression should return
one series; when it returns several, their values are **summed** per timestamp and the
batch warns (write ``sum(...)`` or ``avg(...)`` yourself to say what you mean).

Samples become one observation per UTC day, the mean of that day's samples, known at the
time of the last sample it includes: a day still in progress is revised as samples arrive.

Example queries for a vLLM fleet with NVIDIA DCGM exporter (power is the GPUs only, the
chip boundary; multiply by node overhead and PUE to compare with node or facility figures)::

    [[prom]]    # measured output tokens per joule (tokens/s per W) at the chip boundary
    name = "fleet_tokens_per_joule"
    query = "sum(rate(vllm:generation_tokens_total[5m])) / sum(DCGM_FI_DEV_POWER_USAGE)"
    unit = "tokens/J (chip)"

    [[prom]]    # GPU utilization, 0..1
    name = "fleet_gpu_util"
    query = "avg(DCGM_FI_DEV_GPU_UTIL) / 100"

    [[prom]]    # GPU power drawn, W
    name = "fleet_gpu_power"
    query = "sum(DCGM_FI_DEV_POWER_USAGE)"
    unit = "W"

A thesis can then say ``prom.fleet_tokens_per_joule < 0.5 * efficiency.b200_llama70b_wall``
only after converting boundaries (see ``signalflow efficiency``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import MutableMapping
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from signalflow.errors import ApiError, ConfigError, PayloadError
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo, SeriesKind
from signalflow.sources.configured import ConfiguredSource
from signalflow.sources.prom_settings import PromSettings

if TYPE_CHECKING:
    from signalflow.sources.prom_settings import PromSeries
    from signalflow.sources.http import HttpClient

QUERY_RANGE = "/api/v1/query_range"
MAX_POINTS = 11_000  # Prometheus refuses ranges of more than 11,000 points per series



def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def parse_matrix(reply: Any, origin: str) -> tuple[dict[float, float], int, list[str]]:
    """Samples summed over the series of a query_range reply: ({timestamp: value},
    number of series, the reply's warnings). NaN and infinite samples are left out."""
    if not isinstance(reply, dict) or "status" not in reply:
        raise PayloadError(origin, "not a Prometheus API reply (no 'status')")
    if reply["status"] != "success":
        raise ApiError(origin, 0, f"{reply.get('errorType', 'error')}: {reply.get('error', '')}")
    data = reply.get("data") or {}
    if data.get("resultType") != "matrix":
        raise PayloadError(origin, f"expected resultType matrix, got {data.get('resultType')!r}")
    totals: dict[float, float] = defaultdict(float)
    for series in data.get("result") or []:
        for ts, raw in series.get("values") or []:
            value = float(raw)
            if math.isfinite(value):
                totals[float(ts)] += value
    return dict(totals), len(data.get("result") or []), list(reply.get("warnings") or [])


class PrometheusSource(ConfiguredSource):
    table = "prom"
    title = "Prometheus"
    name = "prom"
    config_model = PromSettings
    config: PromSettings


    def ready(self) -> None:
        if not self.config.url:
            raise ConfigError("prometheus_url", "is required to collect prom.* series")

    def client(self) -> HttpClient:
        from signalflow.sources.http import HttpClient

        return HttpClient("prom", user_agent="signalflow (Prometheus collector)")

    def collect_series(self, http: HttpClient, config: PromSeries, state: MutableMapping[str, str]) -> Batch:
        key = f"prom.{config.name}"
        end = self.clock()
        step = config.step
        since = state.get(f"{config.name}:day_start")
        start = datetime.fromisoformat(since) if since else end - config.lookback
        if (end - start) / step > MAX_POINTS:
            start = end - step * MAX_POINTS
        url = self.config.url.get_secret_value().rstrip("/") + QUERY_RANGE
        params = {
            "query": config.query,
            "start": f"{_epoch(start):.3f}",
            "end": f"{_epoch(end):.3f}",
            "step": f"{step.total_seconds():g}",
        }
        fetched = http.get(url, params=params)
        samples, n_series, warnings = parse_matrix(fetched.json(), f"{key} {url}")
        batch = Batch(series=[SeriesInfo(key, "prom", SeriesKind.LEVEL, config.unit, "daily", title=config.query)])
        batch.warnings.extend(f"{key}: Prometheus says {w}" for w in warnings)
        if n_series > 1:
            batch.warnings.append(f"{key}: the query returned {n_series} series; their values were summed")
        by_day: dict[date, list[tuple[float, float]]] = defaultdict(list)
        for ts, value in sorted(samples.items()):
            by_day[_from_epoch(ts).date()].append((ts, value))
        for day, points in sorted(by_day.items()):
            mean = sum(v for _, v in points) / len(points)
            batch.observations.append(
                Observation(
                    key, day, day, mean, _from_epoch(points[-1][0]), config.unit,
                    f"prometheus:{config.name}#{day.isoformat()}", KnownAtBasis.EXACT,
                )
            )
        if by_day:
            # the next run re-reads the last day whole, so its mean stays a mean of the full day
            state[f"{config.name}:day_start"] = datetime.combine(max(by_day), datetime.min.time()).isoformat()
        return batch
