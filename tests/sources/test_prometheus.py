"""PrometheusSource against a local server that speaks the Prometheus HTTP API
(/api/v1/query_range, status success|error, resultType matrix). The samples are facts the
test states: two GPUs drawing DCGM power, and vLLM token rates."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from fakes.http_server import Reply
from signalflow.errors import ApiError, ConfigError, FetchError
from signalflow.sources.prom_settings import PromSeries
from signalflow.sources.http import HttpClient
from signalflow.sources.prometheus import PrometheusSource

NOW = datetime(2026, 3, 3, 12, 0)
HOUR = 3600.0


def epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


# per-GPU power: GPU 0 draws 600 W, GPU 1 700 W, every 6 h from 2026-03-02 00:00 to NOW
POWER = {
    "0": 600.0,
    "1": 700.0,
}


def prometheus(calls: list):
    def handle(request):
        q = {k: v[0] for k, v in request.query.items()}
        calls.append(q)
        start, end, step = float(q["start"]), float(q["end"]), float(q["step"])
        stamps = [t for t in range(int(epoch(datetime(2026, 3, 2))), int(end) + 1, int(6 * HOUR)) if t >= start]
        if q["query"] == "DCGM_FI_DEV_POWER_USAGE":
            result = [
                {"metric": {"__name__": "DCGM_FI_DEV_POWER_USAGE", "gpu": gpu}, "values": [[t, str(w)] for t in stamps]}
                for gpu, w in POWER.items()
            ]
        elif q["query"] == "sum(rate(vllm:generation_tokens_total[5m])) / sum(DCGM_FI_DEV_POWER_USAGE)":
            # 2,600 tok/s over 1,300 W = 2 tokens/J; one NaN sample where no tokens were served
            values = [[t, "2" if i else "NaN"] for i, t in enumerate(stamps)]
            result = [{"metric": {}, "values": values}]
        else:
            return Reply(400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 1"})
        assert step == 6 * HOUR
        return Reply(200, {"status": "success", "data": {"resultType": "matrix", "result": result}})

    return handle


def make(settings, server, **series) -> PrometheusSource:
    settings.prometheus_url = server.url
    settings.prom = [PromSeries(step="6h", lookback="2d", **series)]
    return PrometheusSource(settings, HttpClient("prom", sleep=lambda s: None, retries=0), clock=lambda: NOW)


def test_several_series_are_summed_into_daily_means(settings, http_server) -> None:
    calls: list = []
    http_server.routes["/api/v1/query_range"] = prometheus(calls)
    source = make(settings, http_server, name="gpu_power", query="DCGM_FI_DEV_POWER_USAGE", unit="W")
    state: dict[str, str] = {}
    batch = source.collect(["prom.gpu_power"], state)
    by_day = {o.period_start: o for o in batch.observations}
    assert set(by_day) == {date(2026, 3, 2), date(2026, 3, 3)}
    assert by_day[date(2026, 3, 2)].value == pytest.approx(1300.0)
    assert by_day[date(2026, 3, 2)].known_at == datetime(2026, 3, 2, 18)  # its last sample
    assert by_day[date(2026, 3, 3)].known_at == datetime(2026, 3, 3, 12)
    assert any("2 series" in w and "summed" in w for w in batch.warnings)
    assert float(calls[0]["start"]) == epoch(datetime(2026, 3, 1, 12))  # NOW - lookback
    assert float(calls[0]["end"]) == epoch(NOW)
    # the next run starts at the last day seen, so that day's mean is recomputed whole
    source.collect(["prom.gpu_power"], state)
    assert float(calls[1]["start"]) == epoch(datetime(2026, 3, 3))


def test_measured_tokens_per_joule_skips_nan_samples(settings, http_server) -> None:
    http_server.routes["/api/v1/query_range"] = prometheus([])
    query = "sum(rate(vllm:generation_tokens_total[5m])) / sum(DCGM_FI_DEV_POWER_USAGE)"
    source = make(settings, http_server, name="tpj", query=query, unit="tokens/J (chip)")
    batch = source.collect(["prom.tpj"], {})
    assert [o.value for o in batch.observations] == [2.0, 2.0]
    assert not batch.warnings


def test_error_status_names_the_series(settings, http_server) -> None:
    http_server.routes["/api/v1/query_range"] = prometheus([])
    source = make(settings, http_server, name="bad", query="sum(")
    with pytest.raises(FetchError, match="parse error"):
        source.collect(["prom.bad"], {})


def test_error_status_in_a_200_reply_is_an_api_error(settings, http_server) -> None:
    http_server.routes["/api/v1/query_range"] = Reply(
        200, {"status": "error", "errorType": "timeout", "error": "query timed out"}
    )
    source = make(settings, http_server, name="slow", query="up")
    with pytest.raises(ApiError, match="prom.slow.*timeout: query timed out"):
        source.collect(["prom.slow"], {})


def test_vector_result_is_refused(settings, http_server) -> None:
    http_server.routes["/api/v1/query_range"] = Reply(
        200, {"status": "success", "data": {"resultType": "vector", "result": []}}
    )
    source = make(settings, http_server, name="v", query="up")
    with pytest.raises(Exception, match="matrix"):
        source.collect(["prom.v"], {})


def test_needs_a_url_and_names_the_nearest_series(settings) -> None:
    settings.prom = [PromSeries(name="gpu_power", query="x")]
    with pytest.raises(ConfigError, match="prometheus_url"):
        PrometheusSource(settings).collect(["prom.gpu_power"], {})
    assert "prom.gpu_power" in PrometheusSource(settings).check_ref("prom.gpu_powr")
