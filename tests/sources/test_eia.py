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
    """A handler speaking EIA v2 over the real rows (tests/fakes/eia_api.py)."""
    from fakes.eia_api import EiaV2

    return EiaV2(real["response"]["data"], ROUTE, KEY, {"generation", "gross-generation"}, calls=calls)


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
    # rows of one period come in a fixed order (by the facets) so that pages neither skip nor repeat
    assert [calls[0][f"sort[{i}][column]"] for i in range(4)] == [["period"], ["fuel2002"], ["plantCode"], ["primeMover"]]
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


def real_sums(real: dict, column: str = "generation") -> dict[str, float]:
    sums: dict[str, float] = {}
    for r in real["response"]["data"]:
        if r[column] is not None:
            sums[r["period"]] = sums.get(r["period"], 0.0) + float(r[column])
    return sums


@pytest.mark.parametrize(
    ("page_size", "offsets"),
    [
        (None, [0, 5000]),  # the default asks for the API's maximum
        (8000, [0, 5000]),  # asking for more than the cap: the next offset is what arrived
        (3000, [0, 3000, 6000, 9000]),
    ],
)
def test_paging_follows_the_total_past_the_row_cap(settings, http_server, real_reply, page_size, offsets) -> None:
    from fakes.eia_api import EiaV2

    # the real rows and a copy of them for a second state: 10,000 rows, two replies' worth
    rows = real_reply["response"]["data"]
    api = EiaV2(rows + [{**r, "state": "VI"} for r in rows], ROUTE, KEY, {"generation", "gross-generation"})
    http_server.routes[ROUTE] = api
    settings.eia_api_key = SecretStr(KEY)
    settings.eia_api_url = http_server.url + "/v2"
    settings.eia = [EiaSeries(name="pr_vi", route="electricity/facility-fuel", data_column="generation",
                              facets={"state": ["PR", "VI"]})]
    sized = {} if page_size is None else {"page_size": page_size}
    source = EiaSource(settings, HttpClient("eia", sleep=lambda s: None), clock=lambda: NOW, **sized)
    state: dict[str, str] = {}
    batch = source.collect(["eia.pr_vi"], state)
    assert [int(c["offset"][0]) for c in api.calls] == offsets
    assert {c["length"][0] for c in api.calls} == {str(page_size or 5000)}
    assert batch.incomplete == []
    got = {o.source_ref.rsplit("#", 1)[1]: o.value for o in batch.observations}
    assert got == pytest.approx({p: 2 * v for p, v in real_sums(real_reply).items()})
    assert not any("incomplete return" in w for w in batch.warnings)
    assert state["pr_vi:last_period"] == max(r["period"] for r in rows)


def test_a_server_that_stops_short_of_the_total_is_an_incomplete_collection(settings, http_server, real_reply) -> None:
    from fakes.eia_api import EiaV2

    api = EiaV2(real_reply["response"]["data"], ROUTE, KEY, {"generation", "gross-generation"}, stop_after=2000)
    http_server.routes[ROUTE] = api
    source = make(settings, http_server, name="pr_all", data_column="generation", facets={"state": ["PR"]})
    state: dict[str, str] = {}
    batch = source.collect(["eia.pr_all"], state)
    assert [int(c["offset"][0]) for c in api.calls] == [0, 2000]
    assert len(batch.incomplete) == 1
    assert "eia.pr_all" in batch.incomplete[0] and "2,000 of the 5,000 rows" in batch.incomplete[0]
    # the cursor stays, so the next run asks for everything again
    assert "pr_all:last_period" not in state
    api.stop_after = None
    again = source.collect(["eia.pr_all"], state)
    assert "start" not in api.calls[-1] and again.incomplete == []
    assert {o.source_ref.rsplit("#", 1)[1] for o in again.observations} == set(real_sums(real_reply))


PLANT = {"plantCode": ["61034"], "fuel2002": ["ALL"], "primeMover": ["ALL"]}


