"""An SEC reply that is no JSON (an HTML error page, an empty or cut-off body) or JSON of the
wrong shape (an error object, a list) keeps no validators, and neither does a company whose collection failed after its facts were read:
a 304 must never stand for data that was not stored. Over the local server."""

from __future__ import annotations

import json

import pytest

from fakes.clock import FakeClock
from fakes.http_server import Reply, Request
from signalflow.errors import PayloadError
from signalflow.sources.http import RateLimiter
from signalflow.sources.sec import SecSource

from tests.sources.test_sec import CIK, FACTS, FACTS_PATH, SUBMISSIONS, SUBS_PATH, TICKERS, sec_settings  # noqa: F401

NVDA = 1045810
TICKERS_PATH = "/files/company_tickers.json"
BROKEN = [
    pytest.param(b"<html><body>Service Unavailable</body></html>", "invalid JSON: Expecting value at line 1, column 1",
                 id="HTML error page"),
    pytest.param(b"", "invalid JSON: Expecting value at line 1, column 1", id="empty body"),
    pytest.param(b'{"cik": 1674101,\n "facts": {"us-gaap": ', "at line 2, column 23", id="cut-off JSON"),
    pytest.param(b"[]", "a JSON list", id="JSON list"),
]  # fmt: skip


class Served:
    """One body at a time under one ETag, and 304 when the client presents it."""

    def __init__(self, body: bytes | dict, etag: str) -> None:
        self.serve(body, etag)

    def serve(self, body: bytes | dict, etag: str) -> None:
        self.body, self.etag = body, etag

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == self.etag:
            return Reply(304, b"", {"ETag": self.etag})
        return Reply(200, self.body, {"ETag": self.etag, "Content-Type": "application/json"})


def source(settings) -> SecSource:
    return SecSource(settings, limiter=RateLimiter(100, clock=FakeClock()))


def last(http_server, path: str) -> Request:
    return [r for r in http_server.requests if r.path == path][-1]


@pytest.mark.parametrize("body, problem", BROKEN)
def test_unreadable_companyfacts_are_read_whole_again(sec_settings, http_server, body, problem) -> None:
    facts = Served(FACTS, '"v0"')
    http_server.routes.update({TICKERS_PATH: Reply(200, TICKERS), FACTS_PATH: facts})
    http_server.routes[SUBS_PATH] = Reply(200, SUBMISSIONS)
    state: dict[str, str] = {}
    assert source(sec_settings).collect(["sec.VRT.capex"], state).observations
    assert state[f"facts.{CIK:010d}.etag"] == '"v0"'

    facts.serve(body, '"v1"')  # the body breaks; the server keeps validators for it
    for _ in range(2):
        with pytest.raises(PayloadError) as failed:
            source(sec_settings).collect(["sec.VRT.capex"], state)
        assert FACTS_PATH in str(failed.value) and problem in str(failed.value)
        assert state[f"facts.{CIK:010d}.etag"] == ""
    assert "if-none-match" not in last(http_server, FACTS_PATH).headers

    facts.serve(FACTS, '"v1"')
    fixed = source(sec_settings).collect(["sec.VRT.capex"], state)
    assert len([o for o in fixed.observations if o.series == "sec.VRT.capex"]) == 2
    assert state[f"facts.{CIK:010d}.etag"] == '"v1"'
    again = source(sec_settings).collect(["sec.VRT.capex"], state)
    assert not any(o.series == "sec.VRT.capex" for o in again.observations)  # 304 now
    assert last(http_server, FACTS_PATH).headers["if-none-match"] == '"v1"'


