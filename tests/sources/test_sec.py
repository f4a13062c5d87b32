"""SecSource over real HTTP (the local server), its checks, sniffing and imports."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from fakes.clock import FakeClock
from signalflow.errors import ConfigError
from signalflow.series import KnownAtBasis
from signalflow.sources.http import RateLimiter
from signalflow.sources.sec import SecSource, shared_limiter
from signalflow.sources.sec_calendar import FilingStatus, expect_next

CIK = 1674101
FACTS_PATH = f"/api/xbrl/companyfacts/CIK{CIK:010d}.json"
SUBS_PATH = f"/submissions/CIK{CIK:010d}.json"
TICKERS = {"0": {"cik_str": CIK, "ticker": "VRT", "title": "Vertiv Holdings Co"}}


def _fact(start, end, val, accn, filed, form="10-Q"):
    return {"start": start, "end": end, "val": val, "accn": accn, "filed": filed, "form": form, "fy": 2025, "fp": "Q2"}


FACTS = {
    "cik": CIK,
    "entityName": "Vertiv Holdings Co",
    "facts": {
        "us-gaap": {
            "PaymentsToAcquirePropertyPlantAndEquipment": {
                "label": "Payments to Acquire Property, Plant, and Equipment",
                "units": {
                    "USD": [
                        _fact("2025-01-01", "2025-03-31", 36_500_000, "0001628280-25-019372", "2025-04-23"),
                        _fact("2025-01-01", "2025-06-30", 81_500_000, "0001674101-25-000008", "2025-07-30"),
                    ]
                },
            }
        }
    },
}
SUBMISSIONS = {
    "cik": f"{CIK:010d}",
    "name": "Vertiv Holdings Co",
    "tickers": ["VRT"],
    "fiscalYearEnd": "1231",
    "filings": {
        "recent": {
            "form": ["10-Q", "8-K", "10-Q", "10-K"],
            "reportDate": ["2025-06-30", "2025-06-02", "2025-03-31", "2024-12-31"],
            "filingDate": ["2025-07-30", "2025-06-03", "2025-04-23", "2025-02-18"],
            "accessionNumber": ["0001674101-25-000008", "a-8k", "0001628280-25-019372", "0001628280-25-005905"],
        }
    },
}


@pytest.fixture
def sec_settings(settings, http_server, tmp_path: Path):
    return settings.model_copy(
        update={
            "sec_user_agent": "Test Person test@example.com",
            "sec_base_url": http_server.url,
            "sec_tickers_url": f"{http_server.url}/files/company_tickers.json",
            "data_dir": tmp_path / "cache",
        }
    )


def _serve(http_server, facts_etag: str = '"v1"') -> None:
    from fakes.http_server import Reply

    http_server.routes["/files/company_tickers.json"] = Reply(200, TICKERS)

    def facts(request):
        if request.headers.get("if-none-match") == facts_etag:
            return Reply(304, b"", {"ETag": facts_etag})
        body = gzip.compress(json.dumps(FACTS).encode())
        return Reply(200, body, {"ETag": facts_etag, "Content-Encoding": "gzip", "Content-Type": "application/json"})

    http_server.routes[FACTS_PATH] = facts
    http_server.routes[SUBS_PATH] = Reply(200, SUBMISSIONS, {"Last-Modified": "Wed, 30 Jul 2025 10:00:00 GMT"})


def test_collection_refuses_to_start_without_a_user_agent(settings) -> None:
    with pytest.raises(ConfigError, match="SIGNALFLOW_SEC_USER_AGENT"):
        SecSource(settings).collect(["sec.VRT.capex"], {})


def test_collect_sends_user_agent_and_remembers_validators(sec_settings, http_server) -> None:
    _serve(http_server)
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock()))
    state: dict[str, str] = {}
    batch = source.collect(["sec.VRT.capex", "sec.VRT.PaymentsToAcquirePropertyPlantAndEquipment"], state)
    capex = [(o.period_end, o.value) for o in batch.observations if o.series == "sec.VRT.capex"]
    assert capex == [(date(2025, 3, 31), 36_500_000.0), (date(2025, 6, 30), 45_000_000.0)]
    assert any(o.series == "sec.VRT.PaymentsToAcquirePropertyPlantAndEquipment" for o in batch.observations)
    assert any(o.series == "sec.VRT.next_filing" for o in batch.observations)
    assert {r.headers["user-agent"] for r in http_server.requests} == {"Test Person test@example.com"}
    assert all("gzip" in r.headers["accept-encoding"] for r in http_server.requests)
    assert state[f"facts.{CIK:010d}.etag"] == '"v1"'
    assert state[f"subs.{CIK:010d}.last_modified"].startswith("Wed, 30 Jul 2025")
    assert (sec_settings.data_dir / "sec_company_tickers.json").exists()

    http_server.requests.clear()
    again = source.collect(["sec.VRT.capex"], state)
    assert not any(o.series == "sec.VRT.capex" for o in again.observations)  # 304: nothing new
    facts_requests = [r for r in http_server.requests if r.path == FACTS_PATH]
    assert facts_requests[0].headers["if-none-match"] == '"v1"'
    assert not any(r.path.endswith("company_tickers.json") for r in http_server.requests)  # cached today


def test_a_newly_referenced_concept_fetches_the_full_payload(sec_settings, http_server) -> None:
    _serve(http_server)
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock()))
    state: dict[str, str] = {}
    source.collect(["sec.VRT.capex"], state)
    batch = source.collect(["sec.VRT.PaymentsToAcquirePropertyPlantAndEquipment"], state)
    assert any(o.series == "sec.VRT.PaymentsToAcquirePropertyPlantAndEquipment" for o in batch.observations)


def test_429_with_retry_after_is_retried(sec_settings, http_server) -> None:
    from fakes.http_server import Reply

    _serve(http_server)
    http_server.routes[FACTS_PATH] = [Reply(429, "slow down", {"Retry-After": "3"}), Reply(200, FACTS)]
    clock = FakeClock()
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    batch = source.collect(["sec.VRT.capex"], {})
    assert 3.0 in clock.sleeps
    assert any(o.series == "sec.VRT.capex" for o in batch.observations)


def test_rate_limit_is_shared_by_every_instance(sec_settings, http_server) -> None:
    _serve(http_server)
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    a = SecSource(sec_settings, limiter=limiter)
    b = SecSource(sec_settings, limiter=limiter)
    a.collect(["sec.VRT.capex"], {})  # tickers, facts, submissions
    b.collect(["sec.VRT.capex"], {})  # facts, submissions (tickers cached)
    assert len(http_server.requests) == 5
    assert clock.sleeps == [0.5] * 4 and clock.now == 2.0
    assert shared_limiter(7.0) is shared_limiter(7.0)


def test_unknown_ticker_is_a_warning(sec_settings, http_server) -> None:
    _serve(http_server)
    batch = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock())).collect(
        ["sec.VRT.capex", "sec.NOPE.capex"], {}
    )
    assert any("NOPE" in w for w in batch.warnings)
    assert any(o.series == "sec.VRT.capex" for o in batch.observations)


@pytest.mark.parametrize(
    "ref, problem",
    [
        ("sec.AAPL.capex", None),
        ("sec.AAPL.PaymentsToAcquirePropertyPlantAndEquipment", None),
        ("sec.TSM.revenue.USD", None),
        ("sec.AAPL.next_filing", None),
        ("sec.AAPL.revnue", "did you mean 'revenue'?"),
        ("sec.AAPL.capx", "did you mean 'capex'?"),
        ("sec.AAPL", "sec.TICKER.metric"),
        ("sec.aa$pl.capex", "not a ticker"),
    ],
)
def test_check_ref(settings, ref: str, problem: str | None) -> None:
    found = SecSource(settings).check_ref(ref)
    assert (found is None) if problem is None else (problem in found)


def test_check_ref_knows_tickers_once_the_map_is_cached(settings, shared_data: Path) -> None:
    source = SecSource(settings)
    source.import_file(shared_data / "sec/qihuizzz_sec-xbrl-reports/company_tickers.json")
    assert source.check_ref("sec.NVDA.revenue") is None
    assert "unknown ticker NVDAX" in source.check_ref("sec.NVDAX.revenue")


def test_sniff_recognises_every_sec_file_and_nothing_else(settings, shared_data: Path) -> None:
    source = SecSource(settings)
    sec_files = sorted((shared_data / "sec").rglob("*.json"))
    sec_files = [p for p in sec_files if p.name != "snapshot_metadata.json"]
    assert len(sec_files) == 10
    for path in sec_files:
        assert source.sniff(path, path.read_bytes()[:65536]), path
    other = shared_data / "fred/chzanotti_liquidez-monitor/latest/DGS10.json"
    assert not source.sniff(other, other.read_bytes()[:65536])
    assert not source.sniff(shared_data / "sec/sclaessens_market-scanner/snapshot_metadata.json", b'{"run_id": 1}')


@pytest.mark.parametrize(
    "name, ticker, next_form, next_period_end",
    [
        ("AAPL_submissions_CIK0000320193.json", "AAPL", "10-Q", date(2025, 12, 27)),
        ("MSFT_submissions_CIK0000789019.json", "MSFT", "10-Q", date(2025, 12, 31)),
        ("NVDA_submissions_CIK0001045810.json", "NVDA", "10-K", date(2026, 1, 25)),
    ],
)
def test_submissions_import_gives_the_filing_calendar(
    settings, shared_data: Path, name, ticker, next_form, next_period_end
) -> None:
    path = shared_data / "sec/qihuizzz_sec-xbrl-reports" / name
    batch = SecSource(settings).import_file(path)
    [obs] = batch.observations
    assert obs.series == f"sec.{ticker}.next_filing"
    assert obs.period_start == next_period_end and obs.source_ref.endswith(next_form)
    expectation = expect_next(json.loads(path.read_bytes()))
    assert obs.period_end == expectation.expected_by
    assert (expectation.expected_by - next_period_end).days == obs.value
    # The lag is the company's own median for that form, so it is a plausible SEC lag.
    assert 15 <= obs.value <= 90
    assert obs.known_at.date() == expectation.last.filed < next_period_end


def test_filing_status_tells_waiting_from_overdue() -> None:
    expectation = expect_next(SUBMISSIONS)
    assert expectation.next_form == "10-Q" and expectation.next_period_end == date(2025, 9, 30)
    # Lags: 10-Q 2025-06-30 -> 07-30 is 30 days, 2025-03-31 -> 04-23 is 23 days: median 26.5.
    assert expectation.lag_days == round((30 + 23) / 2)
    assert expectation.status(date(2025, 10, 1)) is FilingStatus.WAITING
    assert expectation.status(expectation.expected_by + timedelta(days=1)) is FilingStatus.DUE
    assert expectation.status(date(2026, 1, 1)) is FilingStatus.OVERDUE


def test_import_uses_the_wrapper_ticker_and_rejects_other_json(settings, tmp_path: Path) -> None:
    wrapped = tmp_path / "whatever.json"
    wrapped.write_text(json.dumps({"metadata": {"ticker": "vrt"}, "raw_payload": FACTS}))
    batch = SecSource(settings).import_file(wrapped)
    assert {s.key for s in batch.series} == {"sec.VRT.capex"}
    plain = tmp_path / "CIK0001674101.json"
    plain.write_text(json.dumps(FACTS))
    assert {s.key for s in SecSource(settings).import_file(plain).series} == {"sec.CIK0001674101.capex"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"facts": [1,\n 2')
    with pytest.raises(Exception, match=r"bad\.json:2"):
        SecSource(settings).import_file(bad)


def test_collected_facts_are_known_from_their_acceptance(sec_settings, http_server) -> None:
    """The recent list and an older page of submissions give acceptanceDateTime; a page that
    fails leaves its facts at the end of their filing day, with a warning."""
    from fakes.http_server import Reply

    _acceptance_routes(http_server)
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock()), now=lambda: 1e9)
    source.clock = lambda: datetime(2025, 12, 1)
    batch = source.collect(["sec.VRT.capex"], {})
    capex = {o.period_end: (o.known_at, o.known_at_basis) for o in batch.observations if o.series == "sec.VRT.capex"}
    assert capex == {
        date(2025, 3, 31): (datetime(2025, 4, 23, 10, 30, 5), KnownAtBasis.EXACT),
        date(2025, 6, 30): (datetime(2025, 7, 29, 22, 1), KnownAtBasis.EXACT),  # 18:01 ET, filed the next day
    }

    http_server.routes["/submissions/CIK0001674101-submissions-001.json"] = Reply(404, "gone")
    sec_settings.data_dir.joinpath("sec_filings", f"CIK{CIK:010d}.json").unlink()
    batch = source.collect(["sec.VRT.capex"], {})
    capex = {o.period_end: (o.known_at, o.known_at_basis) for o in batch.observations if o.series == "sec.VRT.capex"}
    assert capex[date(2025, 3, 31)] == (datetime(2025, 4, 24, 4), KnownAtBasis.END_OF_DAY)
    assert any("submissions-001" in w for w in batch.warnings)


def _acceptance_routes(http_server) -> None:
    """Submissions whose recent list accepts the Q2 10-Q, an older page the Q1 one."""
    from fakes.http_server import Reply

    _serve(http_server)
    recent = dict(SUBMISSIONS["filings"]["recent"])
    recent["acceptanceDateTime"] = ["2025-07-29T22:01:00.000Z", "2025-06-03T20:00:00.000Z", "", ""]
    older = {"accessionNumber": ["0001628280-25-019372"], "acceptanceDateTime": ["2025-04-23T10:30:05.000Z"]}
    http_server.routes[SUBS_PATH] = Reply(
        200, {**SUBMISSIONS, "filings": {"recent": recent, "files": [{"name": "CIK0001674101-submissions-001.json"}]}}
    )
    http_server.routes["/submissions/CIK0001674101-submissions-001.json"] = Reply(200, older)


ACCEPTED = {
    date(2025, 3, 31): (datetime(2025, 4, 23, 10, 30, 5), KnownAtBasis.EXACT),  # older page
    date(2025, 6, 30): (datetime(2025, 7, 29, 22, 1), KnownAtBasis.EXACT),  # recent list
}


def test_a_collection_keeps_each_acceptance_time_once(sec_settings, http_server) -> None:
    """Every filing's acceptance time is kept in one record per company, sec_filings/, the older
    page's with it; nothing is written to the sec_accepted/ of earlier versions."""
    _acceptance_routes(http_server)
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock()), now=lambda: 1e9)
    source.collect(["sec.VRT.capex"], {})
    data_dir = sec_settings.data_dir
    assert sorted(p.name for p in data_dir.iterdir()) == ["sec_company_tickers.json", "sec_filings"]
    rows = json.loads((data_dir / "sec_filings" / f"CIK{CIK:010d}.json").read_text())
    assert [(r["accession"], r["form"], r["accepted"]) for r in rows] == [
        ("0001628280-25-019372", "", "2025-04-23T10:30:05"),
        ("0001674101-25-000008", "10-Q", "2025-07-29T22:01:00"),
        ("a-8k", "8-K", "2025-06-03T20:00:00"),
    ]
    facts = data_dir.parent / "VRT_companyfacts.json"
    facts.write_text(json.dumps(FACTS))
    batch = source.import_file(facts)
    assert {o.period_end: (o.known_at, o.known_at_basis) for o in batch.observations if o.series == "sec.VRT.capex"} == ACCEPTED


