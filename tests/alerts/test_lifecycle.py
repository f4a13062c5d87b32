"""Alert lifecycle over every storage backend: episodes, suppression, escalation, reminders,
acknowledgements, and idempotent recording."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from fakes.theses import ACCESSION, evaluation, thesis
from signalflow.alerts import Decision, acknowledge, pending_conditions, record_evaluation
from signalflow.settings import Route, Settings
from signalflow.store.models import AlertRow, DecisionRow, OutboxRow

T0 = datetime(2025, 5, 1, 12, 0)
SOFT, KILL = "spread_widening", "revenue_collapse"


@pytest.fixture
def config(tmp_path) -> Settings:
    # Per-alert reminders in their threads; the default digest is tested in test_digest.py.
    return Settings(
        database_url="sqlite://",
        routes=[Route(name="desk", notifier="console"), Route(name="pager", notifier="console", severities=["kill_switch"])],
        reminder_mode="thread",
    )


def record(store, config, at, firing, previous=frozenset(), **kwargs):
    with store.session() as session:
        rows = record_evaluation(session, thesis(), evaluation(at, firing, previous), config, at, **kwargs)
        return [(r.kind, r.route, r.dedup_key) for r in rows]


def outbox(store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def alerts(store) -> list[AlertRow]:
    with store.session() as session:
        return list(session.exec(select(AlertRow).order_by(AlertRow.id)))


def test_firing_opens_one_alert_and_recording_twice_writes_nothing(store, config):
    first = record(store, config, T0, {SOFT})
    again = record(store, config, T0, {SOFT}, previous={SOFT})
    assert first == [("firing", "desk", f"liquidity_regime/{SOFT}/1/firing@desk")]
    assert again == []
    assert [(a.rule, a.episode, a.state) for a in alerts(store)] == [(SOFT, 1, "firing")]
    payload = json.loads(outbox(store)[0].payload_json)
    assert payload["inputs"][0]["threshold"] == "> 5"
    assert payload["position"] == [["first_tranche", "1/3 of target"], ["add_size", "1/3 after two confirming quarters"]]


def test_keeps_firing_reminds_once_per_interval_then_resolves_and_a_new_episode_starts(store, config):
    record(store, config, T0, {SOFT})
    hourly = [record(store, config, T0 + timedelta(hours=h), {SOFT}, {SOFT}) for h in range(1, 24)]
    day = record(store, config, T0 + timedelta(days=1), {SOFT}, {SOFT})
    resolved = record(store, config, T0 + timedelta(days=1, hours=1), set(), {SOFT})
    refired = record(store, config, T0 + timedelta(days=2), {SOFT})
    assert all(rows == [] for rows in hourly)
    assert [k for k, _, _ in day] == ["reminder"]
    assert [k for k, _, _ in resolved] == ["resolved"]
    assert refired == [("firing", "desk", f"liquidity_regime/{SOFT}/2/firing@desk")]
    assert [(a.episode, a.state) for a in alerts(store)] == [(1, "resolved"), (2, "firing")]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # both fire at once: only the Kill Switch speaks, on both routes (the pager takes kills)
        ([{SOFT, KILL}], [("firing", KILL, "desk"), ("firing", KILL, "pager")]),
        # soft first, then kill: escalation; the soft resolve while the kill fires stays silent
        (
            [{SOFT}, {SOFT, KILL}, {KILL}],
            [("firing", SOFT, "desk"), ("escalated", KILL, "desk"), ("escalated", KILL, "pager")],
        ),
        # kill and soft together, then the kill resolves: the suppressed soft warning speaks now
        (
            [{SOFT, KILL}, {SOFT}],
            [("firing", KILL, "desk"), ("firing", KILL, "pager"), ("resolved", KILL, "desk"),
             ("resolved", KILL, "pager"), ("firing", SOFT, "desk")],
        ),
    ],
)
def test_kill_switch_suppresses_soft_warnings_and_escalates(store, config, steps, expected):
    previous: set[str] = set()
    for hour, firing in enumerate(steps):
        record(store, config, T0 + timedelta(hours=hour), firing, previous)
        previous = firing
    got = [(row.kind, row.dedup_key.split("/")[1], row.route) for row in outbox(store)]
    assert got == expected


def test_ack_silences_reminders_until_its_date_then_rearms(store, config):
    record(store, config, T0, {SOFT})
    with store.session() as session:
        rows = acknowledge(session, "liquidity_regime", Decision.HOLD, "spreads still below 6", T0 + timedelta(hours=1),
                           until=T0 + timedelta(days=3))
    assert [(r.rule, r.decision, r.alert_id is not None) for r in rows] == [(SOFT, "hold", True)]
    silenced = [record(store, config, T0 + timedelta(days=d), {SOFT}, {SOFT}) for d in (1, 2)]
    rearmed = record(store, config, T0 + timedelta(days=3), {SOFT}, {SOFT})
    after = record(store, config, T0 + timedelta(days=4), {SOFT}, {SOFT})
    assert silenced == [[], []]
    assert [k for k, _, _ in rearmed] == ["rearmed"]
    assert [k for k, _, _ in after] == ["reminder"]
    note = json.loads(outbox(store)[1].payload_json)["note"]
    assert "expired" in note
    with store.session() as session:
        journal = list(session.exec(select(DecisionRow)))
    assert journal[0].rearmed_at == T0 + timedelta(days=3)


def test_a_message_carries_the_last_decision_about_its_rule_or_thesis(store, config):
    record(store, config, T0, {SOFT})
    with store.session() as session:
        acknowledge(session, "liquidity_regime", Decision.HOLD, "spreads still below 6", T0 + timedelta(hours=1))
        session.add(DecisionRow(thesis="liquidity_regime", rule=KILL, decision=Decision.EXIT, note="not this one",
                                decided_at=T0 + timedelta(hours=2)))
        session.add(DecisionRow(thesis="other", rule=SOFT, decision=Decision.EXIT, note="nor this",
                                decided_at=T0 + timedelta(hours=2)))
    resolved = record(store, config, T0 + timedelta(hours=3), set(), {SOFT})
    assert [k for k, _, _ in resolved] == ["resolved"]
    assert json.loads(outbox(store)[-1].payload_json)["note"] == "hold: spreads still below 6"


def test_only_decisions_about_the_alert_silence_it(store, config):
    """A decision silences an alert's reminders when it is about its thesis, as a whole or
    about its rule, and was taken while it fired; every other decision leaves it reminding."""
    record(store, config, T0, {SOFT})
    rows = []
    with store.session() as session:
        for thesis_id, rule, when in (
            ("liquidity_regime", KILL, T0 + timedelta(hours=1)),  # another rule
            ("other_thesis", SOFT, T0 + timedelta(hours=1)),  # another thesis
            ("liquidity_regime", SOFT, T0 - timedelta(hours=1)),  # before it fired
        ):
            session.add(DecisionRow(thesis=thesis_id, rule=rule, decision=Decision.HOLD, decided_at=when))
        session.commit()
    rows.append(record(store, config, T0 + timedelta(days=1), {SOFT}, {SOFT}))
    with store.session() as session:  # the thesis as a whole, while it fires
        session.add(DecisionRow(thesis="liquidity_regime", rule="", decision=Decision.HOLD, decided_at=T0 + timedelta(days=1, hours=1)))
        session.commit()
    rows.append(record(store, config, T0 + timedelta(days=2), {SOFT}, {SOFT}))
    assert [[k for k, _, _ in r] for r in rows] == [["reminder"], []]


def test_a_thesis_wide_decision_rearms_once_for_two_firing_alerts(store, config):
    """Two Soft Warnings fire and the owner holds the whole thesis until a date: when it
    passes, the decision re-arms once, in one alert's thread, and the other alert reminds
    (as when each alert read the decisions from the store after the previous re-armed it)."""
    from dataclasses import replace

    from signalflow.thesis.results import RuleState, RuleStatus

    second = replace(thesis().soft_warning[0], name="spread_wider")
    two = replace(thesis(), soft_warning=(*thesis().soft_warning, second))

    def both(at):
        ev = evaluation(at, {SOFT})
        rule = RuleStatus("spread_wider", "soft_warning", RuleState.FIRING, True, fired_at=at, why="fires")
        return replace(ev, status=replace(ev.status, rules=(*ev.status.rules, rule)))

    with store.session() as session:
        record_evaluation(session, two, both(T0), config, T0)
        session.add(DecisionRow(thesis="liquidity_regime", rule="", decision=Decision.HOLD, decided_at=T0 + timedelta(hours=1),
                                until=T0 + timedelta(days=2)))
        session.commit()
    with store.session() as session:
        later = T0 + timedelta(days=2)
        rows = record_evaluation(session, two, both(later), config, later)
        session.commit()
    assert [r.kind for r in rows] == ["rearmed", "reminder"]  # the other alert reminds again


def test_ack_unless_condition_rearms_when_it_becomes_true(store, config):
    record(store, config, T0, {SOFT})
    with store.session() as session:
        acknowledge(session, "liquidity_regime", Decision.HOLD, "watch", T0, rule=SOFT, unless="fred.BAMLH0A0HYM2 > 7")
    asked: list[tuple[str, datetime]] = []

    def condition(text, at):  # stands in for the engine: true from day 2 on
        asked.append((text, at))
        return at >= T0 + timedelta(days=2)

    def values(at):  # what the caller that runs the engine hands in: each pending condition's value
        with store.session() as session:
            return {text: condition(text, at) for text in pending_conditions(session, "liquidity_regime")}

    day1 = record(store, config, T0 + timedelta(days=1), {SOFT}, {SOFT}, unless=values(T0 + timedelta(days=1)))
    day2 = record(store, config, T0 + timedelta(days=2), {SOFT}, {SOFT}, unless=values(T0 + timedelta(days=2)))
    assert day1 == []
    assert [k for k, _, _ in day2] == ["rearmed"]
    assert asked[0] == ("fred.BAMLH0A0HYM2 > 7", T0 + timedelta(days=1))


def test_routes_follow_the_thesis_notify_names_and_severities(store, config):
    with store.session() as session:
        rows = record_evaluation(session, thesis(notify=("pager",)), evaluation(T0, {SOFT}), config, T0)
        assert rows == []  # the pager route takes Kill Switches only
        rows = record_evaluation(session, thesis(notify=("pager",)), evaluation(T0, {KILL}), config, T0)
        assert [(r.route, r.notifier) for r in rows] == [("pager", "console")]
    payload = json.loads(outbox(store)[0].payload_json)
    assert payload["inputs"][0]["url"] == f"https://www.sec.gov/Archives/edgar/data/1045810/{ACCESSION.replace('-', '')}/"
