"""csv.NAME and http.NAME: user series from CSV/JSON files and URLs."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from signalflow.errors import PayloadError, SourceError
from signalflow.sources.tabular_settings import TabularSeries
from signalflow.series import KnownAtBasis
from signalflow.sources.http import HttpClient
from signalflow.sources.tabular import CsvSource, HttpSource, parse_table

NOW = datetime(2026, 8, 8, 12, 0)


def _with(settings, *specs: dict):
    return settings.model_copy(update={"tabular": [TabularSeries(**s) for s in specs]})


def _source(cls, settings, waits: list[float] | None = None):
    return cls(settings, HttpClient(cls.name, retries=1, sleep=(waits if waits is not None else []).append), clock=lambda: NOW)


def test_csv_from_a_real_file(settings, shared_data: Path) -> None:
    path = shared_data / "fred" / "sivamsapingali_Codex_Macro-Monitor" / "VIXCLS.csv"
    source = _source(CsvSource, _with(settings, {"name": "vix", "url": str(path), "unit": "index"}))
    state: dict[str, str] = {}
    batch = source.collect(["csv.vix"], state)

    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    present = [r for r in rows if r["value"].strip()]
    frame = batch.frame
    assert len(frame) == len(present)
    assert frame["value"].iloc[-1] == float(present[-1]["value"])
    assert (frame["period_start"] == frame["period_end"]).all()
    assert set(frame["known_at_basis"]) == {KnownAtBasis.ASSUMED.value}
    info = batch.series[0]
    assert (info.key, info.source, info.frequency, info.unit) == ("csv.vix", "csv", "daily", "index")
    assert state["csv.vix:last"] == present[-1]["date"]


def test_json_over_http_with_records_path_and_etag(settings, http_server) -> None:
    from fakes.http_server import Reply

    payload = {"response": {"data": [
        {"period": "2026-01-01", "metrics": {"util": "81.5"}},
        {"period": "2026-02-01", "metrics": {"util": 83}},
        {"period": "2026-03-01", "metrics": {"util": None}},
    ]}}
    http_server.routes["/util.json"] = [Reply(200, payload, {"ETag": '"e1"'}), Reply(304)]
    spec = {"name": "util", "url": f"{http_server.url}/util.json", "format": "json", "records_path": "response.data",
            "date_column": "period", "value_column": "metrics.util", "frequency": "monthly", "unit": "%"}
    source = _source(HttpSource, _with(settings, spec))
    state: dict[str, str] = {}
    batch = source.collect(["http.util"], state)
    assert [(r.period_start.date(), r.period_end.date(), r.value) for r in batch.frame.itertuples()] == [
        (date(2026, 1, 1), date(2026, 1, 31), 81.5),
        (date(2026, 2, 1), date(2026, 2, 28), 83.0),
    ]
    assert batch.series[0].url == spec["url"]
    again = source.collect(["http.util"], state)
    assert http_server.requests[1].headers["if-none-match"] == '"e1"'
    assert again.frame is None


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("<html><body>Service Unavailable</body></html>", id="HTML error page"),
        pytest.param("", id="empty body"),
        pytest.param('{"response": {"data": [{"period": "2026-01-01", ', id="cut-off JSON"),
    ],
)
def test_an_unreadable_reply_keeps_no_etag(settings, http_server, broken) -> None:
    from fakes.http_server import Reply

    good = {"response": {"data": [{"period": "2026-01-01", "util": 81.5}]}}
    served = {"body": good, "etag": '"e0"'}

    def handle(request):
        if request.headers.get("if-none-match") == served["etag"]:
            return Reply(304)
        return Reply(200, served["body"], {"ETag": served["etag"], "Content-Type": "application/json"})

    http_server.routes["/util.json"] = handle
    spec = {"name": "util", "url": f"{http_server.url}/util.json", "format": "json", "records_path": "response.data",
            "date_column": "period", "value_column": "util", "frequency": "monthly"}
    source = _source(HttpSource, _with(settings, spec))
    state: dict[str, str] = {}
    source.collect(["http.util"], state)
    assert state["http.util:etag"] == '"e0"'

    served.update(body=broken, etag='"e1"')  # the body breaks; the server keeps an ETag for it
    for _ in range(2):
        with pytest.raises(PayloadError, match="util.json"):
            source.collect(["http.util"], state)
        assert state["http.util:etag"] == ""
    assert "if-none-match" not in http_server.requests[-1].headers

    served["body"] = {"response": {"data": [*good["response"]["data"], {"period": "2026-02-01", "util": 83}]}}
    assert list(source.collect(["http.util"], state).frame["value"]) == [81.5, 83.0]
    assert state["http.util:etag"] == '"e1"'
    assert source.collect(["http.util"], state).frame is None
    assert http_server.requests[-1].headers["if-none-match"] == '"e1"'


def test_known_at_column_is_reported(settings, tmp_path: Path) -> None:
    path = tmp_path / "capacity.csv"
    path.write_text("quarter,mw,published\n2025-10-01,120,2026-02-10T14:30:00Z\n2026-01-01,150,\n")
    spec = TabularSeries(name="capacity", url=str(path), date_column="quarter", value_column="mw",
                         known_at_column="published", frequency="quarterly")
    frame = parse_table(path.read_bytes(), str(path), "csv.capacity", spec).frame
    # The instant is exact; the quarter without one is assumed published the day after it ends
    # (2026-04-01) and known at the end of that day (the table's zone, UTC).
    assert list(frame["known_at"]) == [pd.Timestamp("2026-02-10 14:30"), pd.Timestamp("2026-04-02")]
    assert list(frame["known_at_basis"]) == [KnownAtBasis.EXACT.value, KnownAtBasis.ASSUMED.value]


@pytest.mark.parametrize(
    ("fmt", "content", "where", "problem"),
    [
        ("csv", "date,value\n2026-01-01,1\n2026-01-02,abc\n", "data.csv:3", "value: not a number: 'abc'"),
        ("csv", "date,value\n2026-01-01,1\nyesterday,2\n", "data.csv:3", "date: not a date"),
        ("csv", "day,value\n2026-01-01,1\n", "data.csv:1", "no column 'date'"),
        ("json", '[{"date": "2026-01-01", "value": 1}, {"date": "2026-01-02", "value": "n/a!"}]', "data.csv record[1]", "not a number"),
        ("json", '[{"date": "2026-01-01"}]', "data.csv record[0]", "no field 'value'"),
        ("json", '{"rows": {}}', "data.csv", "not a list of records"),
        ("json", "{oops", "data.csv:1", "not JSON"),
    ],
)
def test_bad_payloads_name_file_and_line(fmt: str, content: str, where: str, problem: str) -> None:
    spec = TabularSeries(name="x", url="data.csv", format=fmt, records_path="rows" if "rows" in content else "")
    with pytest.raises(PayloadError) as caught:
        parse_table(content, "data.csv", "csv.x", spec)
    assert str(caught.value).startswith(where) and problem in str(caught.value)


def test_changed_value_for_a_seen_period_is_known_at_collection(settings, tmp_path: Path, store) -> None:
    path = tmp_path / "util.csv"
    source = _source(CsvSource, _with(settings, {"name": "util", "url": str(path), "frequency": "monthly"}))
    state: dict[str, str] = {}
    path.write_text("date,value\n2026-05-01,70\n2026-06-01,72\n")
    store.add_batch(source.collect(["csv.util"], state))
    path.write_text("date,value\n2026-05-01,70\n2026-06-01,75\n2026-07-01,77\n")
    written = store.add_batch(source.collect(["csv.util"], state))
    assert written.observations_added == 2  # the revision of June and the new July
    # July is assumed published 2026-08-01, known at the end of that (UTC) day.
    assert list(store.as_of("csv.util", datetime(2026, 8, 2))["value"]) == [70, 72, 77]
    assert list(store.as_of("csv.util", NOW)["value"]) == [70, 75, 77]


@pytest.mark.parametrize(
    ("cls", "ref", "problem"),
    [
        (CsvSource, "csv.util", None),
        (CsvSource, "csv.utl", "did you mean csv.util"),
        (CsvSource, "csv.power", "csv.power is not configured"),
        (HttpSource, "http.remote", None),
        (HttpSource, "http.util", "is not http(s)"),
    ],
)
def test_check_ref(settings, cls, ref: str, problem: str | None) -> None:
    configured = _with(settings, {"name": "util", "url": "/data/util.csv"}, {"name": "remote", "url": "https://x.test/r.csv"})
    found = cls(configured).check_ref(ref)
    assert found is None if problem is None else problem in found


def test_unconfigured_ref_fails_collect_with_its_reason(settings) -> None:
    with pytest.raises(SourceError, match="csv.nope is not configured"):
        CsvSource(settings).collect(["csv.nope"], {})


def test_one_failing_series_is_a_warning(settings, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("date,value\n2026-01-01,1\n")
    source = CsvSource(_with(settings, {"name": "good", "url": str(good)}, {"name": "gone", "url": str(tmp_path / "gone.csv")}))
    batch = source.collect(["csv.gone", "csv.good"], {})
    assert [s.key for s in batch.series] == ["csv.good"]
    assert len(batch.warnings) == 1 and "gone.csv" in batch.warnings[0]


@pytest.mark.parametrize(
    ("name", "text", "sniffed"),
    [
        ("GPU Util-2024.csv", "date,value\n2026-01-05,1\n2026-01-12,2\n2026-01-19,3\n", True),
        ("power.csv", "Date,MW\n2026-01-01,5\n2026-02-01,6\n", True),
        ("DGS10.csv", "date,value\n2026-01-01,4\n", False),
        ("fredgraph.csv", "observation_date,DGS10\n2026-01-01,4\n", False),
        ("notes.csv", "name,comment\na,b\n", False),
    ],
)
def test_sniff_leaves_fred_files_to_fred(tmp_path: Path, settings, name: str, text: str, sniffed: bool) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert CsvSource(settings).sniff(path, path.read_bytes()) is sniffed


def test_import_plain_csv_names_it_after_the_file(settings, tmp_path: Path) -> None:
    path = tmp_path / "GPU Util-2024.csv"
    path.write_text("date,value\n2026-01-07,1\n2026-01-14,2\n2026-01-21,3\n")
    batch = CsvSource(settings).import_file(path)
    assert batch.series[0].key == "csv.gpu_util_2024"
    assert batch.series[0].frequency == "weekly"  # inferred from the dates
    assert list(batch.frame["period_end"].dt.date) == [date(2026, 1, 7), date(2026, 1, 14), date(2026, 1, 21)]
    override = CsvSource(settings).import_file(path, series="csv.gpu")
    assert override.series[0].key == "csv.gpu"
    pd.testing.assert_frame_equal(CsvSource(settings).import_file(path).frame, batch.frame)


def test_import_uses_a_configured_layout(settings, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"rows": [{"d": "2026-03-01", "v": "1,250.5"}]}')
    configured = _with(settings, {"name": "power", "url": "https://x.test/p.json", "format": "json", "records_path": "rows",
                                  "date_column": "d", "value_column": "v", "frequency": "quarterly"})
    batch = CsvSource(configured).import_file(path, series="csv.power")
    assert list(batch.frame["value"]) == [1250.5]
    assert list(batch.frame["period_end"].dt.date) == [date(2026, 5, 31)]


MONTH_ENDS = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]


@pytest.mark.parametrize("frequency", ["monthly", ""])  # stated, or inferred from the spacing
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_month_end_dates_keep_their_month(fmt: str, frequency: str) -> None:
    """2024-01-31 in a monthly series is January, not the month from Jan 31 to Feb 29."""
    if fmt == "csv":
        content = "date,value\n" + "".join(f"{d},{i}\n" for i, d in enumerate(MONTH_ENDS, 1))
        spec = TabularSeries(name="m", url="m.csv", frequency=frequency)
    else:
        content = '{"rows": [' + ",".join(f'{{"date": "{d}", "value": {i}}}' for i, d in enumerate(MONTH_ENDS, 1)) + "]}"
        spec = TabularSeries(name="m", url="m.json", format="json", records_path="rows", frequency=frequency)
    batch = parse_table(content, spec.url, "csv.m", spec)
    assert batch.series[0].frequency == "monthly"
    frame = batch.frame
    periods = list(zip(frame["period_start"].dt.date, frame["period_end"].dt.date, frame["value"]))
    assert periods == [
        (date(2024, 1, 1), date(2024, 1, 31), 1.0),
        (date(2024, 2, 1), date(2024, 2, 29), 2.0),
        (date(2024, 3, 1), date(2024, 3, 31), 3.0),
        (date(2024, 4, 1), date(2024, 4, 30), 4.0),
    ]
    # the same months dated by their first day are the same periods
    firsts = "date,value\n" + "".join(f"{d[:8]}01,{i}\n" for i, d in enumerate(MONTH_ENDS, 1))
    same = parse_table(firsts, "f.csv", "csv.m", TabularSeries(name="m", url="f.csv", frequency="monthly")).frame
    assert list(same["period_start"]) == list(frame["period_start"])
    assert list(same["period_end"]) == list(frame["period_end"])


def test_quarter_end_dates_keep_their_quarter(settings, tmp_path: Path) -> None:
    path = tmp_path / "capex.csv"
    path.write_text("date,value\n2023-12-31,4\n2024-03-31,1\n2024-06-30,2\n")
    batch = _source(CsvSource, settings).import_file(path)
    frame = batch.frame
    assert batch.series[0].frequency == "quarterly"
    assert list(zip(frame["period_start"].dt.date, frame["period_end"].dt.date)) == [
        (date(2023, 10, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
    ]