def test_a_data_dir_of_the_two_place_layout_is_read_then_folded_into_one(sec_settings, http_server) -> None:
    """Earlier versions kept acceptance times twice: sec_accepted/ (accession -> instant, older
    pages included) and sec_filings/ (the recent list's filings). Both are read; the next write
    folds sec_accepted/ into sec_filings/ and removes it, losing nothing, and doing it again
    changes nothing."""
    data_dir = sec_settings.data_dir
    (data_dir / "sec_accepted").mkdir(parents=True)
    (data_dir / "sec_filings").mkdir()
    legacy = data_dir / "sec_accepted" / f"CIK{CIK:010d}.json"
    # The files as the earlier version wrote them after collecting with the older page.
    legacy.write_text(
        '{\n"0001628280-25-019372": "2025-04-23T10:30:05",\n"0001674101-25-000008": "2025-07-29T22:01:00",\n'
        '"a-8k": "2025-06-03T20:00:00"\n}'
    )
    filings = data_dir / "sec_filings" / f"CIK{CIK:010d}.json"
    filings.write_text(json.dumps([
        {"accession": "0001674101-25-000008", "form": "10-Q", "report_date": "2025-06-30",
         "accepted": "2025-07-29T22:01:00", "primary_document": "vrt-20250630.htm"},
        {"accession": "a-8k", "form": "8-K", "report_date": "2025-06-02",
         "accepted": "2025-06-03T20:00:00", "primary_document": ""},
    ], indent=0))
    facts = data_dir.parent / "VRT_companyfacts.json"
    facts.write_text(json.dumps(FACTS))
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=FakeClock()), now=lambda: 1e9)

    def capex() -> dict:
        batch = source.import_file(facts)
        return {o.period_end: (o.known_at, o.known_at_basis) for o in batch.observations if o.series == "sec.VRT.capex"}

    assert capex() == ACCEPTED
    assert source.filings.records(CIK)[1].primary_document == "vrt-20250630.htm"

    # Submissions unchanged since (304): the kept times serve the collected facts.
    from fakes.http_server import Reply

    _serve(http_server)
    http_server.routes[SUBS_PATH] = Reply(304, b"")
    batch = source.collect(["sec.VRT.capex"], {})
    assert {o.period_end: (o.known_at, o.known_at_basis) for o in batch.observations if o.series == "sec.VRT.capex"} == ACCEPTED
    assert legacy.exists()  # nothing written yet

    _acceptance_routes(http_server)
    http_server.routes["/submissions/CIK0001674101-submissions-001.json"] = Reply(404, "gone")
    source.collect(["sec.VRT.capex"], {})  # the next write: the older page is gone, its time is not
    assert not (data_dir / "sec_accepted").exists()
    folded = filings.read_text()
    assert capex() == ACCEPTED
    assert [(r.accession, r.form, r.primary_document) for r in source.filings.records(CIK)] == [
        ("0001628280-25-019372", "", ""),
        ("0001674101-25-000008", "10-Q", ""),  # the newer submissions gave no primaryDocument
        ("a-8k", "8-K", ""),
    ]
    source.collect(["sec.VRT.capex"], {})
    assert filings.read_text() == folded
