"""known_at is never earlier than publication and never later than collection.

A property over generated publications and captures, for every parser that dates values
(FRED vintages, SEC filings, user tables, feed entries), then the real captures: FRED's
10-year yield and Apple's SEC filings."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from signalflow.series import KnownAtBasis, MemoryProvider, SeriesFrame, describe_known_at
from signalflow.sources.fred import FredSource
from signalflow.sources.fred_formats import parse_api_json
from signalflow.sources.sec import SecSource
from signalflow.sources.sec_concepts import load_metrics
from signalflow.sources.sec_facts import normalize_companyfacts
from signalflow.sources.tabular import parse_table
from signalflow.sources.tabular_settings import TabularSeries

CHICAGO, NEW_YORK = ZoneInfo("America/Chicago"), ZoneInfo("America/New_York")
METRICS = load_metrics()


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)


def utc(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


# One publication: the instant the publisher released it and the delay before we captured it.
publications = st.lists(
    st.tuples(
        st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2027, 12, 31)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    ),
    min_size=1,
    max_size=8,
)


def fred_rows(pubs):
    """Each publication as its own capture of a fred/series/observations reply: a value whose
    realtime_start is FRED's (Chicago) day of the release."""
    out = []
    for i, (published, delay) in enumerate(pubs):
        vintage = local(published, CHICAGO).date()
        reply = {"observations": [{"realtime_start": vintage.isoformat(), "realtime_end": "9999-12-31",
                                   "date": (date(2018, 1, 1) + timedelta(days=i)).isoformat(), "value": str(i)}]}
        frame = parse_api_json(reply, "built", "X", collected_at=published + delay).frame
        out.append(frame)
    return out


def sec_rows(pubs):
    """Each publication as a filing accepted at the instant (its filing date the New York day,
    or the next one after 17:30), a balance fact in it; half with the acceptance time known."""
    out = []
    for i, (published, delay) in enumerate(pubs):
        wall = local(published, NEW_YORK)
        filed = wall.date() + timedelta(days=1 if wall.hour * 60 + wall.minute >= 17 * 60 + 30 else 0)
        accn = f"0000000001-20-{i:06d}"
        row = {"end": (date(2018, 1, 1) + timedelta(days=i)).isoformat(), "val": float(i), "accn": accn,
               "filed": filed.isoformat(), "form": "10-Q"}
        payload = {"cik": 1, "entityName": "X", "facts": {"us-gaap": {"RevenueRemainingPerformanceObligation": {"units": {"USD": [row]}}}}}
        accepted = {accn: published} if i % 2 == 0 else {}
        batch = normalize_companyfacts(payload, "X", METRICS, accepted=accepted, collected_at=published + delay)
        out.append(batch.observations_frame())
    return out


def tabular_rows(pubs):
    """Each publication as a table row whose known_at is the release's date in New York (odd
    rows) or the instant itself with its offset (even rows)."""
    spec = TabularSeries(name="x", url="x.csv", known_at_column="known", timezone="America/New_York")
    out = []
    for i, (published, delay) in enumerate(pubs):
        known = published.isoformat() + "+00:00" if i % 2 == 0 else local(published, NEW_YORK).date().isoformat()
        text = f"date,value,known\n{date(2018, 1, 1) + timedelta(days=i)},{i},{known}\n"
        out.append(parse_table(text, "x.csv", "csv.x", spec, collected_at=published + delay).frame)
    return out


@pytest.mark.parametrize("rows_of", [fred_rows, sec_rows, tabular_rows])
@given(pubs=publications, probes=st.lists(st.datetimes(min_value=datetime(2018, 12, 1), max_value=datetime(2028, 1, 31)), max_size=6))
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_nothing_is_visible_before_its_publication_and_everything_from_its_capture(rows_of, pubs, probes):
    frames = rows_of(pubs)
    data = pd.concat(frames, ignore_index=True)
    series = data["series"].iloc[0]
    provider = MemoryProvider({series: SeriesFrame(series, data.sort_values("known_at", kind="stable").reset_index(drop=True))})
    for frame, (published, delay) in zip(frames, pubs):
        (known,) = frame["known_at"]
        assert published <= known <= published + delay
    for at in [*probes, *(p for p, _ in pubs), *(p + d for p, d in pubs), *(p - timedelta(microseconds=1) for p, _ in pubs)]:
        visible = set(provider.load({series}, until=at)[series].data["value"])
        for i, (published, delay) in enumerate(pubs):
            if published > at:
                assert float(i) not in visible, (i, published, at)
            if published + delay <= at:
                assert float(i) in visible, (i, published + delay, at)


