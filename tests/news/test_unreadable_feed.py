"""A feed answering 200 with a body that is no feed (broken XML, an HTML error page, an empty
body) keeps no validators: a 304 must never pass an unread body as an unchanged, healthy feed.
Over a real local server and through the service and the store, as the daemon runs it."""

from __future__ import annotations

import pytest

from fakes.http_server import Reply, Request
from signalflow import service
from signalflow.settings import Settings
from signalflow.sources.news import feed_health

from tests.news.test_collector import POWER_FEED

SUNDAY, MONDAY = "Sun, 02 Mar 2025 10:00:00 GMT", "Mon, 03 Mar 2025 10:00:00 GMT"
BROKEN_XML = b'<?xml version="1.0"?>\n<rss version="2.0"><channel>\n<title>Grid news</b>\n'
NEXT_ITEM = """<item><title>Quiet day on the grid</title><link>http://example.test/c</link><guid>grid-3</guid>
<pubDate>Thu, 06 Mar 2025 09:00:00 GMT</pubDate></item>
</channel>"""


class Feed:
    """Serves one body at a time with its ETag and Last-Modified, and 304 when the client
    presents either."""

    def __init__(self, body: bytes | str, content_type: str, etag: str, modified: str) -> None:
        self.serve(body, content_type, etag, modified)

    def serve(self, body: bytes | str, content_type: str, etag: str, modified: str) -> None:
        self.body, self.content_type, self.etag, self.modified = body, content_type, etag, modified

    def __call__(self, request: Request) -> Reply:
        sent = request.headers
        if sent.get("if-none-match") == self.etag or sent.get("if-modified-since") == self.modified:
            return Reply(304, b"", {"ETag": self.etag})
        headers = {"ETag": self.etag, "Last-Modified": self.modified, "Content-Type": self.content_type}
        return Reply(200, self.body, headers)


def sent_validators(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k in ("if-none-match", "if-modified-since")}


def run(settings: Settings, store) -> None:
    """One collection as the daemon runs it, the feed due again (its schedule passed)."""
    state = store.get_source_state("news")
    if state.get("grid:fetched_at"):
        store.set_source_state("news", {"grid:fetched_at": "2000-01-01T00:00:00"})
    service.collect_source(settings, store, "news", [])


@pytest.mark.parametrize(
    "body, content_type, reason",
    [
        pytest.param(BROKEN_XML, "application/rss+xml", "mismatched tag at line 3", id="broken XML"),
        pytest.param(
            "<html><body><h1>Service Unavailable</h1></body></html>", "text/html",
            "no rss, feed or RDF root element; served as text/html", id="HTML error page",
        ),
        pytest.param(
            "<html><body><h1>Service Unavailable</h1></body></html>", "application/rss+xml",
            "no rss, feed or RDF root element", id="HTML page served as RSS",
        ),
        pytest.param("<html><body>Service Unavailable", "text/html", "no element found at line 1", id="cut-off HTML"),
        pytest.param(b"", "application/rss+xml", "empty body", id="empty body"),
    ],
)  # fmt: skip
def test_an_unreadable_feed_is_read_again_whole_and_stays_failing(
    http_server, store, monkeypatch, body, content_type, reason
) -> None:
    feed = Feed(POWER_FEED, "application/rss+xml", '"v0"', SUNDAY)
    http_server.routes["/grid.xml"] = feed
    url = f"{http_server.url}/grid.xml?token=s3cr3t"
    monkeypatch.setenv("SIGNALFLOW_FEEDS", f'[{{"name": "grid", "url": "{url}", "schedule": "30m"}}]')
    settings = Settings()
    run(settings, store)
    assert feed_health(store.get_source_state("news"))[0].status == "ok"

    feed.serve(body, content_type, '"v1"', MONDAY)  # the body breaks; the server keeps validators
    run(settings, store)
    assert sent_validators(http_server.requests[-1]) == {"if-none-match": '"v0"', "if-modified-since": SUNDAY}
    (first,) = feed_health(store.get_source_state("news"))
    assert first.status == "failing" and reason in first.reason
    assert f"{http_server.url}/grid.xml?token=***" in first.reason and "s3cr3t" not in first.reason

    run(settings, store)
    assert sent_validators(http_server.requests[-1]) == {}  # neither the broken reply's nor the last good one's
    (second,) = feed_health(store.get_source_state("news"))
    assert (second.status, second.consecutive_failures, second.last_success) == ("failing", 2, first.last_success)
    assert reason in second.reason

    feed.serve(POWER_FEED.replace("</channel>", NEXT_ITEM), "application/rss+xml", '"v1"', MONDAY)
    run(settings, store)
    assert sent_validators(http_server.requests[-1]) == {}
    (healthy,) = feed_health(store.get_source_state("news"))
    assert (healthy.status, healthy.entries, healthy.new_entries, healthy.reason) == ("ok", 3, 1, "")

    run(settings, store)  # now the feed was read, its validators stand: 304
    assert sent_validators(http_server.requests[-1]) == {"if-none-match": '"v1"', "if-modified-since": MONDAY}
    assert feed_health(store.get_source_state("news"))[0].status == "not_modified"
    assert sorted(e.entry_id for e in store.events("grid")) == ["grid-1", "grid-2", "grid-3"]  # each stored once
    assert len(http_server.requests) == 5


def test_a_feed_read_in_part_keeps_its_entries_but_not_its_validators(http_server, store, monkeypatch) -> None:
    cut = POWER_FEED.split("<item><title>Flight")[0]  # the first entry whole, then the body ends
    http_server.routes["/grid.xml"] = Feed(cut, "application/rss+xml", '"v1"', MONDAY)
    monkeypatch.setenv("SIGNALFLOW_FEEDS", f'[{{"name": "grid", "url": "{http_server.url}/grid.xml"}}]')
    settings = Settings()

    run(settings, store)
    (health,) = feed_health(store.get_source_state("news"))
    assert health.status == "bozo" and "no element found at line 8" in health.reason
    assert [e.entry_id for e in store.events("grid")] == ["grid-1"]

    run(settings, store)  # read whole again (and reported again), its entry not stored twice
    assert sent_validators(http_server.requests[-1]) == {}
    assert feed_health(store.get_source_state("news"))[0].status == "bozo"
    assert [e.entry_id for e in store.events("grid")] == ["grid-1"]


@pytest.mark.parametrize("content_type", ["text/html", "application/octet-stream"])
def test_a_whole_feed_served_under_another_media_type_is_healthy_and_keeps_its_validators(
    http_server, store, monkeypatch, content_type
) -> None:
    # feedparser flags a feed served as text/html although it parsed whole: that is no reason
    # to read it whole on every run.
    http_server.routes["/grid.xml"] = Feed(POWER_FEED, content_type, '"v1"', MONDAY)
    monkeypatch.setenv("SIGNALFLOW_FEEDS", f'[{{"name": "grid", "url": "{http_server.url}/grid.xml"}}]')
    settings = Settings()
    run(settings, store)
    assert feed_health(store.get_source_state("news"))[0].status == "ok"
    run(settings, store)
    assert sent_validators(http_server.requests[-1]) == {"if-none-match": '"v1"', "if-modified-since": MONDAY}
    assert feed_health(store.get_source_state("news"))[0].status == "not_modified"
