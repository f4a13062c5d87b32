"""Episodes missed while the daemon was down: a rule that began and stopped firing between
the last pass before a stop and the first pass after the restart opened no alert, so it is
told once, as an informational ``missed`` notification, through the same outbox path. So is
an add of a tranche plan that would have been announced and stopped being due in between."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from signalflow.alerts.lifecycle import queue_routed
from signalflow.alerts.message import build_notification, rule_stories
from signalflow.alerts.plan import add_notification
from signalflow.alerts.routes import accepts, resolve_routes
from signalflow.notifiers.notification import Kind
from signalflow.settings import Settings
from signalflow.store import plans as store_plans
from signalflow.store.enums import Severity
from signalflow.store.models import OutboxRow
from signalflow.thesis.model import Thesis
from signalflow.thesis.plan import AddEvent
from signalflow.thesis.plan_backtest import plan_backtest
from signalflow.thesis.results import Backtest, RuleState, RuleStatus, ThesisStatus, Transition


@dataclass(frozen=True)
class MissedEpisode:
    rule: str
    severity: str
    fired_at: datetime
    resolved_at: datetime


def missed_episodes(transitions: Sequence[Transition], since: datetime) -> list[MissedEpisode]:
    """The episodes of ``transitions`` (one thesis, in time order) that began after
    ``since`` and ended in them: a transition to firing followed by one out of it."""
    began: dict[str, datetime] = {}
    out = []
    for tr in sorted(transitions, key=lambda t: t.at):
        if tr.to_state is RuleState.FIRING:
            began[tr.rule] = tr.at
        elif tr.from_state is RuleState.FIRING and tr.rule in began:
            start = began.pop(tr.rule)
            if start > since:
                out.append(MissedEpisode(tr.rule, tr.severity, start, tr.at))
    return out


def missed_key(thesis: str, episode: MissedEpisode) -> str:
    return f"{thesis}/{episode.rule}/missed/{episode.fired_at.isoformat()}"


def record_missed(
    session: Session,
    thesis: Thesis,
    status_at: Callable[[datetime], ThesisStatus | None],
    episodes: Sequence[MissedEpisode],
    settings: Settings,
    now: datetime,
) -> list[OutboxRow]:
    """Queue one ``missed`` notification per episode and route, showing the thesis as it
    was when the episode began (``status_at``, the backtest's); the key names the thesis,
    rule and start of the episode, so a second replay of the same downtime queues nothing."""
    routes = resolve_routes(thesis, settings)
    written: list[OutboxRow] = []
    for episode in episodes:
        status = status_at(episode.fired_at)
        if status is None:
            continue
        rules = {r.name: r for r in status.rules}
        rule = rules.get(episode.rule) or RuleStatus(episode.rule, episode.severity, RuleState.INACTIVE, None)
        missed = (
            f"Missed while the daemon was down: fired from {episode.fired_at:%Y-%m-%d %H:%M}"
            f" to {episode.resolved_at:%Y-%m-%d %H:%M} UTC."
        )
        rule = dataclasses.replace(rule, why=f"{missed} {rule.why}".strip())
        key = missed_key(thesis.id, episode)
        base = build_notification(
            key=key,
            alert_key=key,
            kind=Kind.MISSED,
            thesis=thesis,
            status=status,
            rule=rule,
            fired_at=episode.fired_at,
            at=episode.resolved_at,
            stories=rule_stories(session, rule, episode.fired_at),
        )
        written += queue_routed(session, base, [r for r in routes if accepts(r, rule.severity)], now)
    session.flush()
    return written


@dataclass(frozen=True)
class MissedAdd:
    number: int
    due_since: datetime  # the first instant of the episode (its condition held)
    announced_at: datetime  # when the daemon would have told it
    cleared_at: datetime  # when its condition stopped holding


def missed_adds(events: Sequence[dict], since: datetime) -> list[MissedAdd]:
    """The add episodes of ``events`` (:func:`signalflow.thesis.plan_backtest.plan_backtest`'s,
    in time order) announced after ``since`` and cleared in them."""
    due: dict[int, datetime] = {}
    announced: dict[int, datetime] = {}
    out = []
    for event in events:
        number, at, kind = event["add"], datetime.fromisoformat(event["at"]), AddEvent(event["event"])
        if kind is AddEvent.CLEARED:
            start, told = due.pop(number, None), announced.pop(number, None)
            if start is not None and told is not None and told > since:
                out.append(MissedAdd(number, start, told, at))
            continue
        due.setdefault(number, at)
        if kind is AddEvent.ANNOUNCED:
            announced[number] = at
    return out


def missed_add_key(thesis: str, add: MissedAdd) -> str:
    return f"{thesis}/plan/add{add.number}/missed/{add.due_since.isoformat()}"


def record_missed_adds(
    session: Session, thesis: Thesis, backtest: Backtest, since: datetime, settings: Settings, now: datetime
) -> list[OutboxRow]:
    """Queue one ``missed`` notification per route for each add of ``thesis``'s plan that the
    daemon would have announced after ``since`` and that stopped being due before ``now``
    (the backtest's :func:`plan_backtest`, the same step the daemon takes). An add the owner
    took is not told; the key names the add and its episode's start, so a second replay of
    the same downtime queues nothing."""
    plan = thesis.plan
    if plan is None or not plan.adds or backtest.status_at is None:
        return []
    taken = {t.number for t in store_plans.tranches(session, thesis.id)}
    routes = [r for r in resolve_routes(thesis, settings) if accepts(r, Severity.INFO)]
    written: list[OutboxRow] = []
    for missed in missed_adds(plan_backtest(thesis, backtest), since):
        status = backtest.status_at(missed.announced_at)
        if status is None or missed.number in taken:
            continue
        key = missed_add_key(thesis.id, missed)
        told = add_notification(key, thesis, plan, plan.add(missed.number), status, missed.due_since)
        why = (
            f"Missed while the daemon was down: due from {missed.due_since:%Y-%m-%d %H:%M}"
            f" to {missed.cleared_at:%Y-%m-%d %H:%M} UTC; its condition no longer holds."
        )
        told = dataclasses.replace(
            told, kind=Kind.MISSED, at=missed.cleared_at, summary=told.summary.replace(" is due:", " was due:", 1),
            why=f"{why} {told.why}",
        )
        written += queue_routed(session, told, routes, now)
    session.flush()
    return written