def test_feed_entry_dated_after_its_capture_is_known_at_the_capture(settings, tmp_path: Path) -> None:
    from signalflow.sources.news import NewsSource

    feed = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Acme signs 500 MW power purchase agreement with Google</title><guid>a</guid>
<pubDate>Mon, 03 Mar 2031 12:00:00 GMT</pubDate></item></channel></rss>"""
    seen = datetime(2030, 1, 1, 8)
    source = NewsSource(settings, clock=lambda: seen)
    batch = source.parse("grid", feed.encode())
    assert [e.published for e in batch.events] == [seen]
    assert {(o.known_at, o.known_at_basis) for o in batch.observations} <= {(seen, KnownAtBasis.COLLECTED)}


@pytest.mark.parametrize(
    ("known", "basis", "instant"),
    [
        ("2026-07-02", KnownAtBasis.END_OF_DAY, datetime(2026, 7, 3, 4)),  # the end of the New York day
        ("2026-07-02T09:30:00", KnownAtBasis.EXACT, datetime(2026, 7, 2, 13, 30)),  # local wall time
        ("2026-07-02T09:30:00Z", KnownAtBasis.EXACT, datetime(2026, 7, 2, 9, 30)),
        ("2026-07-02T09:30:00+02:00", KnownAtBasis.EXACT, datetime(2026, 7, 2, 7, 30)),
    ],
)
def test_tabular_known_at_column_dates_and_instants(known: str, basis: KnownAtBasis, instant: datetime) -> None:
    spec = TabularSeries(name="x", url="x.csv", known_at_column="known", timezone="America/New_York")
    frame = parse_table(f"date,value,known\n2026-06-30,1,{known}\n", "x.csv", "csv.x", spec).frame
    assert (frame["known_at"].iloc[0], frame["known_at_basis"].iloc[0]) == (pd.Timestamp(instant), basis.value)


def test_tabular_timezone_must_be_a_zone() -> None:
    with pytest.raises(ValueError, match="not an IANA time zone"):
        TabularSeries(name="x", url="x.csv", timezone="Mars/Olympus")


# Real FRED captures: DGS10 as the API answered it each day (file names are the capture times).
DGS10 = "fred/chzanotti_liquidez-monitor/history/DGS10"


def test_real_fred_history_does_not_show_a_yield_before_its_vintage_day_ends(shared_data: Path, settings, store) -> None:
    source = FredSource(settings)
    for path in sorted((shared_data / DGS10).glob("*.json")):
        if "error_code" not in path.read_text():
            store.add_batch(source.import_file(path))

    def yields(at: datetime) -> dict[str, float]:
        seen = store.as_of("fred.DGS10", at)
        return dict(zip(seen["period_start"].dt.date.map(str), seen["value"]))

    # 2026-07-01's yield first appears in the capture of 2026-07-03 15:51 UTC, with
    # realtime_start 2026-07-02: a Chicago day that ends at 2026-07-03 05:00 UTC.
    first = json.loads((shared_data / DGS10 / "2026-07-03T15-51-29-00-00_8155249823.json").read_text())
    shown = next(o for o in first["observations"] if o["date"] == "2026-07-01")
    assert shown["realtime_start"] == "2026-07-02"
    assert "2026-07-01" not in yields(datetime(2026, 7, 2))
    assert "2026-07-01" not in yields(datetime(2026, 7, 2, 16, 4, 26))  # the capture before it lacked it
    assert "2026-07-01" not in yields(datetime(2026, 7, 3, 4, 59, 59))
    assert yields(datetime(2026, 7, 3, 5))["2026-07-01"] == float(shown["value"])
    assert yields(datetime(2026, 7, 3, 15, 51, 29))["2026-07-01"] == float(shown["value"])


def test_a_vintage_captured_during_its_own_day_is_known_at_the_capture(shared_data: Path, settings, tmp_path: Path) -> None:
    """A capture taken before the vintage's Chicago day ends caps known_at (basis COLLECTED)."""
    path = shared_data / DGS10 / "2026-07-03T15-51-29-00-00_8155249823.json"
    reply = json.loads(path.read_text())
    reply["observations"] = [dict(o, realtime_start="2026-07-03") for o in reply["observations"]]
    renamed = tmp_path / "DGS10" / path.name
    renamed.parent.mkdir(parents=True, exist_ok=True)
    renamed.write_text(json.dumps(reply))
    frame = FredSource(settings).import_file(renamed).frame
    assert set(frame["known_at"]) == {pd.Timestamp("2026-07-03 15:51:29")}
    assert set(frame["known_at_basis"]) == {KnownAtBasis.COLLECTED.value}