def test_a_company_failing_after_its_facts_keeps_no_facts_validators(sec_settings, http_server) -> None:
    """One company's broken submissions drop its batch, facts included: with the facts' ETag
    kept, the next run would get 304 and the facts would never be stored."""
    nvda_facts = {**FACTS, "cik": NVDA, "entityName": "NVIDIA"}
    http_server.routes.update({
        TICKERS_PATH: Reply(200, {**TICKERS, "1": {"cik_str": NVDA, "ticker": "NVDA", "title": "NVIDIA"}}),
        FACTS_PATH: Served(FACTS, '"vrt"'),
        SUBS_PATH: Served(b"<html>maintenance</html>", '"subs"'),
        f"/api/xbrl/companyfacts/CIK{NVDA:010d}.json": Served(nvda_facts, '"nvda"'),
        f"/submissions/CIK{NVDA:010d}.json": Reply(200, {**SUBMISSIONS, "cik": f"{NVDA:010d}"}),
    })  # fmt: skip
    state: dict[str, str] = {}
    batch = source(sec_settings).collect(["sec.VRT.capex", "sec.NVDA.capex"], state)
    assert {o.series for o in batch.observations} >= {"sec.NVDA.capex"}
    assert not any(o.series.startswith("sec.VRT.") for o in batch.observations)
    assert any(SUBS_PATH in w and "line 1, column 1" in w for w in batch.warnings)
    assert state[f"facts.{NVDA:010d}.etag"] == '"nvda"'
    assert not state.get(f"facts.{CIK:010d}.etag") and not state.get(f"subs.{CIK:010d}.etag")

    http_server.routes[SUBS_PATH] = Served(SUBMISSIONS, '"subs"')
    again = source(sec_settings).collect(["sec.VRT.capex", "sec.NVDA.capex"], state)
    assert "if-none-match" not in last(http_server, FACTS_PATH).headers
    assert len([o for o in again.observations if o.series == "sec.VRT.capex"]) == 2
    assert state[f"facts.{CIK:010d}.etag"] == '"vrt"' and state[f"subs.{CIK:010d}.etag"] == '"subs"'


@pytest.mark.parametrize("body, problem", [*BROKEN, pytest.param(b"{}", "an empty company_tickers map", id="empty map")])
def test_an_unreadable_ticker_map_is_not_cached_nor_its_validators_kept(
    sec_settings, http_server, body, problem
) -> None:
    tickers = Served(body, '"t1"')
    http_server.routes.update({TICKERS_PATH: tickers, FACTS_PATH: Reply(200, FACTS), SUBS_PATH: Reply(200, SUBMISSIONS)})
    state: dict[str, str] = {}
    for _ in range(2):
        with pytest.raises(PayloadError) as failed:
            source(sec_settings).collect(["sec.VRT.capex"], state)
        assert TICKERS_PATH in str(failed.value) and problem in str(failed.value)
        assert "if-none-match" not in last(http_server, TICKERS_PATH).headers
        assert not state.get("tickers.etag")
        assert not (sec_settings.data_dir / "sec_company_tickers.json").exists()

    tickers.serve(TICKERS, '"t1"')
    assert source(sec_settings).collect(["sec.VRT.capex"], state).observations
    assert state["tickers.etag"] == '"t1"'
    cached = json.loads((sec_settings.data_dir / "sec_company_tickers.json").read_bytes())
    assert cached == TICKERS


FACTS_EXPECTED = "expected an object with a 'facts' object, got "
SUBS_EXPECTED = "expected an object with a 'filings.recent' object, got "
WRONG_SHAPE = [
    pytest.param(FACTS_PATH, {"message": "Not Found"}, FACTS_EXPECTED + '{"message": "Not Found"}', id="facts error object"),
    pytest.param(FACTS_PATH, [], FACTS_EXPECTED + "a JSON list", id="facts list"),
    pytest.param(FACTS_PATH, {"cik": CIK, "entityName": "Vertiv"}, FACTS_EXPECTED + '{"cik": 1674101', id="facts without facts"),
    pytest.param(FACTS_PATH, {"cik": CIK, "facts": []}, FACTS_EXPECTED, id="facts not an object"),
    pytest.param(SUBS_PATH, {"message": "Rate exceeded"}, SUBS_EXPECTED + '{"message": "Rate exceeded"}', id="subs error object"),
    pytest.param(SUBS_PATH, [{"form": "10-Q"}], SUBS_EXPECTED + "a JSON list", id="subs list"),
    pytest.param(SUBS_PATH, {"cik": f"{CIK:010d}", "name": "Vertiv"}, SUBS_EXPECTED, id="subs without filings"),
    pytest.param(SUBS_PATH, {"cik": f"{CIK:010d}", "filings": {"files": []}}, SUBS_EXPECTED, id="subs without recent"),
]  # fmt: skip


