"""Stories: copies of one event from several outlets are one event in every thesis function,
and a thesis can ask for corroboration by distinct outlets."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import numpy as np
import pytest
import yaml

from fakes.http_server import Reply
from signalflow.series import Event, parse_story_ref, story_ref
from signalflow.settings import Settings
from signalflow.sources.news_settings import FeedConfig
from signalflow.sources.http import HttpClient
from signalflow.sources.news import NewsSource
from signalflow.news.stories import StoryIndex, same_event
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.context import Context
from signalflow.thesis.engine import _ns, engine_frame
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.loader import read_thesis

from tests.news.test_import import cli_env  # noqa: F401 - a fixture


def item(title: str, outlet: str, at: datetime, label="deployment_delay", mw=None, usd=None, companies=("MSFT",)):
    from signalflow.news.details import locations

    return Event(
        source=outlet.lower(), entry_id=f"{outlet}:{title}@{at:%d%H}", title=title, link=f"https://{outlet}.test/a",
        published=at, label=label, mw=mw, amount_usd=usd, companies=companies, outlet=outlet,
        details={"locations": list(locations(title))},
    )  # fmt: skip


T0 = datetime(2025, 3, 4, 10)
WIRE = "Microsoft delays 300 MW data center in Ohio by six months"


@pytest.mark.parametrize(
    "other, joins",
    [
        (item(WIRE + " - Yahoo Finance", "Yahoo", T0 + timedelta(hours=3), mw=300.0), True),  # syndicated copy
        (item("Microsoft puts 300MW Ohio data centre on hold for half a year", "DCD", T0 + timedelta(hours=5), mw=300.0),
         True),  # a rewrite: same company, same figure
        (item("Microsoft delays data center in Ohio by six months", "Bloomberg", T0 + timedelta(hours=1)), True),
        (item(WIRE, "Reuters", T0 + timedelta(days=5), mw=300.0), False),  # outside the window: a new story
        (item("Microsoft delays 500 MW data center in Ohio by six months", "AP", T0, mw=500.0), False),  # other figure
        (item(WIRE, "AP", T0, mw=300.0, companies=("GOOGL",)), False),  # other company
        (item(WIRE, "AP", T0, label="power_contract", mw=300.0), False),  # other label
        (item("Microsoft cuts Nvidia orders", "AP", T0), False),  # same company, another event
        (item("Microsoft delays 300 MW data center in Wisconsin by six months", "AP", T0, mw=300.0), False),  # place
    ],
)
def test_what_joins_a_story(other, joins):
    index = StoryIndex()
    first = index.assign(item(WIRE, "Reuters", T0, mw=300.0))
    second = index.assign(other)
    assert (second.story.id == first.story.id) is joins
    assert second.new_story is not joins


def test_a_story_keeps_one_figure_and_a_fuller_report_is_a_new_version():
    index = StoryIndex()
    first = index.assign(item("Microsoft delays Ohio data center by six months", "Reuters", T0))
    copy = index.assign(item("Microsoft delays Ohio data center by six months", "AP", T0 + timedelta(hours=1)))
    fuller = index.assign(
        item("Microsoft delays 300 MW Ohio data center by six months", "Bloomberg", T0 + timedelta(hours=6), mw=300.0)
    )
    again = index.assign(item("Microsoft delays 300 MW Ohio data center by six months", "CNBC", T0 + timedelta(hours=7), mw=300.0))
    assert (first.story.version, first.story.mw) == (1, None)
    assert (copy.revised, copy.new_outlet, copy.story.mw) == (False, True, None)
    assert (fuller.revised, fuller.story.version, fuller.story.mw) == (True, 2, 300.0)
    assert fuller.story.updated_at == T0 + timedelta(hours=6) and fuller.story.known_at == T0
    assert (again.revised, again.story.version, again.story.mw) == (False, 2, 300.0)  # never summed


def test_the_index_survives_a_round_trip_and_closes_old_stories():
    index = StoryIndex()
    index.assign(item(WIRE, "Reuters", T0, mw=300.0))
    restored = StoryIndex.from_json(index.to_json())
    joined = restored.assign(item(WIRE, "AP", T0 + timedelta(hours=2), mw=300.0))
    assert not joined.new_story and joined.new_outlet
    assert not restored.assign(item(WIRE, "Reuters", T0 + timedelta(hours=3), mw=300.0)).new_outlet
    restored.prune(T0 + timedelta(days=4))
    assert len(restored) == 0


def test_story_refs_round_trip():
    assert parse_story_ref(story_ref("grid-1", "Reuters")) == ("grid-1", "Reuters", 1)
    assert parse_story_ref(story_ref("grid-1", version=3)) == ("grid-1", None, 3)
    assert story_ref("grid-1") == "grid-1" and parse_story_ref("grid-1") is None
    assert parse_story_ref("http://x.test/a#section") is None


def test_figures_that_disagree_are_two_events():
    text = "microsoft delays data center"
    assert same_event(text, (300.0, None), ("MSFT",), text, (300.0, None), ("MSFT",)) >= 88
    assert same_event(text, (300.0, None), ("MSFT",), text, (350.0, None), ("MSFT",)) == 0.0
    assert same_event(text, (300.0, None), ("MSFT",), text, (302.0, None), ("MSFT",)) > 0  # rounding


def feed(*items: tuple[str, str, str, str]) -> str:
    """An RSS document of (guid, title, pubDate, link) items."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{g}</guid><pubDate>{d}</pubDate></item>"
        for g, t, d, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{body}</channel></rss>'


