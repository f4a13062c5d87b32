"""FredSource against a local HTTP server speaking the FRED API and fredgraph.csv, and
imports of the real saved payloads into the store."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from pydantic import SecretStr

from signalflow.errors import ApiError, FetchError, PayloadError, RateLimited, SourceError
from signalflow.series import KnownAtBasis
from signalflow.sources.fred import REALTIME_END, REALTIME_START, FredSource
from signalflow.sources.http import HttpClient

API_KEY = "abcdef0123456789abcdef0123456789"
NOW = datetime(2026, 8, 8, 12, 0)
MONITOR = "chzanotti_liquidez-monitor"


def _source(settings, server, waits: list[float] | None = None, key: bool = False, retries: int = 2) -> FredSource:
    settings = settings.model_copy(
        update={
            "fred_api_url": f"{server.url}/fred",
            "fred_graph_url": f"{server.url}/graph/fredgraph.csv",
            "fred_api_key": SecretStr(API_KEY) if key else None,
        }
    )
    http = HttpClient("fred", retries=retries, sleep=(waits if waits is not None else []).append)
    return FredSource(settings, http, clock=lambda: NOW)


def _error_body(shared_data: Path) -> str:
    history = shared_data / "fred" / MONITOR / "history"
    return next(p.read_text() for p in sorted(history.rglob("*.json")) if "error_code" in p.read_text())


def test_keyless_collect_downloads_fredgraph_csv(settings, http_server, shared_data: Path) -> None:
    from fakes.http_server import Reply

    csv_text = (shared_data / "fred" / "alvin076_Fred_Strategy" / "WALCL.csv").read_text()
    http_server.routes["/graph/fredgraph.csv"] = Reply(200, csv_text, {"ETag": '"v1"'})
    source = _source(settings, http_server)
    state: dict[str, str] = {}
    batch = source.collect(["fred.WALCL"], state)

    assert http_server.requests[0].query == {"id": ["WALCL"]}
    frame = batch.frame
    assert len(frame) == len(csv_text.strip().splitlines()) - 1
    assert set(frame["known_at_basis"]) == {KnownAtBasis.ASSUMED.value}
    assert state["WALCL:last"] == frame["period_end"].max().date().isoformat()
    assert state["WALCL:etag"] == '"v1"'
    assert batch.series[0].url == "https://fred.stlouisfed.org/series/WALCL"


def test_keyless_second_run_sends_etag_and_records_revisions_at_collection(settings, http_server) -> None:
    from fakes.http_server import Reply

    first = "observation_date,DGS10\n2026-07-01,4.40\n2026-07-02,4.50\n2026-07-03,4.45\n"
    second = "observation_date,DGS10\n2026-07-01,4.40\n2026-07-02,4.55\n2026-07-03,4.45\n2026-07-06,4.60\n"
    http_server.routes["/graph/fredgraph.csv"] = [Reply(200, first, {"ETag": '"a"'}), Reply(200, second, {"ETag": '"b"'}), Reply(304)]
    source = _source(settings, http_server)
    state: dict[str, str] = {}
    source.collect(["fred.DGS10"], state)
    batch = source.collect(["fred.DGS10"], state)

    assert http_server.requests[1].headers["if-none-match"] == '"a"'
    rows = {r.period_start.date(): r for r in batch.frame.itertuples()}
    # The new day is assumed published the day after, known at the end of that Chicago day
    # (2026-07-08 00:00 CDT); a re-sent seen day is known now (the store keeps it only if changed).
    assert rows[date(2026, 7, 6)].known_at == pd.Timestamp("2026-07-08 05:00")
    assert rows[date(2026, 7, 6)].known_at_basis == KnownAtBasis.ASSUMED.value
    assert rows[date(2026, 7, 2)].known_at == pd.Timestamp(NOW)
    assert rows[date(2026, 7, 2)].known_at_basis == KnownAtBasis.COLLECTED.value
    assert state["DGS10:last"] == "2026-07-06"

    unchanged = source.collect(["fred.DGS10"], state)
    assert unchanged.frame is None and not unchanged.warnings


def test_keyless_revision_becomes_a_new_version_in_the_store(settings, http_server, store) -> None:
    from fakes.http_server import Reply

    first = "DATE,DGS10\n2026-07-01,4.40\n2026-07-02,4.50\n"
    second = "DATE,DGS10\n2026-07-01,4.40\n2026-07-02,4.55\n"
    http_server.routes["/graph/fredgraph.csv"] = [Reply(200, first), Reply(200, second)]
    source = _source(settings, http_server)
    state: dict[str, str] = {}
    assert store.add_batch(source.collect(["fred.DGS10"], state)).observations_added == 2
    assert store.add_batch(source.collect(["fred.DGS10"], state)).observations_added == 1
    before = store.as_of("fred.DGS10", datetime(2026, 8, 1))
    after = store.as_of("fred.DGS10", NOW)
    assert list(before["value"]) == [4.40, 4.50]
    assert list(after["value"]) == [4.40, 4.55]


def test_api_first_run_asks_for_every_vintage_then_only_recent(settings, http_server, shared_data: Path) -> None:
    from fakes.http_server import Reply

    reply = (shared_data / "fred" / MONITOR / "latest" / "DGS10.json").read_text()
    http_server.routes["/fred/series/observations"] = Reply(200, reply, {"Content-Type": "application/json"})
    http_server.routes["/fred/series"] = Reply(
        200, {"seriess": [{"id": "DGS10", "title": "Market Yield on U.S. Treasury Securities at 10-Year Constant Maturity",
                           "units": "Percent", "frequency": "Daily"}]}
    )
    source = _source(settings, http_server, key=True)
    state: dict[str, str] = {}
    batch = source.collect(["fred.DGS10"], state)

    observations = [r for r in http_server.requests if r.path == "/fred/series/observations"]
    query = observations[0].query
    assert query["realtime_start"] == [REALTIME_START] and query["realtime_end"] == [REALTIME_END]
    assert query["api_key"] == [API_KEY] and query["series_id"] == ["DGS10"]
    assert "observation_start" not in query
    info = batch.series[0]
    assert (info.unit, info.frequency, info.kind.value) == ("Percent", "daily", "level")
    assert info.title.startswith("Market Yield")
    assert set(batch.frame["known_at_basis"]) == {KnownAtBasis.VINTAGE.value}
    assert set(batch.frame["unit"]) == {"Percent"}

    source.collect(["fred.DGS10"], state)
    later = [r for r in http_server.requests if r.path == "/fred/series/observations"][1].query
    last = date.fromisoformat(state["DGS10:last"])
    assert later["observation_start"] == [(last - timedelta(days=400)).isoformat()]
    assert later["realtime_start"] == [REALTIME_START]
    assert len([r for r in http_server.requests if r.path == "/fred/series"]) == 1  # metadata is kept in state


def test_api_pages_through_large_replies(settings, http_server) -> None:
    from fakes.http_server import Reply

    rows = [{"realtime_start": f"2026-01-0{d + 1}", "realtime_end": "9999-12-31", "date": f"2025-12-0{d + 1}", "value": str(d)} for d in range(5)]

    def page(request):
        offset = int(request.query["offset"][0])
        assert request.query["limit"] == ["2"]
        return Reply(200, {"count": len(rows), "offset": offset, "observations": rows[offset:offset + 2]})

    http_server.routes["/fred/series/observations"] = page
    http_server.routes["/fred/series"] = Reply(200, {"seriess": [{"frequency": "Daily", "units": "Index", "title": "t"}]})
    source = _source(settings, http_server, key=True)
    source.page_limit = 2
    batch = source.collect(["fred.X1"], {})
    offsets = [r.query["offset"][0] for r in http_server.requests if r.path.endswith("observations")]
    assert offsets == ["0", "2", "4"]
    assert list(batch.frame["value"]) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_429_honours_retry_after_then_succeeds(settings, http_server, shared_data: Path) -> None:
    from fakes.http_server import Reply

    reply = (shared_data / "fred" / MONITOR / "latest" / "WALCL.json").read_text()
    http_server.routes["/fred/series/observations"] = [
        Reply(429, _error_body(shared_data), {"Retry-After": "7"}),
        Reply(503, "busy", {"Retry-After": "2"}),
        Reply(200, reply),
    ]
    http_server.routes["/fred/series"] = Reply(200, {"seriess": [{"frequency": "Weekly, As of Wednesday"}]})
    waits: list[float] = []
    batch = _source(settings, http_server, waits, key=True).collect(["fred.WALCL"], {})
    assert waits == [7.0, 2.0]
    assert len(batch.frame) == 60


def test_429_after_retries_is_rate_limited_without_the_key(settings, http_server, shared_data: Path, caplog) -> None:
    from fakes.http_server import Reply

    http_server.routes["/fred/series/observations"] = Reply(429, _error_body(shared_data), {"Retry-After": "3"})
    http_server.routes["/fred/series"] = Reply(200, {"seriess": [{}]})
    waits: list[float] = []
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RateLimited) as caught:
        _source(settings, http_server, waits, key=True, retries=2).collect(["fred.WALCL"], {})
    assert waits == [3.0, 3.0]
    assert isinstance(caught.value, SourceError)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in caplog.text and all(API_KEY not in str(r.__dict__) for r in caplog.records)


def test_5xx_backs_off_exponentially_without_retry_after(settings, http_server) -> None:
    from fakes.http_server import Reply

    http_server.routes["/graph/fredgraph.csv"] = Reply(500, "oops")
    waits: list[float] = []
    with pytest.raises(FetchError) as caught:
        _source(settings, http_server, waits, retries=3).collect(["fred.DGS10"], {})
    assert caught.value.status == 500
    assert len(waits) == 3 and all(0 <= w <= 2**i for i, w in enumerate(waits))


def test_error_object_with_status_200_is_an_api_error(settings, http_server, shared_data: Path) -> None:
    from fakes.http_server import Reply

    http_server.routes["/fred/series/observations"] = Reply(200, _error_body(shared_data))
    http_server.routes["/fred/series"] = Reply(200, {"seriess": [{}]})
    with pytest.raises(ApiError) as caught:
        _source(settings, http_server, key=True).collect(["fred.DGS10"], {})
    assert caught.value.code == 429 and "series_id=DGS10" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_one_failing_series_is_a_warning_when_others_succeed(settings, http_server) -> None:
    from fakes.http_server import Reply

    def graph(request):
        if request.query["id"] == ["NOPE"]:
            return Reply(404, "Series not found")
        return Reply(200, "observation_date,DGS10\n2026-07-01,4.4\n2026-07-02,4.5\n")

    http_server.routes["/graph/fredgraph.csv"] = graph
    batch = _source(settings, http_server).collect(["fred.NOPE", "fred.DGS10", "sec.AAPL.capex"], {})
    assert [s.key for s in batch.series] == ["fred.DGS10"]
    assert len(batch.warnings) == 1 and "HTTP 404" in batch.warnings[0]


@pytest.mark.parametrize(
    ("ref", "problem"),
    [("fred.DGS10", None), ("fred.PAYEMS_CHG", None), ("fred.dgs10", "did you mean fred.DGS10"),
     ("fred.DGS-10", "not a FRED series id"), ("fred.", "not a FRED series id")],
)
def test_check_ref(settings, ref: str, problem: str | None) -> None:
    found = FredSource(settings).check_ref(ref)
    assert found is None if problem is None else problem in found


def test_import_history_snapshots_gives_vintages(settings, shared_data: Path, store) -> None:
    source = FredSource(settings)
    # The first 24 snapshots (three weeks, two of them real 429 replies) keep the test quick.
    files = sorted((shared_data / "fred" / MONITOR / "history" / "DGS10").glob("*.json"))[:24]
    errors = 0
    for path in files:
        assert source.sniff(path, path.read_bytes()[:65536])
        try:
            store.add_batch(source.import_file(path))
        except ApiError:
            errors += 1
    assert errors == sum("error_code" in p.read_text() for p in files) > 0

    # Each period as of a snapshot (the capture time its name begins with) equals that
    # snapshot's value: the store replays what was known.
    for path in files[10:14]:
        data = json.loads(path.read_text())
        if "observations" not in data:
            continue
        known = pd.Timestamp(datetime.strptime(path.name[:19], "%Y-%m-%dT%H-%M-%S"))
        as_of = store.as_of("fred.DGS10", known.to_pydatetime())
        got = dict(zip(as_of["period_start"].dt.date.map(str), as_of["value"]))
        for obs in data["observations"]:
            if obs["value"] != ".":
                assert got[obs["date"]] == float(obs["value"])

    again = store.add_batch(source.import_file(files[-1]))
    assert again.observations_added == 0  # the same file twice changes nothing


@pytest.mark.parametrize(
    ("relative", "keys"),
    [
        ("alvin076_Fred_Strategy/WTREGEN.csv", ["fred.WTREGEN"]),
        ("ttamura01_fed_t_note/fredgraph_FEDFUNDS_MORTGAGE30US.csv", ["fred.FEDFUNDS", "fred.MORTGAGE30US"]),
        ("sivamsapingali_Codex_Macro-Monitor/FEDFUNDS.csv", ["fred.FEDFUNDS"]),
        ("alfred/aferrie1017_hello-world_alfredgraph_USSTHPI_2vintages.csv", ["fred.USSTHPI"]),
        (f"{MONITOR}/latest/M2SL.json", ["fred.M2SL"]),
    ],
)
def test_import_real_files(settings, shared_data: Path, relative: str, keys: list[str]) -> None:
    path = shared_data / "fred" / relative
    source = FredSource(settings)
    assert source.sniff(path, path.read_bytes()[:65536])
    batch = source.import_file(path)
    assert sorted(s.key for s in batch.series) == keys
    assert len(batch.frame) > 0
    twice = source.import_file(path)
    pd.testing.assert_frame_equal(batch.frame, twice.frame)


def test_import_series_override(settings, tmp_path: Path) -> None:
    path = tmp_path / "my_rates.csv"
    path.write_text("date,value\n2026-01-01,1.5\n2026-02-01,1.6\n")
    source = FredSource(settings)
    assert not source.sniff(path, path.read_bytes())
    batch = source.import_file(path, series="fred.MYRATE")
    assert [s.key for s in batch.series] == ["fred.MYRATE"]
    assert list(batch.frame["period_end"].dt.date) == [date(2026, 1, 31), date(2026, 2, 28)]
    with pytest.raises(PayloadError, match="not a FRED series id"):
        source.import_file(path, series="fred.my_rate")
    multi = tmp_path / "fredgraph.csv"
    multi.write_text("observation_date,A,B\n2026-01-01,1,2\n")
    with pytest.raises(PayloadError, match="holds 2 series"):
        source.import_file(multi, series="fred.C")


UNREADABLE_CSV = [
    pytest.param("<html><body>Service Unavailable</body></html>", "expected a date column",
                 id="HTML error page"),
    pytest.param("observation_date,DGS10\n2026-07-01,4.40\n", "the CSV has no column WALCL", id="another series"),
    pytest.param("observation_date,WALCL\n2026-07-01,lots\n", "lots", id="a value that is no number"),
]  # fmt: skip


@pytest.mark.parametrize("body, problem", UNREADABLE_CSV)
def test_keyless_unreadable_csv_keeps_no_validators(settings, http_server, shared_data: Path, body, problem) -> None:
    """A fredgraph.csv reply that cannot be read forgets the ETag and Last-Modified kept from
    the last good one: kept, the next run could get a 304 and never read the fixed CSV."""
    from fakes.http_server import Reply

    good = (shared_data / "fred" / "alvin076_Fred_Strategy" / "WALCL.csv").read_text()
    served = {"body": good, "etag": '"v1"', "modified": "Wed, 01 Jul 2026 10:00:00 GMT"}

    def graph(request):
        if request.headers.get("if-none-match") == served["etag"]:
            return Reply(304)
        return Reply(200, served["body"], {"ETag": served["etag"], "Last-Modified": served["modified"]})

    http_server.routes["/graph/fredgraph.csv"] = graph
    source = _source(settings, http_server)
    state: dict[str, str] = {}
    source.collect(["fred.WALCL"], state)
    assert (state["WALCL:etag"], state["WALCL:last_modified"]) == ('"v1"', served["modified"])

    served.update(body=body, etag='"v2"', modified="Thu, 02 Jul 2026 10:00:00 GMT")
    for _ in range(2):
        with pytest.raises(PayloadError) as failed:
            source.collect(["fred.WALCL"], state)
        assert "fredgraph.csv?id=WALCL" in str(failed.value) and problem in str(failed.value)
        assert (state["WALCL:etag"], state["WALCL:last_modified"]) == ("", "")
    assert "if-none-match" not in http_server.requests[-1].headers
    assert "if-modified-since" not in http_server.requests[-1].headers

    served.update(body=good)
    fixed = source.collect(["fred.WALCL"], state)
    assert "if-none-match" not in http_server.requests[-1].headers
    assert fixed.frame is not None and not fixed.frame.empty  # the seen days within the revision window
    assert state["WALCL:etag"] == '"v2"'
    assert source.collect(["fred.WALCL"], state).frame is None  # 304 now
