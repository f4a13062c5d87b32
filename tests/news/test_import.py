"""Saved feeds through `signalflow import`, undated entries, and `signalflow feeds --json`."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from fakes.http_server import Reply
from signalflow.cli import app
from signalflow.errors import PayloadError
from signalflow.settings import Settings
from signalflow.sources.news_settings import FeedConfig
from signalflow.series import KnownAtBasis
from signalflow.sources.http import HttpClient
from signalflow.sources.news import NewsSource
from signalflow.store import Store
from signalflow.store.models import ObservationRow, SeriesRow

from tests.news.test_collector import POWER_FEED, RSS

CAPTURES = [
    "dailymail.co.uk.xml", "googleblog.xml", "heise.rdf", "lincoln_loop.xml", "pcinpact.xml",
    "planete-jquery.xml", "rue89.xml", "univers_freebox.xml", "xakep.ru.xml",
]  # fmt: skip

# One dated and one undated item (RSS 2.0 allows an item without pubDate).
UNDATED_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Grid news</title><link>http://example.test/</link>
<description>test</description>
<item><title>Google signs 500 MW nuclear power agreement with Kairos for data centers</title>
<link>http://example.test/u</link><guid>undated-1</guid></item>
<item><title>Amazon signs 960 MW power purchase agreement with Talen</title>
<link>http://example.test/d</link><guid>dated-1</guid>
<pubDate>Mon, 03 Mar 2025 12:00:00 GMT</pubDate></item>
</channel></rss>"""

SAVED_AT = datetime(2025, 3, 9, 18, 30)  # the modification time given to the saved files