# Real SEC files: Apple's companyfacts, and its submissions with each acceptanceDateTime.
AAPL = "sec/qihuizzz_sec-xbrl-reports"


def _accepted(shared_data: Path) -> dict[str, str]:
    recent = json.loads((shared_data / AAPL / "AAPL_submissions_CIK0000320193.json").read_text())["filings"]["recent"]
    return dict(zip(recent["accessionNumber"], recent["acceptanceDateTime"]))


@pytest.mark.parametrize(
    ("accession", "period_end"),
    [
        ("0000320193-24-000081", date(2024, 6, 29)),  # 10-Q filed 2024-08-02, accepted 18:03 ET the day before
        ("0000320193-25-000073", date(2025, 6, 28)),  # 10-Q filed 2025-08-01, accepted 06:00 ET
    ],
)
def test_sec_fact_is_visible_from_its_acceptance(shared_data: Path, settings, accession: str, period_end: date) -> None:
    accepted = datetime.fromisoformat(_accepted(shared_data)[accession].replace("Z", "+00:00")).replace(tzinfo=None)
    batch = SecSource(settings).import_file(shared_data / AAPL / "AAPL_companyfacts_CIK0000320193.json")
    frame = batch.observations_frame()
    for column in ("period_start", "period_end", "known_at"):
        frame[column] = pd.to_datetime(frame[column])
    revenue = frame[frame["series"] == "sec.AAPL.revenue"].sort_values("known_at")
    first = revenue[revenue["period_end"] == pd.Timestamp(period_end)].iloc[0]
    assert first["source_ref"].startswith(accession)
    assert (first["known_at"], first["known_at_basis"]) == (pd.Timestamp(accepted), KnownAtBasis.EXACT.value)
    provider = MemoryProvider({"sec.AAPL.revenue": SeriesFrame("sec.AAPL.revenue", revenue.reset_index(drop=True))})

    def quarters(at: datetime) -> set:
        return set(provider.load({"sec.AAPL.revenue"}, until=at)["sec.AAPL.revenue"].data["period_end"])

    assert pd.Timestamp(period_end) not in quarters(accepted - timedelta(seconds=1))
    assert pd.Timestamp(period_end) in quarters(accepted)
    wall = local(accepted, NEW_YORK)
    text = describe_known_at("sec.AAPL.revenue", first["known_at"].to_pydatetime(), first["known_at_basis"], first["source_ref"])
    assert text == f"published {wall:%Y-%m-%d %H:%M} ET, accession {accession}"


def test_sec_fact_without_an_acceptance_time_is_known_at_the_end_of_its_filing_day(shared_data: Path, settings) -> None:
    """Apple's FY2009 restatement is completed on one basis by the 10-Q filed 2010-07-21
    (the nine months on the new basis), which is older than the submissions file."""
    assert "0001193125-10-162840" not in _accepted(shared_data)
    batch = SecSource(settings).import_file(shared_data / AAPL / "AAPL_companyfacts_CIK0000320193.json")
    restated = [o for o in batch.observations if o.source_ref.startswith("0001193125-10-162840")]
    assert restated
    end_of_day = utc(datetime(2010, 7, 22), NEW_YORK)
    assert {(o.known_at, o.known_at_basis) for o in restated} == {(end_of_day, KnownAtBasis.END_OF_DAY)}
    one = next(o for o in restated if o.series == "sec.AAPL.revenue" and o.period_end.year == 2009)
    assert describe_known_at(one.series, one.known_at, one.known_at_basis.value, one.source_ref) == (
        "published 2010-07-21 (ET date, known from its end), accession 0001193125-10-162840"
    )


def test_imported_submissions_times_serve_a_later_companyfacts_import(shared_data: Path, settings, tmp_path: Path) -> None:
    """Apart from the submissions file, companyfacts still gets the times kept from it."""
    alone = tmp_path / "facts" / "AAPL_companyfacts_CIK0000320193.json"
    alone.parent.mkdir()
    alone.write_bytes((shared_data / AAPL / "AAPL_companyfacts_CIK0000320193.json").read_bytes())
    source = SecSource(settings)
    before = {o.known_at_basis for o in source.import_file(alone).observations}
    assert KnownAtBasis.EXACT not in before
    source.import_file(shared_data / AAPL / "AAPL_submissions_CIK0000320193.json")
    after = [o for o in source.import_file(alone).observations if o.source_ref.startswith("0000320193-25-000073")]
    assert after and {o.known_at for o in after} == {datetime(2025, 8, 1, 10, 0, 42)}


