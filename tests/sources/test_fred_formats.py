"""FRED payload parsers, on the real files in ../shared/data/fred and on payloads built here."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from signalflow.errors import ApiError, PayloadError
from signalflow.series import KnownAtBasis
from signalflow.sources.fred_formats import (
    FredFormat,
    detect_format,
    parse_alfred_csv,
    parse_api_json,
    parse_fredgraph_csv,
    parse_processed_csv,
)
from signalflow.sources.frequency import (
    Frequency,
    default_stale_after,
    infer_frequency,
    period_bounds,
)


def chicago_day_end(days):
    """The first instant after each day in FRED's time zone (America/Chicago), naive UTC: a
    value FRED dates to that day (a vintage, an assumed publication) is known from then."""
    start = pd.to_datetime(pd.Series(days)).dt.normalize() + pd.Timedelta(days=1)
    local = start.dt.tz_localize("America/Chicago")
    return local.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]").tolist()

REAL_FILES = [
    # path under shared/data/fred, format, frequency of its series
    ("alvin076_Fred_Strategy/WALCL.csv", FredFormat.FREDGRAPH_CSV, "weekly"),
    ("alvin076_Fred_Strategy/WTREGEN.csv", FredFormat.FREDGRAPH_CSV, "weekly"),
    ("peterballaro_Emperical_Duration/fredgraph_DFF_DGS10_DGS3MO_DGS5_monthly.csv", FredFormat.FREDGRAPH_CSV, "monthly"),
    ("ttamura01_fed_t_note/fredgraph_FEDFUNDS_MORTGAGE30US.csv", FredFormat.FREDGRAPH_CSV, "monthly"),
    ("sivamsapingali_Codex_Macro-Monitor/DGS10.csv", FredFormat.PROCESSED_CSV, "daily"),
    ("sivamsapingali_Codex_Macro-Monitor/WALCL.csv", FredFormat.PROCESSED_CSV, "weekly"),
    ("sivamsapingali_Codex_Macro-Monitor/FEDFUNDS.csv", FredFormat.PROCESSED_CSV, "monthly"),
]


def _parse(path: Path, kind: FredFormat):
    text = path.read_text()
    if kind is FredFormat.FREDGRAPH_CSV:
        return parse_fredgraph_csv(text, str(path))
    return parse_processed_csv(text, str(path), path.stem)


@pytest.mark.parametrize(("name", "kind", "frequency"), REAL_FILES)
def test_real_csv_files_parse_every_present_value(shared_data: Path, name: str, kind: FredFormat, frequency: str) -> None:
    path = shared_data / "fred" / name
    assert detect_format(path.name, path.read_bytes()[:65536]) is kind
    batch = _parse(path, kind)

    rows = list(csv.reader(io.StringIO(path.read_text())))
    header, body = rows[0], rows[1:]
    ids = header[1:] if kind is FredFormat.FREDGRAPH_CSV else [path.stem]
    assert sorted(s.key for s in batch.series) == sorted(f"fred.{i}" for i in ids)
    frame = batch.frame
    for column, series_id in enumerate(ids, start=1):
        expected = {r[0]: float(r[column]) for r in body if r[column] not in (".", "")}
        got = frame[frame["series"] == f"fred.{series_id}"]
        assert len(got) == len(expected)
        first_day = min(expected)
        row = got[got["period_start"] == pd.Timestamp(first_day)] if frequency != "weekly" else got[got["period_end"] == pd.Timestamp(first_day)]
        assert row["value"].iloc[0] == pytest.approx(expected[first_day])
    assert {s.frequency for s in batch.series} == {frequency}
    assert frame["known_at"].tolist() == chicago_day_end(frame["period_end"] + pd.Timedelta(days=1))
    assert set(frame["known_at_basis"]) == {KnownAtBasis.ASSUMED.value}
    assert all(s.url == f"https://fred.stlouisfed.org/series/{s.key[5:]}" for s in batch.series)


def test_weekly_fred_dates_are_the_week_end(shared_data: Path) -> None:
    path = shared_data / "fred" / "alvin076_Fred_Strategy" / "WALCL.csv"
    frame = parse_fredgraph_csv(path.read_text(), str(path)).frame
    # H.4.1 is "as of Wednesday": the published date is the last day of the week it covers.
    assert set(frame["period_end"].dt.day_name()) == {"Wednesday"}
    assert ((frame["period_end"] - frame["period_start"]) == pd.Timedelta(days=6)).all()


def test_dot_and_empty_fields_are_missing(shared_data: Path) -> None:
    path = shared_data / "fred" / "peterballaro_Emperical_Duration" / "fredgraph_DFF_DGS10_DGS3MO_DGS5_monthly.csv"
    frame = parse_fredgraph_csv(path.read_text(), str(path)).frame
    three_month = frame[frame["series"] == "fred.DGS3MO"]
    # The file has "." for DGS3MO through 1981 (not yet published); DFF is complete.
    assert three_month["period_start"].min() > pd.Timestamp("1979-08-01")
    assert frame[frame["series"] == "fred.DFF"]["period_start"].min() == pd.Timestamp("1979-08-01")
    assert frame["value"].notna().all()


def test_api_json_vintage_is_known_at(shared_data: Path) -> None:
    path = shared_data / "fred" / "chzanotti_liquidez-monitor" / "latest" / "WALCL.json"
    raw = json.loads(path.read_text())
    batch = parse_api_json(path.read_bytes(), str(path), "WALCL")
    frame = batch.frame
    assert len(frame) == sum(1 for o in raw["observations"] if o["value"] != ".")
    by_date = {o["date"]: o for o in raw["observations"]}
    for row in frame.itertuples():
        source = by_date[row.period_end.date().isoformat()]
        assert row.value == float(source["value"])
        assert row.known_at == chicago_day_end([source["realtime_start"]])[0]
    assert set(frame["known_at_basis"]) == {KnownAtBasis.VINTAGE.value}
    assert batch.series[0].frequency == "weekly"
    assert batch.series[0].unit == ""  # "lin" is a transformation, not a unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [("6743028", 6743028.0), ("6748567.0000000000", 6748567.0), ("756218.0", 756218.0), ("-0.5", -0.5), (".", None)],
)
def test_api_json_value_formats(value: str, expected: float | None) -> None:
    payload = {"units": "lin", "observations": [{"realtime_start": "2026-08-06", "realtime_end": "9999-12-31", "date": "2026-07-01", "value": value}]}
    frame = parse_api_json(payload, "built", "M2SL", frequency=Frequency.MONTHLY).frame
    assert list(frame["value"]) == ([] if expected is None else [expected])


def test_api_json_vintage_history_gives_one_version_per_vintage() -> None:
    rows = [
        {"realtime_start": "2021-10-08", "realtime_end": "2021-11-04", "date": "2021-09-01", "value": "194"},
        {"realtime_start": "2021-11-05", "realtime_end": "2021-12-02", "date": "2021-09-01", "value": "312"},
        {"realtime_start": "2021-12-03", "realtime_end": "9999-12-31", "date": "2021-09-01", "value": "379"},
    ]
    frame = parse_api_json({"observations": rows}, "built", "PAYEMS", frequency=Frequency.MONTHLY).frame
    assert list(frame["value"]) == [194.0, 312.0, 379.0]
    assert list(frame["known_at"]) == chicago_day_end([r["realtime_start"] for r in rows])
    assert set(frame["period_end"]) == {pd.Timestamp("2021-09-30")}


def test_api_error_reply_names_the_file(shared_data: Path) -> None:
    history = shared_data / "fred" / "chzanotti_liquidez-monitor" / "history"
    path = next(p for p in sorted(history.rglob("*.json")) if "error_code" in p.read_text())
    with pytest.raises(ApiError) as caught:
        parse_api_json(path.read_bytes(), str(path), path.parent.name)
    assert caught.value.code == 429
    assert str(path) in str(caught.value) and "Too Many Requests" in str(caught.value)


def test_alfred_versions_only_on_change(shared_data: Path) -> None:
    path = shared_data / "fred" / "alfred" / "AkeBoss-tech_FEDChallenge_alfredgraph_PAYEMS_CHG_12vintages.csv"
    frame = parse_alfred_csv(path.read_text(), str(path)).frame
    september = frame[frame["period_start"] == pd.Timestamp("2021-09-01")]
    # The real revisions of September 2021 payrolls, each known from its vintage.
    assert list(september["value"]) == [194.0, 312.0, 379.0]
    assert list(september["known_at"]) == chicago_day_end(["2021-10-08", "2021-11-05", "2021-12-03"])
    # An old month present unchanged in every vintage is one version, from the earliest vintage.
    old = frame[frame["period_start"] == pd.Timestamp("1939-02-01")]
    assert list(old["known_at"]) == chicago_day_end(["2021-02-05"])
    assert set(frame["known_at_basis"]) == {KnownAtBasis.VINTAGE.value}


def test_alfred_column_order_does_not_matter() -> None:
    text = "DATE,X_20200301,X_20200201\n2020-01-01,2.5,2.0\n2020-02-01,3.0,.\n"
    frame = parse_alfred_csv(text, "built").frame
    february, march = chicago_day_end(["2020-02-01", "2020-03-01"])
    assert [(r.period_start.date(), r.value, r.known_at) for r in frame.itertuples()] == [
        (date(2020, 1, 1), 2.0, february),
        (date(2020, 1, 1), 2.5, march),
        (date(2020, 2, 1), 3.0, march),
    ]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("DATE,DGS10\n2020-01-01,1.5\n2020-01-02,abc\n", 3, "not a number"),
        ("observation_date,DGS10\n2020-01-01,1.5\n01/02/2020,1.6\n", 3, "not a date"),
        ("DATE,dgs10\n2020-01-01,1.5\n", 1, "not a FRED series id"),
    ],
)
def test_bad_csv_names_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_fredgraph_csv(text, "saved.csv")
    assert caught.value.line == line
    assert f"saved.csv:{line}" in str(caught.value) and problem in str(caught.value)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("fredgraph.csv", b"observation_date,FEDFUNDS,MORTGAGE30US\n", FredFormat.FREDGRAPH_CSV),
        ("x.csv", b"DATE,DGS10\n", FredFormat.FREDGRAPH_CSV),
        ("alfredgraph.csv", b"DATE,USSTHPI_20190528,USSTHPI_20190827\n", FredFormat.ALFRED_CSV),
        ("DGS10.csv", b"date,value\n1980-01-01,\n", FredFormat.PROCESSED_CSV),
        ("utilization.csv", b"date,value\n2020-01-01,1\n", None),
        ("metadata.csv", b"series_id,last_updated,last_observation,freq\n", None),
        ("DGS10.json", b'{"realtime_start":"2026-05-15","observations":[]}', FredFormat.API_JSON),
        ("x.json", b'{"error_code":429,"error_message":"Too Many Requests."}', FredFormat.API_JSON),
        ("feed.json", b'{"items":[]}', None),
    ],
)
def test_detect_format(name: str, head: bytes, expected: FredFormat | None) -> None:
    assert detect_format(name, head) is expected


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10"], Frequency.DAILY),
        (["2026-07-22", "2026-07-29", "2026-08-05"], Frequency.WEEKLY),
        (["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"], Frequency.MONTHLY),
        (["2025-01-01", "2025-04-01", "2025-07-01"], Frequency.QUARTERLY),
        (["2023-01-01", "2024-01-01", "2025-01-01"], Frequency.ANNUAL),
        (["2026-01-01"], Frequency.IRREGULAR),
    ],
)
def test_infer_frequency(dates: list[str], expected: Frequency) -> None:
    assert infer_frequency(date.fromisoformat(d) for d in dates) is expected


@pytest.mark.parametrize(
    ("day", "frequency", "bounds"),
    [
        ("2026-08-05", Frequency.DAILY, ("2026-08-05", "2026-08-05")),
        ("2026-08-05", Frequency.WEEKLY, ("2026-07-30", "2026-08-05")),
        ("2026-02-01", Frequency.MONTHLY, ("2026-02-01", "2026-02-28")),
        ("2024-02-01", Frequency.MONTHLY, ("2024-02-01", "2024-02-29")),
        ("2025-10-01", Frequency.QUARTERLY, ("2025-10-01", "2025-12-31")),
        ("2025-01-01", Frequency.ANNUAL, ("2025-01-01", "2025-12-31")),
    ],
)
def test_period_bounds(day: str, frequency: Frequency, bounds: tuple[str, str]) -> None:
    assert period_bounds(date.fromisoformat(day), frequency) == tuple(date.fromisoformat(b) for b in bounds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Weekly, Ending Wednesday", Frequency.WEEKLY), ("Daily, Close", Frequency.DAILY), ("Q", Frequency.QUARTERLY),
     ("BW", Frequency.BIWEEKLY), ("Semiannual", Frequency.SEMIANNUAL), ("", None), ("hourly", None)],
)
def test_frequency_parse(text: str, expected: Frequency | None) -> None:
    assert Frequency.parse(text) is expected


def test_staleness_grows_with_the_period() -> None:
    order = [Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.ANNUAL]
    limits = [default_stale_after(f) for f in order]
    assert limits == sorted(limits) and len(set(limits)) == len(limits)
    assert default_stale_after("monthly") == default_stale_after(Frequency.MONTHLY) > timedelta(days=31)


def test_api_json_cut_at_fred_row_cap_is_incomplete_but_a_chosen_window_is_not(shared_data: Path) -> None:
    path = shared_data / "fred" / "chzanotti_liquidez-monitor" / "latest" / "DGS10.json"
    real = json.loads(path.read_bytes())
    assert real["limit"] < real["count"]  # the newest observations only, as the request asked
    assert parse_api_json(path.read_bytes(), str(path), "DGS10").incomplete == []
    # the same reply as if FRED's own 100,000-row cap had stopped it
    capped = {**real, "limit": 100_000}
    batch = parse_api_json(json.dumps(capped), "capped.json", "DGS10")
    assert len(batch.incomplete) == 1
    assert batch.incomplete[0].startswith("fred.DGS10:")
    assert f"{len(real['observations'])} of the {real['count']:,} observations" in batch.incomplete[0]
    whole = {**capped, "count": len(real["observations"])}
    assert parse_api_json(json.dumps(whole), "whole.json", "DGS10").incomplete == []