WIRE_FEED = feed(
    ("wire-1", WIRE, "Tue, 04 Mar 2025 10:00:00 GMT", "https://reuters.test/msft-ohio"),
    ("wire-2", "Google signs 500 MW nuclear power purchase agreement with Kairos", "Tue, 04 Mar 2025 11:00:00 GMT",
     "https://reuters.test/googl-kairos"),
)
AGGREGATOR_FEED = feed(
    ("agg-1", WIRE + " - Yahoo Finance", "Tue, 04 Mar 2025 13:00:00 GMT", "https://finance.yahoo.test/msft-ohio"),
)
LATER_FEED = feed(
    ("dcd-9", "Microsoft puts 300MW Ohio data centre on hold for six months", "Wed, 05 Mar 2025 08:00:00 GMT",
     "https://www.datacenterdynamics.test/msft"),
)


def collect(http_server, routes: dict[str, str], state: dict, now: datetime):
    for path, body in routes.items():
        http_server.routes[path] = Reply(200, body, {"Content-Type": "application/rss+xml"})
    feeds = [FeedConfig(name=p.strip("/"), url=http_server.url + p, schedule="30m") for p in routes]
    http = HttpClient("news", retries=0, sleep=lambda s: None)
    return NewsSource(Settings(feeds=feeds), http=http, clock=lambda: now).collect([], state)


