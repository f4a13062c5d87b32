"""Collection reads each recent filing's XBRL from the EDGAR archive: a local HTTP server
serves NVIDIA's real submissions and real filing documents."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from fakes.clock import FakeClock
from signalflow.sources.http import RateLimiter
from signalflow.sources.sec import SecSource
from signalflow.sources.sec_archive import archives_base, instance_name, to_read
from signalflow.sources.sec_accepted import FilingRecord

CIK = 1045810
SUBMISSIONS = "qihuizzz_sec-xbrl-reports/NVDA_submissions_CIK0001045810.json"
# accession -> (documents listed in its index.json, the file served for the XBRL document)
FILINGS = {
    "0001045810-24-000029": (["nvda-20240128.htm", "nvda-20240128_htm.xml", "nvda-20240128.xsd", "R2.htm"], "NVDA/nvda-20240221_htm.xml"),
    "0001045810-25-000023": (["nvda-20250126.htm", "R2.htm", "Financial_Report.xlsx"], "NVDA/nvda-10-k-2025-02-26.html"),
    "0001045810-25-000209": (["nvda-20250727.htm", "R2.htm"], "NVDA/nvda-10-q-2025-08-27.html"),
}


@pytest.fixture
def nvda(shared_data: Path, http_server, settings, tmp_path: Path):
    from fakes.http_server import Reply

    xbrl = shared_data / "sec" / "xbrl"
    if not xbrl.is_dir():
        pytest.skip(f"filing XBRL not found at {xbrl}")
    submissions = json.loads((shared_data / "sec" / SUBMISSIONS).read_text())
    http_server.routes["/files/company_tickers.json"] = Reply(200, {"0": {"cik_str": CIK, "ticker": "NVDA", "title": "NVIDIA CORP"}})
    http_server.routes[f"/api/xbrl/companyfacts/CIK{CIK:010d}.json"] = Reply(200, {"cik": CIK, "entityName": "NVIDIA CORP", "facts": {}})
    http_server.routes[f"/submissions/CIK{CIK:010d}.json"] = Reply(200, submissions)
    for accession, (names, served) in FILINGS.items():
        folder = f"/Archives/edgar/data/{CIK}/{accession.replace('-', '')}"
        http_server.routes[f"{folder}/index.json"] = Reply(200, {"directory": {"item": [{"name": n} for n in names]}})
        xbrl_name = next(n for n in names if n.endswith("_htm.xml")) if "_htm.xml" in served else names[0]
        http_server.routes[f"{folder}/{xbrl_name}"] = Reply(200, (xbrl / served).read_bytes())
    recent = submissions["filings"]["recent"]
    accepted = {
        a: datetime.fromisoformat(t[:19]) for a, t in zip(recent["accessionNumber"], recent["acceptanceDateTime"])
    }
    sec_settings = settings.model_copy(
        update={
            "sec_user_agent": "Test Person test@example.com",
            "sec_base_url": http_server.url,
            "sec_tickers_url": f"{http_server.url}/files/company_tickers.json",
            "data_dir": tmp_path / "cache",
        }
    )
    clock = FakeClock()
    source = SecSource(sec_settings, limiter=RateLimiter(10, clock=clock, sleep=clock.sleep), sleep=clock.sleep)
    return source, accepted, clock


def test_collection_reads_each_recent_filing_once_known_at_its_acceptance(nvda, http_server) -> None:
    source, accepted, clock = nvda
    state: dict[str, str] = {}
    batch = source.collect(["sec.NVDA.top_customer_share", "sec.NVDA.rpo_within_12m"], state)
    top = sorted((o.known_at, o.value, o.source_ref) for o in batch.observations if o.series == "sec.NVDA.top_customer_share")
    assert top == [
        (accepted["0001045810-24-000029"], 0.13, "0001045810-24-000029 FY2024"),
        (accepted["0001045810-25-000023"], 0.12, "0001045810-25-000023 FY2025"),
        (accepted["0001045810-25-000209"], 0.23, "0001045810-25-000209 FY2026Q2"),
    ]
    rpo = sorted((o.period_end, o.value) for o in batch.observations if o.series == "sec.NVDA.rpo_within_12m")
    assert [v for _, v in rpo] == [0.40, 0.39, 0.40]
    # The eight latest 10-Q/10-K were asked for; the five this server lacks are warnings.
    index_requests = [r.path for r in http_server.requests if r.path.endswith("/index.json")]
    archive_warnings = [w for w in batch.warnings if "/Archives/" in w and "older submissions page" not in w]
    assert len(index_requests) == 8 and len(archive_warnings) == 5
    assert all(r.headers["user-agent"] == "Test Person test@example.com" for r in http_server.requests)
    # Fair access: every request went through the shared limiter, at most 10 a second.
    assert clock.now >= (len(http_server.requests) - 1) / 10
    # Nothing is read twice.
    again = source.collect(["sec.NVDA.top_customer_share"], state)
    assert [r.path for r in http_server.requests if r.path.endswith("/index.json")] == index_requests
    assert not any(o.series.startswith("sec.NVDA.top") for o in again.observations)


def test_no_filing_is_fetched_unless_a_thesis_reads_one(nvda, http_server) -> None:
    source, _, _ = nvda
    source.collect(["sec.NVDA.revenue"], {})
    assert not any(r.path.startswith("/Archives/") for r in http_server.requests)


def test_archive_host_and_instance_choice() -> None:
    assert archives_base("https://data.sec.gov") == "https://www.sec.gov"
    assert archives_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    listing = {"directory": {"item": [{"name": n} for n in ("a-20250727.htm", "a-20250727_lab.xml", "a-20250727_htm.xml")]}}
    assert instance_name(listing, "a-20250727.htm") == "a-20250727_htm.xml"
    classic = {"directory": {"item": [{"name": n} for n in ("a-20120729.xml", "a-20120729_lab.xml", "a.htm")]}}
    assert instance_name(classic, "a.htm") == "a-20120729.xml"
    inline_only = {"directory": {"item": [{"name": n} for n in ("R1.htm", "a-20250727.htm")]}}
    assert instance_name(inline_only, "a-20250727.htm") == "a-20250727.htm"
    assert instance_name({"directory": {"item": [{"name": "R1.htm"}]}}, "a.htm") is None


def test_to_read_takes_the_latest_periodic_filings_not_read() -> None:
    def record(n: int, form: str) -> FilingRecord:
        return FilingRecord(f"0000000001-25-{n:06d}", form, "2025-01-01", datetime(2025, 1, n))

    records = [record(1, "10-K"), record(2, "8-K"), record(3, "10-Q"), record(4, "10-Q"), record(5, "4")]
    assert [r.accession[-1] for r in to_read(records, set(), limit=2)] == ["3", "4"]
    assert [r.accession[-1] for r in to_read(records, {"0000000001-25-000004"}, limit=3)] == ["1", "3"]


def test_a_server_failure_keeps_what_was_read_and_retries_the_rest_next_time(nvda, http_server) -> None:
    from fakes.http_server import Reply

    source, _, _ = nvda
    failing = f"/Archives/edgar/data/{CIK}/000104581025000023/index.json"
    served = http_server.routes[failing]
    http_server.routes[failing] = Reply(503, "busy")
    state: dict[str, str] = {}
    first = source.collect(["sec.NVDA.top_customer_share"], state)
    def refs(batch) -> set[str]:
        return {o.source_ref.split()[0] for o in batch.observations if o.series == "sec.NVDA.top_customer_share"}

    assert refs(first) == {"0001045810-24-000029"}
    assert any("0001045810-25-000023" in w and "503" in w for w in first.warnings)
    assert not any("000104581025000209" in r.path for r in http_server.requests)
    http_server.routes[failing] = served
    before = len(http_server.requests)
    second = source.collect(["sec.NVDA.top_customer_share"], state)
    assert refs(second) == {"0001045810-25-000023", "0001045810-25-000209"}
    assert not any("000104581024000029" in r.path for r in http_server.requests[before:])


BROKEN_DOCUMENT = [
    pytest.param(b'<?xml version="1.0"?><xbrl><context id="c1"><period>', "not well-formed XML", id="cut-off XML"),
    pytest.param(b"<html><body>Page moved</body></html>", "no XBRL facts found", id="no XBRL in it"),
]
LATEST = "0001045810-25-000209"
LATEST_DOCUMENT = f"/Archives/edgar/data/{CIK}/000104581025000209/nvda-20250727.htm"


def _latest(batch) -> list:
    return [o for o in batch.observations if o.source_ref.startswith(LATEST)]


@pytest.mark.parametrize("body, problem", BROKEN_DOCUMENT)
def test_an_unparseable_filing_is_tried_again_then_given_up_once(nvda, http_server, body, problem) -> None:
    from fakes.http_server import Reply

    source, _, _ = nvda
    http_server.routes[LATEST_DOCUMENT] = Reply(200, body)
    state: dict[str, str] = {}
    refs = ["sec.NVDA.top_customer_share"]
    for attempt in (1, 2):
        batch = source.collect(refs, state)
        assert not _latest(batch) and not batch.incomplete
        failures = [w for w in batch.warnings if LATEST in w]
        assert len(failures) == 1 and LATEST_DOCUMENT in failures[0] and problem in failures[0]
        assert f"attempt {attempt} of 3" in failures[0]
        assert state[f"xbrl.{CIK:010d}.failed"] == f"{LATEST}={attempt}"
        assert LATEST not in state[f"xbrl.{CIK:010d}.read"]

    given_up = source.collect(refs, state)
    assert not _latest(given_up) and not any(LATEST in w for w in given_up.warnings)
    assert len(given_up.incomplete) == 1
    assert LATEST in given_up.incomplete[0] and LATEST_DOCUMENT in given_up.incomplete[0]
    assert "given up after 3 attempts" in given_up.incomplete[0] and problem in given_up.incomplete[0]
    assert state[f"xbrl.{CIK:010d}.failed"] == "" and LATEST in state[f"xbrl.{CIK:010d}.read"]

    asked = len([r for r in http_server.requests if r.path == LATEST_DOCUMENT])
    after = source.collect(refs, state)
    assert not after.incomplete and not any(LATEST in w for w in after.warnings)
    assert len([r for r in http_server.requests if r.path == LATEST_DOCUMENT]) == asked == 3


LATEST_INDEX = f"/Archives/edgar/data/{CIK}/000104581025000209/index.json"


@pytest.mark.parametrize(
    "index, problem",
    [([{"name": "nvda-20250727.htm"}], "got a JSON list"), ({"message": "Not Found"}, "got {'message': 'Not Found'}")],
    ids=["a list", "an error object"],
)
def test_a_filing_index_of_the_wrong_shape_is_an_attempt_not_a_crash_or_a_read(nvda, http_server, index, problem) -> None:
    # A list used to end the whole SEC run (AttributeError) every run; an error object used to
    # mark the filing read at once, as if it had no XBRL document.
    from fakes.http_server import Reply

    source, _, _ = nvda
    http_server.routes[LATEST_INDEX] = Reply(200, index)
    state: dict[str, str] = {}
    batch = source.collect(["sec.NVDA.top_customer_share"], state)
    (failure,) = [w for w in batch.warnings if LATEST in w]
    assert "attempt 1 of 3" in failure and problem in failure and LATEST_INDEX in failure
    assert LATEST not in state[f"xbrl.{CIK:010d}.read"]
    assert [o for o in batch.observations if not o.source_ref.startswith(LATEST)]  # the other filings are read


def test_a_filing_readable_on_its_second_attempt_is_stored_whole(nvda, http_server, shared_data: Path) -> None:
    from fakes.http_server import Reply

    source, accepted, _ = nvda
    http_server.routes[LATEST_DOCUMENT] = Reply(200, BROKEN_DOCUMENT[0].values[0])
    state: dict[str, str] = {}
    first = source.collect(["sec.NVDA.top_customer_share"], state)
    assert not _latest(first) and state[f"xbrl.{CIK:010d}.failed"] == f"{LATEST}=1"

    http_server.routes[LATEST_DOCUMENT] = Reply(200, (shared_data / "sec/xbrl/NVDA/nvda-10-q-2025-08-27.html").read_bytes())
    second = source.collect(["sec.NVDA.top_customer_share"], state)
    assert [(o.known_at, o.value) for o in _latest(second) if o.series == "sec.NVDA.top_customer_share"] == [
        (accepted[LATEST], 0.23)
    ]
    assert not second.incomplete and not any(LATEST in w for w in second.warnings)
    assert state[f"xbrl.{CIK:010d}.failed"] == "" and LATEST in state[f"xbrl.{CIK:010d}.read"]
