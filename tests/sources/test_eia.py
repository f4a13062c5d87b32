"""EiaSource against a local server that answers like EIA API v2, serving the rows of the
real reply in ../shared/data/eia (facets applied, offset/length paging, 5,000-row cap)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from signalflow.errors import ApiError, ConfigError, FetchError, PayloadError
from signalflow.sources.eia_settings import EiaSeries
from signalflow.sources.eia import EiaSource, period_bounds
from signalflow.sources.http import HttpClient

REPLY = "eia/catalyst-cooperative_open-energy-data-for-all/eia923_pr_facility-fuel_PR.json"
ROUTE = "/v2/electricity/facility-fuel/data/"
NOW = datetime(2026, 1, 15)
KEY = "test-key-123"


@pytest.fixture
def real_reply(shared_data: Path) -> dict:
    return json.loads((shared_data / REPLY).read_bytes())


def eia_api(real: dict, calls: list):
    """A handler speaking EIA v2 over the real rows."""
    from fakes.http_server import Reply

    rows = real["response"]["data"]

    def handle(request):
        q = request.query
        calls.append(q)
        if q.get("api_key") != [KEY]:
            return Reply(403, {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}})
        facets = {k[7:-3]: v for k, v in q.items() if k.startswith("facets[")}
        column = q["data[0]"][0]
        chosen = [r for r in rows if all(str(r.get(f)) in vs for f, vs in facets.items())]
        if "start" in q:
            chosen = [r for r in chosen if r["period"] >= q["start"][0]]
        chosen.sort(key=lambda r: r["period"])
        offset, length = int(q.get("offset", ["0"])[0]), min(int(q.get("length", ["5000"])[0]), 5000)
        page = chosen[offset : offset + length]
        other_columns = {"generation", "gross-generation"} - {column}
        drop = other_columns | {f"{c}-units" for c in other_columns}
        response = {
            "warnings": [{"warning": "incomplete return", "description": "The API can only return 5000 rows"}]
            if len(chosen) > offset + length
            else [],
            "total": str(len(chosen)),
            "dateFormat": "YYYY-MM",
            "frequency": q["frequency"][0],
            "data": [{k: v for k, v in r.items() if k not in drop} for r in page],
        }
        return Reply(200, {"response": response, "request": {"command": ROUTE, "params": {}}, "apiVersion": "2.1.8"})

    return handle


def make(settings, server, **series) -> EiaSource:
    settings.eia_api_key = SecretStr(KEY)
    settings.eia_api_url = server.url + "/v2"
    settings.eia = [EiaSeries(route="electricity/facility-fuel", **series)]
    return EiaSource(settings, HttpClient("eia", sleep=lambda s: None), clock=lambda: NOW, page_size=2000)


def test_one_plant_total_generation_pages_through_every_row(settings, http_server, real_reply) -> None:
    calls: list = []
    http_server.routes[ROUTE] = eia_api(real_reply, calls)
    source = make(
        settings, http_server, name="ecoelectrica", data_column="generation",
        facets={"plantCode": ["61034"], "fuel2002": ["ALL"], "primeMover": ["ALL"]},
    )
    state: dict[str, str] = {}
    batch = source.collect(["eia.ecoelectrica"], state)
    expected = {
        r["period"]: float(r["generation"])
        for r in real_reply["response"]["data"]
        if r["plantCode"] == "61034" and r["fuel2002"] == "ALL" and r["primeMover"] == "ALL"
    }
    got = {o.source_ref.rsplit("#", 1)[1]: o.value for o in batch.observations}
    assert got == expected and len(got) > 12
    nov = next(o for o in batch.observations if o.source_ref.endswith("#2020-11"))
    assert (nov.period_start, nov.period_end) == (date(2020, 11, 1), date(2020, 11, 30))
    # Published release_lag (1d) after the period's last day, known at the end of that New York
    # day: 2020-12-02 00:00 EST.
    assert nov.known_at == datetime(2020, 12, 2, 5)
    assert nov.unit == "megawatthours"
    assert calls[0]["facets[plantCode][]"] == ["61034"] and calls[0]["data[0]"] == ["generation"]
    assert state["ecoelectrica:last_period"] == max(expected)
    # the next run asks only from the last period on
    source.collect(["eia.ecoelectrica"], state)
    assert calls[-1]["start"] == [max(expected)]


def test_paging_past_the_row_cap_and_summing_rows_per_period(settings, http_server, real_reply) -> None:
    calls: list = []
    http_server.routes[ROUTE] = eia_api(real_reply, calls)
    source = make(settings, http_server, name="pr_all", data_column="generation", facets={"state": ["PR"]})
    batch = source.collect(["eia.pr_all"], {})
    assert [int(c["offset"][0]) for c in calls] == [0, 2000, 4000]  # 5,000 real rows in pages of 2,000
    sums: dict[str, float] = {}
    for r in real_reply["response"]["data"]:
        if r["generation"] is not None:
            sums[r["period"]] = sums.get(r["period"], 0.0) + float(r["generation"])
    got = {o.source_ref.rsplit("#", 1)[1]: o.value for o in batch.observations}
    assert got == pytest.approx(sums)
    assert any("summed" in w for w in batch.warnings)


def test_bad_key_is_a_fetch_error_without_the_key(settings, http_server, real_reply) -> None:
    http_server.routes[ROUTE] = eia_api(real_reply, [])
    make(settings, http_server, name="x", data_column="generation")
    settings.eia_api_key = SecretStr("wrong-secret")
    source = EiaSource(settings, HttpClient("eia", sleep=lambda s: None), clock=lambda: NOW)  # reads the settings
    with pytest.raises(FetchError) as info:
        source.collect(["eia.x"], {})
    assert info.value.status == 403 and "wrong-secret" not in str(info.value)


def test_error_object_in_a_200_reply_is_an_api_error(settings, http_server) -> None:
    from fakes.http_server import Reply

    http_server.routes[ROUTE] = Reply(200, {"error": "Invalid frequency 'weird'", "code": 400})
    source = make(settings, http_server, name="x", data_column="generation")
    with pytest.raises(ApiError, match="Invalid frequency"):
        source.collect(["eia.x"], {})


def test_missing_key_is_a_config_error(settings) -> None:
    settings.eia = [EiaSeries(name="x", route="electricity/retail-sales")]
    with pytest.raises(ConfigError, match="eia_api_key"):
        EiaSource(settings).collect(["eia.x"], {})


def test_import_the_real_reply_surfaces_its_warnings(settings, shared_data: Path) -> None:
    settings.eia = [
        EiaSeries(name="ecoelectrica", route="electricity/facility-fuel", data_column="generation",
                  facets={"plantCode": ["61034"], "fuel2002": ["ALL"], "primeMover": ["ALL"]})
    ]
    source = EiaSource(settings, clock=lambda: NOW)
    path = shared_data / REPLY
    assert source.sniff(path, path.read_bytes()[:65536])
    batch = source.import_file(path)
    assert len(batch.observations) > 12
    assert any("incomplete return" in w for w in batch.warnings)
    assert any("Hey! Watch out!" in w for w in batch.warnings)
    settings.eia = []
    with pytest.raises(PayloadError, match="facility-fuel"):
        EiaSource(settings, clock=lambda: NOW).import_file(path)


@pytest.mark.parametrize(
    ("period", "frequency", "bounds"),
    [
        ("2024", "annual", (date(2024, 1, 1), date(2024, 12, 31))),
        ("2024-Q2", "quarterly", (date(2024, 4, 1), date(2024, 6, 30))),
        ("2024-02", "monthly", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2024-03-08", "weekly", (date(2024, 3, 2), date(2024, 3, 8))),
        ("2024-03-08", "daily", (date(2024, 3, 8), date(2024, 3, 8))),
        ("2024-03-08T13", "hourly", (date(2024, 3, 8), date(2024, 3, 8))),
    ],
)
def test_period_formats(period, frequency, bounds) -> None:
    assert period_bounds(period, frequency) == bounds


def test_unknown_ref_names_the_nearest(settings) -> None:
    settings.eia = [EiaSeries(name="ca_price", route="electricity/retail-sales")]
    assert "eia.ca_price" in EiaSource(settings).check_ref("eia.ca_prise")
    assert EiaSource(settings).check_ref("eia.ca_price") is None
