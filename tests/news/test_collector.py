"""The news collector over a real local HTTP server, with real feed captures and built feeds."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from fakes.http_server import Reply
from signalflow.settings import Settings
from signalflow.sources.news_settings import FeedConfig
from signalflow.series import SeriesKind
from signalflow.sources.http import HttpClient
from signalflow.sources.news import NewsSource, feed_health


RSS = "nicolus_picoFeed"

POWER_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Grid news</title><link>http://example.test/</link>
<description>test</description>
<item><title>Microsoft signs 300 MW power purchase agreement for Virginia data center</title>
<link>http://example.test/a</link><guid>grid-1</guid>
<description>The deal is worth $1.2 billion over 20 years.</description>
<pubDate>Tue, 04 Mar 2025 14:30:00 GMT</pubDate></item>
<item><title>Flight delays pile up at Newark as storms roll in</title>
<link>http://example.test/b</link><guid>grid-2</guid>
<pubDate>Wed, 05 Mar 2025 09:00:00 +0100</pubDate></item>
</channel></rss>"""


def make_source(server_url: str, names: dict[str, str], now=datetime(2025, 3, 10)) -> NewsSource:
    feeds = [FeedConfig(name=n, url=server_url + p, schedule="30m") for n, p in names.items()]
    http = HttpClient("news", retries=0, sleep=lambda s: None)
    return NewsSource(Settings(feeds=feeds), http=http, clock=lambda: now)


def conditional(body: bytes, etag: str, modified: str, content_type: str):
    """A handler that answers 304 when the client presents the current validators."""

    def handle(request):
        if request.headers.get("if-none-match") == etag or request.headers.get("if-modified-since") == modified:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, body, {"ETag": etag, "Last-Modified": modified, "Content-Type": content_type})

    return handle


def test_a_built_feed_becomes_events_and_news_series(http_server):
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED, {"Content-Type": "application/rss+xml"})
    batch = make_source(http_server.url, {"grid": "/grid.xml"}).collect(["news.power_contract"], {})

    events = {e.entry_id: e for e in batch.events}
    assert set(events) == {"grid-1", "grid-2"}
    deal = events["grid-1"]
    assert (deal.label, deal.mw, deal.amount_usd, deal.companies) == ("power_contract", 300.0, 1.2e9, ("MSFT",))
    assert deal.published == datetime(2025, 3, 4, 14, 30)
    assert events["grid-2"].label is None
    assert events["grid-2"].published == datetime(2025, 3, 5, 8, 0)  # +0100 normalised to UTC

    by_key = {o.series: o for o in batch.observations}
    assert set(by_key) == {
        "news.power_contract", "news.power_contract.mw", "news.power_contract.usd",
        "news.power_contract[MSFT]", "news.power_contract[MSFT].mw", "news.power_contract[MSFT].usd",
    }  # fmt: skip
    mw = by_key["news.power_contract[MSFT].mw"]
    assert (mw.value, mw.period_start, mw.period_end, mw.known_at, mw.source_ref) == (
        300.0, date(2025, 3, 4), date(2025, 3, 4), datetime(2025, 3, 4, 14, 30), "grid-1"
    )  # fmt: skip
    assert by_key["news.power_contract"].value == 1.0
    assert {i.key: i.kind for i in batch.series}["news.power_contract.mw"] is SeriesKind.EVENT


@pytest.mark.parametrize(
    "name, content_type, expected_title_part",
    [
        ("xakep.ru.xml", "text/xml", "Руководители разведки"),  # windows-1251, declared in the XML
        ("univers_freebox.xml", "text/xml", "Retour de Xavier Niel"),  # RSS 0.92, iso-8859-1
        ("googleblog.xml", "application/atom+xml", "Chrome Experiment"),  # Atom 1.0
        ("heise.rdf", "application/rdf+xml", "Künstliche Intelligenz"),  # RSS 0.90 / RDF
        ("planete-jquery.xml", "text/xml", "Chroniques jQuery"),  # RSS 1.0
    ],
)
def test_real_captures_decode(http_server, shared_data: Path, name, content_type, expected_title_part):
    body = (shared_data / "rss" / RSS / name).read_bytes()
    http_server.routes["/f"] = Reply(200, body, {"Content-Type": content_type})
    state: dict[str, str] = {}
    batch = make_source(http_server.url, {"f": "/f"}).collect([], state)
    assert batch.events and any(expected_title_part in e.title for e in batch.events)
    assert not any("\ufffd" in e.title for e in batch.events)  # no replacement characters
    assert feed_health(state)[0].status == "ok"


