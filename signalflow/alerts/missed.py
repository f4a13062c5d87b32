"""Episodes missed while the daemon was down: a rule that began and stopped firing between
the last pass before a stop and the first pass after the restart opened no alert, so it is
told once, as an informational ``missed`` notification, through the same outbox path."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from signalflow.alerts.lifecycle import queue_routed
from signalflow.alerts.message import build_notification, rule_stories
from signalflow.alerts.routes import accepts, resolve_routes
from signalflow.notifiers.notification import Kind
from signalflow.settings import Settings
from signalflow.store.models import OutboxRow
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import RuleState, RuleStatus, ThesisStatus, Transition


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
