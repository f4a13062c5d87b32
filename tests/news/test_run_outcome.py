"""What a run tells the service beside its batch (``Source.outcome``): a news run with no
feed due attempted nothing and records no health; a news run whose every feed failed is a
failed run whose feed health is kept all the same."""

from __future__ import annotations

from datetime import datetime

from fakes.http_server import Reply
from signalflow import RunOutcome, service
from signalflow.errors import SourceError
from signalflow.settings import Settings
from signalflow.sources.news import feed_health
from signalflow.store import Store

from tests.news.test_collector import POWER_FEED, make_source


def test_the_news_source_says_what_its_run_attempted(http_server) -> None:
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED)
    http_server.routes["/gone"] = Reply(404, "no such feed")
    state: dict[str, str] = {}

    ok = make_source(http_server.url, {"grid": "/grid.xml"})
    ok.collect([], state)
    assert ok.outcome == RunOutcome(attempted=True, keep_state=False)

    idle = make_source(http_server.url, {"grid": "/grid.xml"}, now=datetime(2025, 3, 10, 0, 5))
    assert idle.collect([], state).events == []
    assert idle.outcome == RunOutcome(attempted=False)

    failed = make_source(http_server.url, {"gone": "/gone"})
    try:
        failed.collect([], {})
    except SourceError as exc:
        assert "every feed failed (1)" in str(exc)
    else:
        raise AssertionError("a run whose every feed failed did not fail")
    assert failed.outcome == RunOutcome(attempted=True, keep_state=True)


def test_the_service_keeps_a_failed_runs_feed_health_and_records_none_for_an_idle_run(tmp_path, http_server, monkeypatch) -> None:
    http_server.routes["/gone"] = Reply(404, "no such feed")
    monkeypatch.setenv("SIGNALFLOW_FEEDS", f'[{{"name": "gone", "url": "{http_server.url}/gone", "schedule": "30m"}}]')
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}")
    store = Store.open(settings.database_url)
    try:
        failed = service.collect_source(settings, store, "news", [])
        (gone,) = feed_health(store.get_source_state("news"))
        (health,) = store.source_health()
        idle = service.collect_source(settings, store, "news", [])
        (after,) = store.source_health()
    finally:
        store.close()
    assert not failed.ok and "every feed failed" in failed.error
    assert gone.status == "failing" and "404" in gone.reason  # kept although the run failed
    assert health.consecutive_failures == 1
    # the feed is not due again for 30 minutes: the run tried nothing and told nothing
    assert idle.ok and len(http_server.requests) == 1
    assert (after.consecutive_failures, after.last_success, after.last_error) == (1, None, health.last_error)
