"""`signalflow classify` / `signalflow feeds`, and news batches through the store."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from fakes.http_server import Reply
from signalflow.cli import app
from signalflow.settings import Settings
from signalflow.sources.news_settings import FeedConfig
from signalflow.sources.http import HttpClient
from signalflow.sources.news import NewsSource

from tests.news.test_collector import POWER_FEED


def test_classify_json_shows_label_fields_and_rule():
    result = CliRunner().invoke(app, ["classify", "Meta signs 1.2 GW nuclear power deal with Constellation", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["label"], data["mw"], data["companies"]) == ("power_contract", 1200.0, ["META", "CEG"])
    assert data["rule"]


def test_classify_with_a_broken_rules_file_is_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules: [{name: x")
    monkeypatch.setenv("SIGNALFLOW_NEWS_RULES_FILE", str(bad))
    result = CliRunner().invoke(app, ["classify", "anything"])
    assert result.exit_code != 0 and "rules.yaml" in result.output and "Traceback" not in result.output


def test_batch_is_stored_once(http_server, store):
    http_server.routes["/grid.xml"] = Reply(200, POWER_FEED, {"Content-Type": "application/rss+xml"})
    settings = Settings(feeds=[FeedConfig(name="grid", url=http_server.url + "/grid.xml")])
    source = NewsSource(settings, http=HttpClient("news", retries=0), clock=lambda: datetime(2025, 3, 10))
    state = store.get_source_state("news")
    batch = source.collect([], state)
    first = store.add_batch(batch)
    store.set_source_state("news", state)
    assert first.events_added == 2 and "news.power_contract[MSFT].mw" in first.series_changed
    again = store.add_batch(batch)
    assert again.observations_added == 0 and again.events_added == 0
    frames = store.load(["news.power_contract.mw"])
    assert list(frames["news.power_contract.mw"].data["value"]) == [300.0]