def plant_tables() -> list[EiaSeries]:
    return [
        EiaSeries(name="ecoelectrica", route="electricity/facility-fuel", data_column="generation", facets=PLANT),
        EiaSeries(name="ecoelectrica_gross", route="electricity/facility-fuel", data_column="gross-generation",
                  facets=PLANT),
        EiaSeries(name="ca_price", route="electricity/retail-sales", data_column="price"),
    ]


def test_every_table_of_a_route_imports_from_one_reply(settings, shared_data: Path, real_reply) -> None:
    settings.eia = plant_tables()
    batch = EiaSource(settings, clock=lambda: NOW).import_file(shared_data / REPLY)
    assert {s.key for s in batch.series} == {"eia.ecoelectrica", "eia.ecoelectrica_gross"}
    plant = [r for r in real_reply["response"]["data"] if all(r[f] == v[0] for f, v in PLANT.items())]
    for key, column in (("eia.ecoelectrica", "generation"), ("eia.ecoelectrica_gross", "gross-generation")):
        got = {o.source_ref.rsplit("#", 1)[1]: o.value for o in batch.observations if o.series == key}
        assert got == {r["period"]: float(r[column]) for r in plant}
    # the reply stops at 5,000 of its total rows: each table says so, with its own gaps
    total = int(real_reply["response"]["total"])
    months = {r["period"] for r in real_reply["response"]["data"]}
    absent = len(months - {r["period"] for r in plant})
    assert total > 5000 and absent > 0
    assert len(batch.incomplete) == 2
    for name in ("ecoelectrica", "ecoelectrica_gross"):
        text = next(t for t in batch.incomplete if t.startswith(f"eia.{name}:"))
        assert f"5,000 of the {total:,} rows" in text
        assert f"{absent} of the {len(months)} periods" in text


def test_series_option_picks_one_table_by_its_key(settings, shared_data: Path) -> None:
    settings.eia = plant_tables()
    source = EiaSource(settings, clock=lambda: NOW)
    batch = source.import_file(shared_data / REPLY, series="eia.ecoelectrica_gross")
    assert {s.key for s in batch.series} == {"eia.ecoelectrica_gross"}
    assert {o.series for o in batch.observations} == {"eia.ecoelectrica_gross"} and batch.observations
    with pytest.raises(PayloadError, match="did you mean eia.ecoelectrica"):
        source.import_file(shared_data / REPLY, series="eia.ecoelectrika")
    with pytest.raises(PayloadError, match="reads route 'electricity/retail-sales'"):
        source.import_file(shared_data / REPLY, series="eia.ca_price")


def test_a_reply_whose_total_is_not_a_count_is_refused(settings, tmp_path: Path, real_reply) -> None:
    settings.eia = plant_tables()
    broken = json.loads(json.dumps(real_reply))
    broken["response"]["total"] = "many"
    path = tmp_path / "reply.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(PayloadError, match="total"):
        EiaSource(settings, clock=lambda: NOW).import_file(path)


def test_collection_that_stops_short_is_reported_and_keeps_no_cursor(settings, http_server, real_reply) -> None:
    from fakes.eia_api import EiaV2
    from signalflow import service
    from signalflow.store import Store

    api = EiaV2(real_reply["response"]["data"], ROUTE, KEY, {"generation", "gross-generation"}, stop_after=5000)
    http_server.routes[ROUTE] = api
    rows = real_reply["response"]["data"]
    api.rows = rows + [{**r, "state": "VI"} for r in rows]  # 10,000 rows: the second reply never comes
    settings.eia_api_key = SecretStr(KEY)
    settings.eia_api_url = http_server.url + "/v2"
    settings.eia = [EiaSeries(name="pr_vi", route="electricity/facility-fuel", data_column="generation",
                              facets={"state": ["PR", "VI"]})]
    store = Store.open(settings.database_url)
    try:
        report = service.collect_source(settings, store, "eia", ["eia.pr_vi"])
        assert report.ok and report.observations_added > 0
        assert len(report.incomplete) == 1 and "5,000 of the 10,000 rows" in report.incomplete[0]
        assert report.to_json()["incomplete"] == report.incomplete
        assert "pr_vi:last_period" not in store.get_source_state("eia")
    finally:
        store.close()