def saved(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    stamp = SAVED_AT.replace(tzinfo=timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> str:
    """A fresh SQLite database for CLI runs; no config file from the working directory."""
    url = f"sqlite:///{tmp_path / 'signalflow.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.delenv("SIGNALFLOW_CONFIG", raising=False)
    return url


@pytest.mark.parametrize("name", CAPTURES)
def test_every_real_capture_is_recognised(shared_data: Path, name):
    path = shared_data / "rss" / RSS / name
    assert NewsSource(Settings()).sniff(path, path.read_bytes()[:65536])


@pytest.mark.parametrize(
    "name, head",
    [
        ("series.json", b'{"observations": [{"date": "2024-01-01", "value": "1"}]}'),
        ("series.csv", b"date,value\n2024-01-01,1\n"),
        ("page.html", b"<!DOCTYPE html><html><body>the rss feed is at /rss</body></html>"),
        ("sitemap.xml", b'<?xml version="1.0"?><urlset><url><loc>http://x/feed</loc></url></urlset>'),
    ],
)
def test_other_files_are_not_taken_for_feeds(tmp_path, name, head):
    assert not NewsSource(Settings()).sniff(tmp_path / name, head)


@pytest.mark.parametrize("name", ["dailymail.co.uk.xml", "xakep.ru.xml", "googleblog.xml", "univers_freebox.xml"])
def test_import_equals_collection_of_the_same_bytes(http_server, shared_data: Path, name):
    path = shared_data / "rss" / RSS / name
    http_server.routes["/f"] = Reply(200, path.read_bytes(), {"Content-Type": "text/xml"})
    stem = path.stem
    http = HttpClient("news", retries=0, sleep=lambda s: None)
    settings = Settings(feeds=[FeedConfig(name=stem, url=http_server.url + "/f")])
    collected = NewsSource(settings, http=http, clock=lambda: datetime(2025, 3, 10)).collect([], {})
    imported = NewsSource(Settings()).import_file(path)

    assert imported.events == collected.events  # same ids, titles, times, labels, feed name
    assert imported.observations == collected.observations
    assert {e.source for e in imported.events} == {stem}
    assert not any("\ufffd" in e.title for e in imported.events)


def test_malformed_capture_imports_what_parsed_with_a_warning(shared_data: Path):
    batch = NewsSource(Settings()).import_file(shared_data / "rss" / RSS / "lincoln_loop.xml")
    assert len(batch.events) == 10 and any("malformed" in w for w in batch.warnings)


def test_undated_entries_of_a_real_capture_are_known_when_saved(shared_data: Path):
    path = shared_data / "rss" / RSS / "heise.rdf"  # RSS 0.90: items carry no dates
    saved_at = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    events = NewsSource(Settings()).import_file(path).events
    assert len(events) == 60 and {e.published for e in events} == {saved_at}


def test_undated_entry_is_marked_collected_when_imported(tmp_path):
    batch = NewsSource(Settings()).import_file(saved(tmp_path / "grid.xml", UNDATED_FEED))
    by_key = {(o.series, o.source_ref): o for o in batch.observations}
    undated = by_key[("news.power_contract[GOOGL].mw", "undated-1")]
    dated = by_key[("news.power_contract[AMZN].mw", "dated-1")]
    assert (undated.value, undated.known_at, undated.known_at_basis) == (500.0, SAVED_AT, KnownAtBasis.COLLECTED)
    reported = (960.0, datetime(2025, 3, 3, 12), KnownAtBasis.EXACT)  # the entry's pubDate
    assert (dated.value, dated.known_at, dated.known_at_basis) == reported
    assert {o.known_at_basis for o in batch.observations if o.source_ref == "undated-1"} == {KnownAtBasis.COLLECTED}


def test_undated_entry_is_marked_collected_when_fetched(http_server, store):
    http_server.routes["/u"] = Reply(200, UNDATED_FEED, {"Content-Type": "application/rss+xml"})
    now = datetime(2025, 3, 10, 7, 45)
    http = HttpClient("news", retries=0, sleep=lambda s: None)
    settings = Settings(feeds=[FeedConfig(name="u", url=http_server.url + "/u")])
    source = NewsSource(settings, http=http, clock=lambda: now)
    store.add_batch(source.collect([], {}))
    with store.session() as session:  # the basis is stored with each version; reads do not return it
        rows = session.exec(
            select(ObservationRow.value, ObservationRow.known_at, ObservationRow.known_at_basis)
            .join(SeriesRow, SeriesRow.id == ObservationRow.series_id)
            .where(SeriesRow.key == "news.power_contract.mw")
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        (500.0, now, "collected"), (960.0, datetime(2025, 3, 3, 12), "exact"),
    ]  # fmt: skip


def test_unreadable_file_is_a_payload_error_naming_it(tmp_path):
    with pytest.raises(PayloadError) as err:
        NewsSource(Settings()).import_file(tmp_path / "gone.xml")
    assert "gone.xml" in str(err.value)


def test_cli_import_loads_feeds_once(cli_env, tmp_path, shared_data: Path):
    grid = saved(tmp_path / "grid.xml", POWER_FEED)
    capture = shared_data / "rss" / RSS / "dailymail.co.uk.xml"
    runner = CliRunner()

    first = runner.invoke(app, ["import", str(grid), str(capture), "--json"])
    assert first.exit_code == 0, first.output
    reports = {Path(r["path"]).name: r for r in json.loads(first.stdout)}  # log lines go to stderr
    assert {r["source"] for r in reports.values()} == {"news"}
    # the capture repeats one of its 63 entries; the repeat is the same event
    assert reports["grid.xml"]["events_added"] == 2 and reports["dailymail.co.uk.xml"]["events_added"] == 62
    assert "news.power_contract[MSFT].mw" in reports["grid.xml"]["series"]

    again = runner.invoke(app, ["import", str(grid), str(capture), "--json"])
    assert again.exit_code == 0, again.output
    assert [(r["events_added"], r["observations_added"]) for r in json.loads(again.stdout)] == [(0, 0), (0, 0)]

    store = Store.open(cli_env)
    try:
        frame = store.as_of("news.power_contract[MSFT].mw", datetime(2025, 3, 10))
    finally:
        store.close()
    assert list(frame["value"]) == [300.0] and list(frame["known_at"]) == [datetime(2025, 3, 4, 14, 30)]


def test_cli_import_of_a_non_feed_is_one_line(cli_env, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>no feed here</body></html>")
    result = CliRunner().invoke(app, ["import", str(page)])
    assert result.exit_code != 0 and "page.html" in result.output and "Traceback" not in result.output


def collect_news(settings: Settings):
    """One run of the news source as the daemon makes it, on the settings' database."""
    from signalflow import service

    store = service.open_store(settings)
    try:
        return service.collect_source(settings, store, "news", [])
    finally:
        store.close()


def test_feeds_json_reports_health_after_a_collection(cli_env, http_server, shared_data: Path, monkeypatch):
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED, {"Content-Type": "application/rss+xml"})
    http_server.routes["/bad.xml"] = Reply(200, (shared_data / "rss" / RSS / "lincoln_loop.xml").read_bytes())
    http_server.routes["/gone.xml"] = Reply(404, "no such feed")
    feeds = [
        {"name": "grid", "url": http_server.url + "/grid.xml", "schedule": "30m"},
        {"name": "lincoln", "url": http_server.url + "/bad.xml", "schedule": "1h"},
        {"name": "gone", "url": http_server.url + "/gone.xml", "schedule": "30m"},
    ]
    monkeypatch.setenv("SIGNALFLOW_FEEDS", json.dumps(feeds))
    settings = Settings()
    report = collect_news(settings)
    assert report.ok and report.events_added == 12  # 2 built + 10 that parsed of the malformed feed

    # a feed added after the collection has never been checked
    feeds.append({"name": "later", "url": http_server.url + "/later.xml", "schedule": "30m"})
    monkeypatch.setenv("SIGNALFLOW_FEEDS", json.dumps(feeds))
    result = CliRunner().invoke(app, ["feeds", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert list(rows) == ["grid", "lincoln", "gone", "later"]
    assert (rows["grid"]["status"], rows["grid"]["entries"], rows["grid"]["new_entries"]) == ("ok", 2, 2)
    assert rows["lincoln"]["status"] == "bozo" and "not well-formed" in rows["lincoln"]["reason"]
    assert rows["lincoln"]["schedule"] == "1h" and rows["lincoln"]["entries"] == 10
    assert rows["gone"]["status"] == "failing" and "404" in rows["gone"]["reason"]
    assert rows["gone"]["consecutive_failures"] == 1 and rows["gone"]["last_success"] == ""
    assert rows["later"] == {**feeds[-1], "status": "never"}
    assert len(http_server.requests) == 3


def test_status_reports_the_news_source_failing_when_every_feed_failed(cli_env, http_server, monkeypatch):
    """One failing feed among good ones is a feed's problem; every feed failing is the
    source's: `status` must not call it healthy, and each feed's health is still kept."""
    http_server.routes["/a.xml"] = Reply(404, "no such feed")
    http_server.routes["/b.xml"] = Reply(500, "broken")
    feeds = [
        {"name": "a", "url": http_server.url + "/a.xml", "schedule": "30m"},
        {"name": "b", "url": http_server.url + "/b.xml", "schedule": "30m"},
    ]
    monkeypatch.setenv("SIGNALFLOW_FEEDS", json.dumps(feeds))
    settings = Settings()
    report = collect_news(settings)
    assert not report.ok and "every feed failed (2)" in report.error

    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    (news,) = [s for s in json.loads(result.stdout)["sources"] if s["source"] == "news"]
    assert news["consecutive_failures"] == 1 and news["last_success"] is None
    assert "every feed failed" in news["last_error"]
    assert len(news["last_error"]) <= 72  # one line on the status board however many feeds

    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(app, ["feeds", "--json"]).stdout)}
    assert rows["a"]["status"] == rows["b"]["status"] == "failing"
    assert "404" in rows["a"]["reason"] and "500" in rows["b"]["reason"]

    # The daemon's next pass finds no feed due (their schedule is 30m): it tried nothing, so
    # the source is not reported healthy again in between.
    asked = len(http_server.requests)
    again = collect_news(settings)
    assert again.ok and len(http_server.requests) == asked
    (news,) = [s for s in json.loads(CliRunner().invoke(app, ["status", "--json"]).stdout)["sources"] if s["source"] == "news"]
    assert news["consecutive_failures"] == 1 and news["last_success"] is None


def test_feeds_that_failed_alike_are_one_warning_naming_each(cli_env, http_server, monkeypatch, caplog):
    """Offline, every feed fails the same way: one line names them all, not one line each;
    a feed that failed otherwise keeps its own line."""
    for name in ("a", "b", "c"):
        http_server.routes[f"/{name}.xml"] = Reply(503, "down for maintenance")
    http_server.routes["/d.xml"] = Reply(404, "no such feed")
    feeds = [{"name": n, "url": f"{http_server.url}/{n}.xml", "schedule": "30m"} for n in ("a", "b", "c", "d")]
    monkeypatch.setenv("SIGNALFLOW_FEEDS", json.dumps(feeds))
    with caplog.at_level("WARNING", logger="signalflow.sources.news"):
        report = collect_news(Settings())
    assert not report.ok and "every feed failed (4)" in report.error
    said = [r.warning for r in caplog.records if r.getMessage() == "source warning"]
    assert len(said) == 2, said
    (together,) = [w for w in said if w.startswith("3 feeds failed alike: ")]
    assert together.endswith(": a, b, c") and "503" in together and "127.0.0.1" not in together
    (alone,) = [w for w in said if w is not together]
    assert alone.startswith("feed d: ") and "404" in alone


def test_some_feeds_failing_alike_are_one_warning_too(cli_env, http_server, monkeypatch, caplog):
    """A run where most feeds fail the same way and one works is no failed run, and its
    warnings say the alike failures once, naming each feed."""
    for name in ("a", "b", "c"):
        http_server.routes[f"/{name}.xml"] = Reply(503, "down for maintenance")
    http_server.routes["/ok.xml"] = Reply(200, POWER_FEED, {"Content-Type": "application/rss+xml"})
    feeds = [{"name": n, "url": f"{http_server.url}/{n}.xml", "schedule": "30m"} for n in ("a", "b", "c", "ok")]
    monkeypatch.setenv("SIGNALFLOW_FEEDS", json.dumps(feeds))
    with caplog.at_level("WARNING", logger="signalflow.service.collection"):
        report = collect_news(Settings())
    assert report.ok
    said = [r.warning for r in caplog.records if r.getMessage() == "source warning"]
    assert len(said) == 1 and said[0].startswith("3 feeds failed alike: ") and said[0].endswith(": a, b, c")
