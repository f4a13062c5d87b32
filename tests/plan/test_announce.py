"""A plan's add through the real engine and store: announced once per episode as an
informational notification, withheld while a Soft Warning fires or the price is stretched
(then announced once that clears), and the plan's instruction in every warning's message."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from rich.console import Console
from sqlmodel import select

from fakes.planned import LAST_DAY, START, observe, write_rules
from signalflow import service
from signalflow.alerts import deliver_pending
from signalflow.alerts.digest import queue_due
from signalflow.notifiers.console import ConsoleNotifier
from signalflow.notifiers.email import compose
from signalflow.notifiers.notification import Kind, Notification
from signalflow.notifiers.slack_blocks import blocks_for, fallback_text
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow, utcnow
from signalflow.thesis.live import LiveEvaluator

SOFT = "Hold the first tranche; take no add until it clears"
KILL = "Sell every tranche"


def run(tmp_path, days=range(LAST_DAY + 1), store=None, url=None, live=False):
    url = url or f"sqlite:///{tmp_path / 'plan.db'}"
    config = Settings(database_url=url, rules_dir=write_rules(tmp_path), routes=[Route(name="log", notifier="console")])
    theses = service.load_theses(config)
    store = store or Store.open(url)
    evaluator = LiveEvaluator(store) if live else None  # the daemon's: indexes kept between passes
    adds = {}
    for day in days:
        at = observe(store, day)
        service.evaluate(config, store, theses, at=at + timedelta(hours=1), live=evaluator)
        adds[day] = [Notification.from_json(r.payload_json) for r in outbox(store) if r.kind == Kind.ADD]
    return config, store, adds


def outbox(store: Store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def test_an_add_is_announced_once_per_episode_and_withheld_while_warned_or_stretched(tmp_path, database_url):
    config, store, adds = run(tmp_path, url=database_url)
    try:
        counts = {day: len(found) for day, found in adds.items()}
        assert counts[13] == 0, "withheld while the Soft Warning fires"
        assert counts[14] == 1, "announced once the Soft Warning cleared"
        assert counts[15] == counts[16] == 1, "once per episode"
        assert counts[17] == 1, "withheld while the price is stretched"
        assert counts[18] == 2, "announced again when the stretch cleared: a new episode"
        first, second = adds[LAST_DAY]
        assert first.severity == "info" and first.kind is Kind.ADD
        assert first.headline == "Plan add — Info: Planned: build the position in tranches"
        assert "Add 1 of the plan is due: 25% of the intended position (to 75%" in first.summary
        assert first.fired_at == START + timedelta(days=13)  # due since the condition first held (on the daily grid)
        assert "signalflow tranche planned add 1" in first.why
        assert first.expression == "fred.REV > 20"
        assert second.fired_at == START + timedelta(days=17)  # due since it held, withheld while stretched
        with store.session() as session:
            from signalflow.store.plans import add_states

            [state] = add_states(session, "planned").values()
        assert state.due_since is None and state.announced_at is None  # day 19: revenue fell, episode over
        report = deliver_pending(store, config)
        assert report.failed == 0 and report.sent >= 2  # the console shows the adds like any message
    finally:
        store.close()


def test_a_taken_add_is_not_announced(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    store = Store.open(url)
    from signalflow.store.plans import record_tranche

    with store.session() as session:
        record_tranche(session, "planned", 1, 25.0, "bought early", START)
    try:
        _, _, adds = run(tmp_path, store=store)
        assert adds[LAST_DAY] == []
    finally:
        store.close()


def _console(n: Notification) -> str:
    out = io.StringIO()
    ConsoleNotifier(Console(file=out, width=200)).send(n)
    return out.getvalue()


def test_every_warning_message_carries_the_plans_instruction(tmp_path):
    config, store, _ = run(tmp_path)
    try:
        rows = [r for r in outbox(store) if r.kind != Kind.ADD]
        messages = [Notification.from_json(r.payload_json) for r in rows]
        soft = [n for n in messages if n.severity == "soft_warning" and n.kind is not Kind.RESOLVED]
        kill = [n for n in messages if n.severity == "kill_switch" and n.kind is not Kind.RESOLVED]
        resolved = [n for n in messages if n.kind is Kind.RESOLVED]
        assert soft and kill and resolved
        assert all(n.plan == "" for n in resolved)  # the instruction no longer applies
        assert all(n.plan == SOFT for n in soft) and all(n.plan == KILL for n in kill)
        for n, text in ((soft[0], SOFT), (kill[0], KILL)):
            assert f"Plan: {text}" in _console(n)
            assert f"Plan: {text}" in compose(n, "a@example.com", ("b@example.com",), None).get_content()
            assert f"*Plan*: {text}" in json.dumps([b.to_dict() for b in blocks_for(n)])
            assert f"Plan: {text}" in fallback_text(n)
            assert n.to_dict()["plan"] == text  # what the webhook posts
        # The digest of alerts still firing (the Kill Switch opened on the last day) says it too.
        with store.session() as session:
            [digest] = queue_due(session, config, utcnow() + timedelta(days=2))
        entries = Notification.from_json(digest.payload_json).digest
        assert [e.plan for e in entries] == [KILL]
        assert f"Plan: {KILL}" in _console(Notification.from_json(digest.payload_json))
    finally:
        store.close()


def test_the_daemons_live_evaluator_announces_the_same(tmp_path):
    _, store, adds = run(tmp_path, live=True)
    try:
        assert {day: len(found) for day, found in adds.items() if day >= 13} == {
            13: 0, 14: 1, 15: 1, 16: 1, 17: 1, 18: 2, 19: 2,
        }
    finally:
        store.close()