@pytest.mark.parametrize("path, body, problem", WRONG_SHAPE)
def test_a_reply_of_the_wrong_shape_fails_its_company_and_keeps_no_validators(
    sec_settings, http_server, path, body, problem
) -> None:
    """Valid JSON that is not the payload asked for (an error object, a list) is never read as
    an empty one: only its company fails, by a warning naming the URL and what was expected,
    and its validators are forgotten, so the next request reads the fixed reply whole."""
    resource = "facts" if path == FACTS_PATH else "subs"
    served = {FACTS_PATH: Served(FACTS, '"vrt"'), SUBS_PATH: Served(SUBMISSIONS, '"subs"')}
    http_server.routes.update({
        TICKERS_PATH: Reply(200, {**TICKERS, "1": {"cik_str": NVDA, "ticker": "NVDA", "title": "NVIDIA"}}),
        **served,
        f"/api/xbrl/companyfacts/CIK{NVDA:010d}.json": Reply(200, {**FACTS, "cik": NVDA, "entityName": "NVIDIA"}),
        f"/submissions/CIK{NVDA:010d}.json": Reply(200, {**SUBMISSIONS, "cik": f"{NVDA:010d}"}),
    })  # fmt: skip
    refs = ["sec.VRT.capex", "sec.NVDA.capex"]
    state: dict[str, str] = {}
    source(sec_settings).collect(refs, state)
    assert state[f"{resource}.{CIK:010d}.etag"] == served[path].etag

    served[path].serve(body, '"wrong"')
    batch = source(sec_settings).collect(refs, state)
    assert any(o.series == "sec.NVDA.capex" for o in batch.observations)
    assert not any(o.series.startswith("sec.VRT.") for o in batch.observations)
    assert [w for w in batch.warnings if "VRT" in w or str(CIK) in w] == [
        w for w in batch.warnings if path in w and problem in w
    ] != []
    assert state[f"{resource}.{CIK:010d}.etag"] == ""

    served[path].serve(FACTS if path == FACTS_PATH else SUBMISSIONS, '"wrong"')
    fixed = source(sec_settings).collect(refs, state)
    assert "if-none-match" not in last(http_server, path).headers
    assert any(o.series.startswith("sec.VRT.") for o in fixed.observations)
    assert state[f"{resource}.{CIK:010d}.etag"] == '"wrong"'
    assert not fixed.warnings


def test_a_company_of_the_wrong_shape_alone_fails_the_run(sec_settings, http_server) -> None:
    http_server.routes.update({TICKERS_PATH: Reply(200, TICKERS), FACTS_PATH: Reply(200, {"message": "Not Found"})})
    with pytest.raises(PayloadError) as failed:
        source(sec_settings).collect(["sec.VRT.capex"], {})
    assert FACTS_PATH in str(failed.value) and FACTS_EXPECTED in str(failed.value)


@pytest.mark.parametrize(
    "body, got",
    [([{"accessionNumber": []}], "a JSON list"), ({"message": "Not Found"}, '{"message": "Not Found"}')],
    ids=["list", "error object"],
)
def test_an_older_submissions_page_of_the_wrong_shape_is_a_warning(sec_settings, http_server, body, got) -> None:
    """Its filings' facts fall back to their filing day's end, as for a page that failed."""
    page = f"CIK{CIK:010d}-submissions-001.json"
    filings = {**SUBMISSIONS["filings"], "files": [{"name": page}]}
    http_server.routes.update({
        TICKERS_PATH: Reply(200, TICKERS),
        FACTS_PATH: Reply(200, FACTS),
        SUBS_PATH: Reply(200, {**SUBMISSIONS, "filings": filings}),
        f"/submissions/{page}": Reply(200, body),
    })  # fmt: skip
    batch = source(sec_settings).collect(["sec.VRT.capex"], {})
    assert len([o for o in batch.observations if o.series == "sec.VRT.capex"]) == 2
    assert batch.warnings == [
        f"sec VRT: older submissions page {page}: expected an object with an 'accessionNumber' list, got {got}"
    ]


def test_a_client_the_source_opened_is_closed_with_its_run(sec_settings, http_server) -> None:
    # The daemon makes a new source each run: a client left open kept its connections until
    # the garbage collector found it (a ResourceWarning in an unrelated test).
    http_server.routes.update({TICKERS_PATH: Reply(200, TICKERS), FACTS_PATH: Reply(200, FACTS), SUBS_PATH: Reply(200, SUBMISSIONS)})
    sec = source(sec_settings)
    assert sec.collect(["sec.VRT.capex"], {}).observations
    assert sec.http is None
    http_server.routes[FACTS_PATH] = Reply(200, [])
    with pytest.raises(PayloadError):
        sec.collect(["sec.VRT.capex"], {})
    assert sec.http is None  # closed on failure too
