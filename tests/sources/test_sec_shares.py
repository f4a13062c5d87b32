"""The cover-page share count (dei:EntityCommonStockSharesOutstanding) from imported
companyfacts files: the real Apple and Vertiv files in ../shared/data/sec.

Values, cover dates, filing dates and accessions below were read in those files, and the
acceptance times in Apple's submissions file beside its companyfacts."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.series import SeriesKind
from signalflow.sources.sec import SecSource
from signalflow.sources.sec_facts import parse_source_ref
from signalflow.store import Store

FILES = {
    "AAPL": "qihuizzz_sec-xbrl-reports/AAPL_companyfacts_CIK0000320193.json",
    "VRT": "sclaessens_market-scanner/VRT_companyfacts_wrapped.json",
}

# (ticker, cover date, shares, known: the acceptance (Apple, from its submissions file) or,
# with no submissions file (Vertiv), the end of the filing day in New York, accession)
STATED = [
    ("AAPL", "2024-10-18", 15_115_823_000, "2024-11-01T10:01:36", "0000320193-24-000123"),  # 10-K FY2024
    ("AAPL", "2025-01-17", 15_022_073_000, "2025-01-31T11:01:27", "0000320193-25-000008"),  # 10-Q
    ("AAPL", "2025-10-17", 14_776_353_000, "2025-10-31T10:01:26", "0000320193-25-000079"),  # 10-K FY2025
    ("VRT", "2025-02-10", 380_775_581, "2025-02-19T05:00", "0001628280-25-005905"),  # 10-K FY2024, filed 02-18
    ("VRT", "2025-07-28", 381_866_664, "2025-07-31T04:00", "0001674101-25-000008"),  # 10-Q, filed 07-30
]
SUBMISSIONS = {"AAPL": "qihuizzz_sec-xbrl-reports/AAPL_submissions_CIK0000320193.json"}


def _published(ticker: str, shared_data: Path, filed: str, accn: str) -> datetime:
    """When a filing became public: its acceptanceDateTime in the company's submissions file,
    else the end of its filing day in New York."""
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    if ticker in SUBMISSIONS:
        recent = json.loads((shared_data / "sec" / SUBMISSIONS[ticker]).read_text())["filings"]["recent"]
        accepted = dict(zip(recent["accessionNumber"], recent["acceptanceDateTime"]))
        if accn in accepted:
            return datetime.fromisoformat(accepted[accn].replace("Z", "+00:00")).replace(tzinfo=None)
    day = date.fromisoformat(filed) + timedelta(days=1)
    local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@pytest.mark.parametrize("ticker, cover, shares, known, accn", STATED)
def test_import_yields_the_share_count_of_each_cover_page(
    shared_data: Path, settings, ticker: str, cover: str, shares: int, known: str, accn: str
) -> None:
    batch = SecSource(settings).import_file(shared_data / "sec" / FILES[ticker])
    key = f"sec.{ticker}.EntityCommonStockSharesOutstanding"
    info = next(s for s in batch.series if s.key == key)
    assert (info.kind, info.unit) == (SeriesKind.INSTANT, "shares")
    found = [o for o in batch.observations if o.series == key and o.period_end == date.fromisoformat(cover)]
    assert [(o.period_start, o.value, o.known_at, o.unit) for o in found] == [
        (date.fromisoformat(cover), shares, datetime.fromisoformat(known), "shares")
    ]
    assert parse_source_ref(found[0].source_ref)[0] == accn


@pytest.mark.parametrize("ticker", sorted(FILES))
def test_every_cover_page_of_the_file_is_one_instant_known_when_filed(
    shared_data: Path, settings, ticker: str
) -> None:
    from signalflow.sources.sec import read_payload

    path = shared_data / "sec" / FILES[ticker]
    rows = read_payload(path)[1]["facts"]["dei"]["EntityCommonStockSharesOutstanding"]["units"]["shares"]
    first_filed: dict[date, tuple[datetime, float]] = {}
    for r in sorted(rows, key=lambda r: r["filed"]):
        published = _published(ticker, shared_data, r["filed"], r["accn"])
        first_filed.setdefault(date.fromisoformat(r["end"]), (published, float(r["val"])))
    batch = SecSource(settings).import_file(path)
    key = f"sec.{ticker}.EntityCommonStockSharesOutstanding"
    firsts: dict[date, tuple[datetime, float]] = {}
    for o in sorted((o for o in batch.observations if o.series == key), key=lambda o: o.known_at):
        firsts.setdefault(o.period_end, (o.known_at, o.value))
    assert firsts == first_filed


def test_signalflow_import_stores_the_share_count_point_in_time(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'shares.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["import", str(shared_data / "sec" / FILES["AAPL"]), "--json"])
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert "sec.AAPL.EntityCommonStockSharesOutstanding" in reports[0]["series"]
    store = Store.open(url)
    try:
        key = "sec.AAPL.EntityCommonStockSharesOutstanding"
        before = store.as_of(key, datetime(2024, 10, 31))
        after = store.as_of(key, datetime(2024, 11, 1, 10, 2))  # accepted 2024-11-01T10:01:36Z
        assert before["period_end"].max() == datetime(2024, 7, 19)
        last = after.sort_values("period_end").iloc[-1]
        assert (last["period_end"], last["value"]) == (datetime(2024, 10, 18), 15_115_823_000)
        assert store.series_info(key).unit == "shares"
    finally:
        store.close()
