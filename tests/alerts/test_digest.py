"""The reminder digest: one message per route and day listing every alert still firing,
acknowledged ones left out, resolved ones dropped, Kill Switch suppression respected, and
exactly once per slot across passes and restarts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fakes.notifier import RecordingNotifier
from fakes.slack_server import TOKEN
from fakes.theses import evaluation, thesis
from signalflow.alerts import Decision, acknowledge, deliver_pending, record_evaluation
from signalflow.alerts.digest import digest_slot, queue_digests
from signalflow.notifiers.notification import Notification
from signalflow.settings import Route, Settings
from signalflow.store import Store

T0 = datetime(2025, 5, 1, 12, 0)
SOFT, KILL = "spread_widening", "revenue_collapse"
CHANNEL = "C0ALERTS"


def record(store, config, at, thesis_id, firing, previous=frozenset()):
    ev = evaluation(at, firing, previous)
    ev.status = replace(ev.status, thesis=thesis_id)
    with store.session() as session:
        return record_evaluation(session, replace(thesis(), id=thesis_id), ev, config, at)


def test_one_digest_per_day_and_route_with_every_alert_still_firing(tmp_path, fake_slack):
    url = f"sqlite:///{tmp_path / 'digest.db'}"
    config = Settings(
        database_url=url,
        slack_bot_token=TOKEN,
        slack_channel=CHANNEL,
        slack_api_url=fake_slack.api_url,
        routes=[Route(name="slack", notifier="slack"), Route(name="desk", notifier="console")],
        delivery_timeout=1,
    )
    desk = RecordingNotifier()
    store = Store.open(url)
    theses = ["alpha", "beta", "gamma"]
    for name in theses:
        record(store, config, T0, name, {SOFT})
    deliver_pending(store, config, now=T0, notifiers={"desk": desk})
    roots = {m.metadata["event_payload"]["alert"].split("/")[0]: m for m in fake_slack.roots()}

    firing = {name: {SOFT} for name in theses}
    for day in range(1, 5):
        morning = datetime(2025, 5, 1 + day, 9, 0)
        for name in theses:
            record(store, config, morning, name, firing[name], {SOFT})
        for hour in (9, 18):  # two passes a day
            deliver_pending(store, config, now=morning.replace(hour=hour), notifiers={"desk": desk})
        if day == 1:  # the owner decides about gamma: it leaves the digest
            with store.session() as session:
                acknowledge(session, "gamma", Decision.HOLD, "priced in", morning.replace(hour=10))
        if day == 2:  # beta stops firing: it drops out
            firing["beta"] = set()
            record(store, config, morning.replace(hour=12), "beta", set(), {SOFT})
    store.close()

    # A restart the same day sends nothing new.
    again = Store.open(url)
    restarted = deliver_pending(again, config, now=datetime(2025, 5, 5, 20, 0), notifiers={"desk": desk})
    again.close()
    assert restarted.outcomes == ()

    expected = [["alpha", "beta", "gamma"], ["alpha", "beta"], ["alpha"], ["alpha"]]
    assert desk.digests() == expected
    digests = [m for m in fake_slack.roots(CHANNEL) if m.metadata["event_payload"]["kind"] == "digest"]
    assert [m.metadata["event_payload"]["key"] for m in digests] == [
        f"digest/2025-05-0{d}T00:00@slack" for d in range(2, 6)
    ]
    assert [[s for s in theses if f"`{s}`" in json.dumps(m.blocks)] for m in digests] == expected
    first = json.dumps(digests[0].blocks)
    assert digests[0].blocks[0]["text"]["text"] == ":bell: Daily digest: 3 alerts still firing"
    for name, root in roots.items():  # each alert links its own thread
        assert f"archives/{CHANNEL}/p{root.ts.replace('.', '')}|thread" in first, name
    for fact in ("firing since 2025-05-01 12:00 UTC", "*fred.BAMLH0A0HYM2*: 5.6 percent (threshold > 5)",
                 "known 2025-04-02", "Not acknowledged"):
        assert fact in first
    assert "1 acknowledged alert not shown" in json.dumps(digests[1].blocks)
    assert not any(m.thread_ts for m in digests)


@pytest.fixture
def config() -> Settings:
    return Settings(
        database_url="sqlite://",
        routes=[Route(name="desk", notifier="console"), Route(name="pager", notifier="console", severities=["kill_switch"])],
    )


def queued(store, config, now) -> dict[str, list[tuple[str, str, str]]]:
    rows = queue_digests(store, config, now)
    return {
        row.route: [(e.thesis, e.rule, e.decision) for e in Notification.from_json(row.payload_json).digest]
        for row in rows
    }


def test_a_kill_switch_keeps_the_soft_warnings_of_its_thesis_out(store, config):
    record(store, config, T0, "liquidity_regime", {SOFT})
    record(store, config, T0 + timedelta(hours=1), "liquidity_regime", {SOFT, KILL}, {SOFT})
    got = queued(store, config, T0 + timedelta(days=1))
    assert got == {"desk": [("liquidity_regime", KILL, "")], "pager": [("liquidity_regime", KILL, "")]}
    assert queued(store, config, T0 + timedelta(days=1, hours=5)) == {}  # once per slot


def test_an_alert_that_spoke_during_the_slot_waits_for_the_next_one(store, config):
    record(store, config, T0, "liquidity_regime", {SOFT})
    assert queued(store, config, T0 + timedelta(hours=2)) == {}  # same day as its firing message
    assert list(queued(store, config, T0 + timedelta(days=1))) == ["desk"]


def test_an_expired_decision_is_shown_with_the_alert(store, config):
    record(store, config, T0, "liquidity_regime", {SOFT})
    with store.session() as session:
        acknowledge(session, "liquidity_regime", Decision.HOLD, "wait for Q2", T0 + timedelta(hours=1),
                    until=datetime(2025, 5, 3), unless="fred.BAMLH0A0HYM2 > 7")
    assert queued(store, config, datetime(2025, 5, 2, 8)) == {}  # silenced
    [(_, _, decision)] = queued(store, config, datetime(2025, 5, 3, 8))["desk"]
    assert decision == "hold: wait for Q2 (until 2025-05-03; unless fred.BAMLH0A0HYM2 > 7), expired (decided 2025-05-01)"


@pytest.mark.parametrize(
    ("interval", "offset", "now", "slot"),
    [
        ("1d", "0s", datetime(2025, 5, 2, 9, 30), datetime(2025, 5, 2)),
        ("1d", "7h", datetime(2025, 5, 2, 6, 59), datetime(2025, 5, 1, 7)),
        ("1d", "7h", datetime(2025, 5, 2, 7, 0), datetime(2025, 5, 2, 7)),
        ("12h", "0s", datetime(2025, 5, 2, 13, 0), datetime(2025, 5, 2, 12)),
        ("1w", "0s", datetime(2025, 5, 2), datetime(2025, 5, 1)),  # the epoch was a Thursday
    ],
)
def test_digest_slots(interval, offset, now, slot):
    assert digest_slot(now, Settings(reminder_interval=interval, reminder_offset=offset)) == slot


def test_thread_mode_sends_no_digest(store, config):
    threaded = config.model_copy(update={"reminder_mode": "thread"})
    record(store, threaded, T0, "liquidity_regime", {SOFT})
    assert queue_digests(store, threaded, T0 + timedelta(days=1)) == []
    rows = record(store, threaded, T0 + timedelta(days=1), "liquidity_regime", {SOFT}, {SOFT})
    assert [r.kind for r in rows] == ["reminder"]