def thesis_values(exprs: dict[str, str], provider, at: datetime) -> dict[str, float]:
    doc = {
        "thesis": "stories", "title": "stories", "series": exprs,
        "growth": {"reason": "g", "when": "1 > 0"}, "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [{"name": "s", "when": "1 < 0"}],
        "kill_switch": [{"name": "corroborated", "when": "outlets(news.deployment_delay[MSFT], 30d) >= 2"}],
    }  # fmt: skip
    thesis, problems = read_thesis("stories.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert thesis is not None, problems
    from signalflow.thesis.context import thesis_refs

    refs = sorted(thesis_refs(thesis))
    frames = provider.load(refs, until=at)
    series = {r: PitSeries(engine_frame(r, frames.get(r))) for r in refs}
    ctx = Context(thesis, series, np.array([_ns(at)], np.int64), functions=BUILTIN_FUNCTIONS)
    out = {name: float(ctx.eval(thesis.series[name].expr)[0]) for name in exprs}
    out["corroborated"] = float(ctx.eval(thesis.kill_switch[0].when)[0])
    return out


EXPRS = {
    "stories": "count(news.deployment_delay, 30d)",
    "msft": "count(news.deployment_delay[MSFT], 30d)",
    "mw": "sum(news.deployment_delay.mw, 90d)",
    "msft_mw": "sum(news.deployment_delay[MSFT].mw, 90d)",
    "n_outlets": "outlets(news.deployment_delay[MSFT], 30d)",
    "days": "days_since(news.deployment_delay)",
}


def test_two_outlets_copies_are_one_event_in_every_thesis_function(http_server, store):
    state: dict[str, str] = {}
    first = collect(http_server, {"/wire": WIRE_FEED, "/agg": AGGREGATOR_FEED}, state, datetime(2025, 3, 4, 14))
    store.add_batch(first)
    delays = [e for e in first.events if e.label == "deployment_delay"]
    assert len(delays) == 2 and len({e.story for e in delays}) == 1
    assert {e.outlet for e in delays} == {"reuters.test", "finance.yahoo.test"}

    at = datetime(2025, 3, 4, 15)
    assert thesis_values(EXPRS, store, at) == {
        "stories": 1.0, "msft": 1.0, "mw": 300.0, "msft_mw": 300.0, "n_outlets": 2.0,
        "days": pytest.approx(5 / 24), "corroborated": 1.0,
    }  # fmt: skip
    # Before the second outlet published, one outlet: not corroborated yet, still one story.
    early = thesis_values(EXPRS, store, datetime(2025, 3, 4, 12))
    assert (early["stories"], early["n_outlets"], early["corroborated"], early["mw"]) == (1.0, 1.0, 0.0, 300.0)

    # A rewrite collected the next day from a third feed joins through the kept state.
    later = collect(http_server, {"/dcd": LATER_FEED}, state, datetime(2025, 3, 5, 9))
    store.add_batch(later)
    assert [e.story for e in later.events] == [delays[0].story]
    values = thesis_values(EXPRS, store, datetime(2025, 3, 5, 10))
    assert (values["stories"], values["mw"], values["n_outlets"]) == (1.0, 300.0, 3.0)
    assert values["days"] == pytest.approx(1.0)  # the story's first appearance, not the latest copy

    stored = store.stories(label="deployment_delay")
    assert len(stored) == 1 and stored[0].story.mw == 300.0
    assert stored[0].outlets == ("reuters.test", "finance.yahoo.test", "datacenterdynamics.test")
    assert [m.link for m in stored[0].members][0] == "https://reuters.test/msft-ohio"


def test_collecting_the_same_feeds_again_adds_nothing(http_server, store):
    state: dict[str, str] = {}
    store.add_batch(collect(http_server, {"/wire": WIRE_FEED, "/agg": AGGREGATOR_FEED}, state, datetime(2025, 3, 4, 14)))
    for key in [k for k in state if k.endswith(":seen")]:
        del state[key]  # entries seen again (a feed that lost its memory) join their stories
    again = store.add_batch(
        collect(http_server, {"/wire": WIRE_FEED, "/agg": AGGREGATOR_FEED}, state, datetime(2025, 3, 4, 15))
    )
    assert again.observations_added == 0
    assert len(store.stories()) == 2


def test_a_fuller_report_revises_the_figures_point_in_time(http_server, store):
    state: dict[str, str] = {}
    bare = feed(("w-1", "Microsoft delays $1 billion Ohio data center by six months", "Tue, 04 Mar 2025 10:00:00 GMT",
                 "https://reuters.test/a"))  # fmt: skip
    fuller = feed(("b-1", "Microsoft delays $1 billion, 300 MW Ohio data center by six months",
                   "Wed, 05 Mar 2025 10:00:00 GMT", "https://bloomberg.test/a"))  # fmt: skip
    store.add_batch(collect(http_server, {"/w": bare}, state, datetime(2025, 3, 4, 11)))
    store.add_batch(collect(http_server, {"/b": fuller}, state, datetime(2025, 3, 5, 11)))
    exprs = EXPRS | {"usd": "sum(news.deployment_delay.usd, 90d)"}
    before = thesis_values(exprs, store, datetime(2025, 3, 4, 12))
    after = thesis_values(exprs, store, datetime(2025, 3, 5, 12))
    assert (before["stories"], before["usd"]) == (1.0, 1e9)
    assert math.isnan(before["mw"])  # no figure known yet: unknown, not zero
    # The fuller report filled the MW in; the dollar figure it repeated is not counted twice.
    assert (after["stories"], after["mw"], after["usd"], after["n_outlets"]) == (1.0, 300.0, 1e9, 2.0)
    assert store.stories()[0].story.version == 2


def test_news_command_lists_stories_with_outlets_and_urls(http_server, cli_env):
    from typer.testing import CliRunner

    from signalflow.cli import app
    from signalflow.store import Store

    store = Store.open(cli_env)
    try:
        store.add_batch(collect(http_server, {"/wire": WIRE_FEED, "/agg": AGGREGATOR_FEED}, {}, datetime(2025, 3, 4, 14)))
    finally:
        store.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["news", "--since", "2025-03-01", "--label", "deployment_delay", "--json"])
    assert listed.exit_code == 0, listed.output
    (story,) = json.loads(listed.output)
    assert (story["label"], story["mw"], story["companies"]) == ("deployment_delay", 300.0, ["MSFT"])
    assert story["outlets"] == ["reuters.test", "finance.yahoo.test"]
    assert [m["url"] for m in story["members"]] == ["https://reuters.test/msft-ohio", "https://finance.yahoo.test/msft-ohio"]

    text = runner.invoke(app, ["news", "--since", "2025-03-01"])
    assert text.exit_code == 0, text.output
    assert "deployment_delay  MSFT  300 MW  2 outlets" in text.output
    assert "power_contract  GOOGL  500 MW  1 outlet" in text.output
    assert "https://finance.yahoo.test/msft-ohio" in text.output
    assert all(len(line) <= 80 for line in text.output.splitlines() if "://" not in line)

    assert "no stories" in runner.invoke(app, ["news", "--since", "1d"]).output
    bad = runner.invoke(app, ["news", "--since", "lately"])
    assert bad.exit_code != 0 and "--since" in bad.output and "Traceback" not in bad.output
