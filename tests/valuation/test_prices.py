"""PriceSource against a local server speaking the chart JSON reply, with a split, a missing
session, a session still trading and error replies; CSV imports; the store round trip.

The payloads are built here from stated facts: NVIDIA's 10-for-1 split took effect at the
open of 2024-06-10 (ex-date); its close on 2024-06-07 was $1,208.88 before the split, which
the chart endpoint serves split-adjusted as 120.888.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from fakes.http_server import Reply
from signalflow.errors import FetchError, PayloadError, RateLimited
from signalflow.sources.http import HttpClient
from signalflow.sources.prices import PriceSource

NOW = datetime(2024, 6, 12, 15, 0)  # 2024-06-12's session is still trading
EX_DATE = date(2024, 6, 10)
ROUTE = "/v8/finance/chart/NVDA"


def _stamp(day: date) -> int:
    """The session open (13:30 UTC in June) as the endpoint stamps it."""
    return int(datetime(day.year, day.month, day.day, 13, 30, tzinfo=timezone.utc).timestamp())


def chart(sessions: dict[date, float | None], splits: dict[date, int] | None = None, symbol: str = "NVDA") -> dict:
    """A chart reply: every price field equals the close; volume = 1000 x close."""
    days = sorted(sessions)
    closes = [sessions[d] for d in days]
    return {
        "chart": {
            "result": [
                {
                    "meta": {"currency": "USD", "symbol": symbol, "gmtoffset": -14400, "timezone": "EDT"},
                    "timestamp": [_stamp(d) for d in days],
                    "events": {
                        "splits": {
                            str(_stamp(d)): {"date": _stamp(d), "numerator": float(r), "denominator": 1.0, "splitRatio": f"{r}:1"}
                            for d, r in (splits or {}).items()
                        }
                    },
                    "indicators": {
                        "quote": [
                            {
                                "open": closes,
                                "high": closes,
                                "low": closes,
                                "close": closes,
                                "volume": [None if c is None else int(c * 1000) for c in closes],
                            }
                        ]
                    },
                }
            ],
            "error": None,
        }
    }


SPLIT_PAYLOAD = chart(
    {
        date(2024, 6, 6): 120.998,
        date(2024, 6, 7): 120.888,
        # 06-08/09 is a weekend: no sessions
        date(2024, 6, 10): 121.79,
        date(2024, 6, 11): None,  # a session the endpoint has no bar for (nulls)
        date(2024, 6, 12): 125.20,  # still trading at NOW
    },
    {EX_DATE: 10},
)


def _source(settings, server, waits: list[float] | None = None, retries: int = 2, now: datetime = NOW) -> PriceSource:
    settings = settings.model_copy(update={"prices_url": server.url})
    http = HttpClient("px", retries=retries, sleep=(waits if waits is not None else []).append)
    return PriceSource(settings, http, clock=lambda: now)


def _versions(batch, key: str) -> dict[date, list[tuple[float, datetime]]]:
    out: dict[date, list[tuple[float, datetime]]] = {}
    for o in batch.observations:
        if o.series == key:
            out.setdefault(o.period_end, []).append((o.value, o.known_at))
    return out


def test_a_split_re_versions_history_at_its_ex_date(settings, http_server) -> None:
    http_server.routes[ROUTE] = Reply(200, SPLIT_PAYLOAD)
    state: dict[str, str] = {}
    batch = _source(settings, http_server).collect(["px.NVDA.close", "px.NVDA.volume"], state)

    assert http_server.requests[0].query == {"interval": ["1d"], "range": ["10y"], "events": ["split"]}
    closes = _versions(batch, "px.NVDA.close")
    # Before the split: first as traded (x10), known at the session's end; then adjusted,
    # known at the ex-date.
    assert closes[date(2024, 6, 7)] == [
        (pytest.approx(1208.88), datetime(2024, 6, 7, 21, 0)),
        (pytest.approx(120.888), datetime(2024, 6, 10, 0, 0)),
    ]
    assert closes[date(2024, 6, 10)] == [(pytest.approx(121.79), datetime(2024, 6, 10, 21, 0))]
    assert date(2024, 6, 11) not in closes  # the missing session stays missing
    assert date(2024, 6, 12) not in closes  # not closed yet at NOW
    volumes = _versions(batch, "px.NVDA.volume")
    assert volumes[date(2024, 6, 7)][0][0] == pytest.approx(120888 / 10, abs=1)  # fewer, older shares
    assert _versions(batch, "px.NVDA.split") == {EX_DATE: [(10.0, datetime(2024, 6, 10))]}
    assert {s.key for s in batch.series} >= {"px.NVDA.close", "px.NVDA.split", "px.NVDA.volume"}
    assert state["NVDA:last"] == "2024-06-10"
    assert json.loads(state["NVDA:splits"]) == ["2024-06-10"]


def test_store_as_of_sees_prices_as_they_were_known(settings, http_server, store) -> None:
    http_server.routes[ROUTE] = Reply(200, SPLIT_PAYLOAD)
    batch = _source(settings, http_server).collect(["px.NVDA.close"], {})
    store.add_batch(batch)
    again = store.add_batch(_source(settings, http_server).collect(["px.NVDA.close"], {}))

    before = store.as_of("px.NVDA.close", datetime(2024, 6, 9, 12))
    after = store.as_of("px.NVDA.close", datetime(2024, 6, 11))
    assert again.observations_added == 0  # the same reply twice changes nothing
    assert before["value"].tolist() == pytest.approx([1209.98, 1208.88])
    assert after["value"].tolist() == pytest.approx([120.998, 120.888, 121.79])


def test_later_runs_ask_for_a_short_range_and_refetch_history_after_a_new_split(settings, http_server) -> None:
    before_split = chart({date(2024, 6, 6): 1209.98, date(2024, 6, 7): 1208.88})
    http_server.routes[ROUTE] = [Reply(200, before_split), Reply(200, chart({date(2024, 6, 10): 121.79}, {EX_DATE: 10})), Reply(200, SPLIT_PAYLOAD)]
    state: dict[str, str] = {}
    _source(settings, http_server, now=datetime(2024, 6, 8)).collect(["px.NVDA.close"], state)
    batch = _source(settings, http_server).collect(["px.NVDA.close"], state)

    ranges = [r.query["range"][0] for r in http_server.requests]
    assert ranges == ["10y", "1mo", "10y"]
    assert _versions(batch, "px.NVDA.close")[date(2024, 6, 7)][1][0] == pytest.approx(120.888)


@pytest.mark.parametrize(
    ("replies", "error", "waits"),
    [
        ([Reply(429, "slow down", {"Retry-After": "7"}), Reply(200, SPLIT_PAYLOAD)], None, [7.0]),
        ([Reply(503, "busy"), Reply(200, SPLIT_PAYLOAD)], None, 1),
        ([Reply(429, "slow down", {"Retry-After": "2"})], RateLimited, [2.0, 2.0]),
        ([Reply(500, "internal error")], FetchError, 2),
        (
            [Reply(404, {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}})],
            FetchError,
            [],
        ),
        ([Reply(200, {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}})], PayloadError, []),
        ([Reply(200, "No data")], PayloadError, []),
    ],
    ids=["429-then-ok", "503-then-ok", "429-always", "500-always", "404-no-data", "error-object", "no-data-body"],
)
def test_error_replies(settings, http_server, replies, error, waits) -> None:
    http_server.routes[ROUTE] = replies
    slept: list[float] = []
    source = _source(settings, http_server, slept)
    if error is None:
        batch = source.collect(["px.NVDA.close"], {})
        assert _versions(batch, "px.NVDA.close")[date(2024, 6, 10)][0][0] == pytest.approx(121.79)
    else:
        with pytest.raises(error) as info:
            source.collect(["px.NVDA.close"], {})
        assert "NVDA" in str(info.value) or "No data" in str(info.value)
    if isinstance(waits, list):
        assert slept == waits
    else:
        assert len(slept) == waits


def test_one_failing_ticker_is_a_warning_when_another_succeeds(settings, http_server) -> None:
    http_server.routes[ROUTE] = Reply(200, SPLIT_PAYLOAD)
    http_server.routes["/v8/finance/chart/NOPE"] = Reply(200, "No data")
    batch = _source(settings, http_server).collect(["px.NOPE.close", "px.NVDA.close"], {})
    assert len(batch.warnings) == 1 and "NOPE" in batch.warnings[0]
    assert _versions(batch, "px.NVDA.close")


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("px.NVDA.close", None),
        ("px.BRK_B.volume", None),
        ("px.NVDA.split", None),
        ("px.NVDA.closing", "did you mean 'close'"),
        ("px.nvda.close", "upper-case ticker"),
        ("px.NVDA", "px.TICKER.FIELD"),
    ],
)
def test_check_ref(settings, ref: str, problem: str | None) -> None:
    found = PriceSource(settings).check_ref(ref)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem.lower() in found.lower()


def test_import_csv_download(settings, tmp_path: Path) -> None:
    path = tmp_path / "nvda.us.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-06-06,124,125,118,120.998,0\n2024-06-10,120.37,123.1,117.01,121.79,314162700\n")
    source = PriceSource(settings, clock=lambda: NOW)
    assert source.sniff(path, path.read_bytes())
    batch = source.import_file(path)
    closes = _versions(batch, "px.NVDA.close")
    assert closes == {
        date(2024, 6, 6): [(120.998, datetime(2024, 6, 6, 21))],
        date(2024, 6, 10): [(121.79, datetime(2024, 6, 10, 21))],
    }


def test_import_no_data_csv_names_the_file(settings, tmp_path: Path) -> None:
    path = tmp_path / "zzzz.us.csv"
    path.write_text("No data")
    with pytest.raises(PayloadError, match="zzzz.us.csv.*no data"):
        PriceSource(settings).import_file(path)


def test_import_chart_json_takes_the_ticker_from_the_payload(settings, tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(SPLIT_PAYLOAD))
    batch = PriceSource(settings, clock=lambda: NOW + timedelta(days=1)).import_file(path)
    closes = _versions(batch, "px.NVDA.close")
    assert closes[date(2024, 6, 12)] == [(pytest.approx(125.2), datetime(2024, 6, 12, 21))]