# How a value became known, in explain and in alerts.
SEC_THESIS = {
    "thesis": "apple_sales",
    "title": "Apple sales",
    "growth": {"reason": "g", "when": "sec.AAPL.revenue > 0"},
    "liquidity": {"reason": "l", "when": "sec.AAPL.revenue > 0"},
    "soft_warning": [{"name": "sales_slowing", "when": "sec.AAPL.revenue < 30000000000"}],
    "kill_switch": [{"name": "sales_collapse", "when": "sec.AAPL.revenue < 20000000000"}],
}
PUBLISHED = "published 2010-01-25 16:31 ET, accession 0001193125-10-012091"


def test_explain_says_when_and_in_which_filing_a_value_was_published(tmp_path: Path, monkeypatch) -> None:
    import yaml
    from typer.testing import CliRunner

    from signalflow.cli import app
    from signalflow.series import Batch, Observation
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "apple_sales.yaml").write_text(yaml.safe_dump(SEC_THESIS, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    store = Store.open(url)
    store.add_batch(Batch(observations=[
        Observation("sec.AAPL.revenue", date(2009, 6, 28), date(2009, 9, 26), 12_207_000_000.0,
                    datetime(2010, 1, 25, 21, 31), "USD", "0001193125-10-012091 FY2009Q4", KnownAtBasis.EXACT),
    ]))
    store.close()
    as_json = CliRunner().invoke(app, ["explain", "apple_sales", "--as-of", "2010-02-01", "--json"])
    assert as_json.exit_code == 0, as_json.output
    (revenue,) = next(r for r in json.loads(as_json.output)["rules"] if r["name"] == "sales_collapse")["inputs"]
    assert (revenue["basis"], revenue["published"]) == ("exact", PUBLISHED)
    text = CliRunner().invoke(app, ["explain", "apple_sales", "--as-of", "2010-02-01"])
    assert PUBLISHED in " ".join(text.output.split())
    before = CliRunner().invoke(app, ["explain", "apple_sales", "--as-of", "2010-01-25T21:30:00", "--json"])
    (unknown,) = next(r for r in json.loads(before.output)["rules"] if r["name"] == "sales_collapse")["inputs"]
    assert unknown["value"] is None


def test_alert_input_lines_say_how_the_value_was_published() -> None:
    from signalflow.alerts.message import input_lines
    from signalflow.notifiers.email import input_line
    from signalflow.notifiers.slack_blocks import input_text
    from signalflow.thesis.results import InputValue, RuleState, RuleStatus

    value = InputValue("sec.AAPL.revenue", 12_207_000_000.0, date(2009, 6, 28), date(2009, 9, 26),
                       datetime(2010, 1, 25, 21, 31), "0001193125-10-012091 FY2009Q4", "USD", basis="exact")
    rule = RuleStatus("sales_collapse", "kill_switch", RuleState.FIRING, True, inputs=(value,))
    (line,) = input_lines(rule, {})
    assert line.published == PUBLISHED
    assert PUBLISHED in input_text(line)
    assert PUBLISHED in input_line(line)


def test_undated_feed_entry_is_known_at_the_feeds_last_modified(http_server) -> None:
    from fakes.http_server import Reply

    from signalflow.settings import Settings
    from signalflow.sources.http import HttpClient
    from signalflow.sources.news import FeedConfig, NewsSource

    feed = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Acme signs 500 MW power purchase agreement with Google</title><guid>u-1</guid></item>
</channel></rss>"""
    http_server.routes["/f"] = Reply(200, feed, {"Content-Type": "application/rss+xml",
                                                "Last-Modified": "Sun, 09 Mar 2025 06:15:00 GMT"})
    now = datetime(2025, 3, 10, 7, 45)
    settings = Settings(feeds=[FeedConfig(name="f", url=http_server.url + "/f")])
    source = NewsSource(settings, http=HttpClient("news", retries=0, sleep=lambda s: None), clock=lambda: now)
    batch = source.collect([], {})
    assert [e.published for e in batch.events] == [datetime(2025, 3, 9, 6, 15)]
    assert {o.known_at_basis for o in batch.observations} <= {KnownAtBasis.EXACT}