def test_undeclared_encoding_comes_from_the_http_header(http_server):
    body = POWER_FEED.replace('encoding="utf-8"', "").replace("Flight delays", "Délais des vols").encode("iso-8859-1")
    http_server.routes["/latin"] = Reply(200, body, {"Content-Type": "application/rss+xml; charset=iso-8859-1"})
    batch = make_source(http_server.url, {"latin": "/latin"}).collect([], {})
    assert "Délais des vols pile up at Newark as storms roll in" in {e.title for e in batch.events}


def test_malformed_feed_keeps_entries_and_reports_bozo(http_server, shared_data: Path):
    body = (shared_data / "rss" / RSS / "lincoln_loop.xml").read_bytes()
    http_server.routes["/bad"] = Reply(200, body, {"Content-Type": "text/xml"})
    state: dict[str, str] = {}
    batch = make_source(http_server.url, {"lincoln": "/bad"}).collect([], state)
    assert len(batch.events) == 10
    health = feed_health(state)[0]
    assert health.status == "bozo" and "not well-formed" in health.reason
    assert any("malformed" in w for w in batch.warnings)


def test_conditional_get_and_dedup_across_runs(http_server, shared_data: Path):
    body = (shared_data / "rss" / RSS / "dailymail.co.uk.xml").read_bytes()
    http_server.routes["/dm"] = conditional(body, '"v1"', "Thu, 02 Jul 2015 22:30:00 GMT", "text/xml")
    state: dict[str, str] = {}
    first = make_source(http_server.url, {"dm": "/dm"}).collect([], state)
    assert len(first.events) == 63 and state["dm:etag"] == '"v1"'

    later = make_source(http_server.url, {"dm": "/dm"}, now=datetime(2025, 3, 10, 1))
    assert later.collect([], state).events == []
    assert http_server.requests[-1].headers["if-none-match"] == '"v1"'
    assert feed_health(state)[0].status == "not_modified"

    # the server forgets its validators (a restart, a CDN); the seen-set still dedups
    http_server.routes["/dm"] = Reply(200, body, {"Content-Type": "text/xml"})
    again = make_source(http_server.url, {"dm": "/dm"}, now=datetime(2025, 3, 10, 2)).collect([], state)
    assert again.events == [] and feed_health(state)[0].entries == 63


def test_feed_not_due_is_not_fetched(http_server):
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED)
    state: dict[str, str] = {}
    make_source(http_server.url, {"grid": "/grid.xml"}).collect([], state)
    make_source(http_server.url, {"grid": "/grid.xml"}, now=datetime(2025, 3, 10, 0, 5)).collect([], state)
    assert len(http_server.requests) == 1


def test_failing_feed_is_reported_and_others_still_collected(http_server):
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED, {"Content-Type": "application/rss+xml"})
    http_server.routes["/gone"] = Reply(404, "no such feed")
    http_server.routes["/html"] = Reply(200, "<html><body>not a feed", {"Content-Type": "text/html"})
    state: dict[str, str] = {}
    source = make_source(http_server.url, {"gone": "/gone", "grid": "/grid.xml", "html": "/html"})
    batch = source.collect([], state)
    assert len(batch.events) == 2
    health = {h.feed: h for h in feed_health(state)}
    assert health["gone"].status == "failing" and "404" in health["gone"].reason
    assert health["gone"].consecutive_failures == 1
    assert health["grid"].status == "ok"
    assert health["html"].status == "failing"


@pytest.mark.parametrize(
    "ref, problem",
    [
        ("news.power_contract", None),
        ("news.power_contract.mw", None),
        ("news.capex_raise[MSFT].usd", None),
        ("news.deployment_delays", "did you mean 'deployment_delay'"),
        ("news.power_contract[MSTF]", "did you mean 'MSFT'"),
        ("news.power_contract.gw", "unknown field 'gw'"),
        ("news.", "expected news.LABEL"),
    ],
)
def test_check_ref(ref, problem):
    found = NewsSource(Settings()).check_ref(ref)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_default_feed_list_is_used_when_none_configured():
    feeds = NewsSource(Settings()).feeds()
    assert len(feeds) >= 8 and all(f.url.get_secret_value().startswith("https://") for f in feeds)
    assert len({f.name for f in feeds}) == len(feeds)
