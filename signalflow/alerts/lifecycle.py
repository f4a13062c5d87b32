"""Turn an evaluation into alert rows and outbox rows, inside the caller's transaction.

The alert table is reconciled with the rule states of the evaluation, not replayed from its
transitions, so recording the same evaluation twice changes nothing and a missed pass
cannot leave an alert open forever. Rules, in order:

- a rule that fires with no open alert opens one (episode = previous + 1) and notifies
  ``firing``, or ``escalated`` when it is a Kill Switch and Soft Warnings of the thesis
  were already notified;
- a firing Kill Switch suppresses the Soft Warning notifications of the thesis: their alerts
  open silently (``last_notified_at`` stays None) and notify once no Kill Switch fires;
- an open alert whose rule no longer fires is resolved, and notifies ``resolved`` if it was
  ever notified;
- an alert still firing is reminded of once per ``settings.reminder_interval``: by default
  in the route's digest (``alerts/digest.py``, queued by the delivery worker), with
  ``reminder_mode = "thread"`` by a ``reminder`` in its own thread; unless a decision
  (``signalflow ack``) silences it. When the decision's date passes or its ``unless``
  condition holds, the alert re-arms with a ``rearmed`` notification in its thread.

Nothing here evaluates: the evaluation carries the inputs and thresholds of every rule that
changed state or fires, and the caller that ran the engine hands in the values of the
``unless`` conditions. Each open alert keeps its latest values in ``detail_json`` (rewritten
only when they change) for the digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session

from signalflow.alerts.message import alert_detail, build_notification, rule_stories
from signalflow.alerts.routes import accepts, resolve_routes
from signalflow.notifiers.notification import Kind
from signalflow.settings import Route, Settings
from signalflow.store import alerts as store_alerts
from signalflow.store import outbox
from signalflow.store.enums import AlertState, Severity
from signalflow.store.models import AlertRow, DecisionRow, OutboxRow
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import Evaluation, RuleState, RuleStatus, ThesisStatus


KILL, SOFT = Severity.KILL_SWITCH, Severity.SOFT_WARNING

# The value of each `ack --unless` expression at the evaluated instant: True, False or None
# (unknown), computed by whoever ran the engine (see signalflow.service).
Conditions = Mapping[str, bool | None]


def alert_key(alert: AlertRow) -> str:
    return f"{alert.thesis}/{alert.rule}/{alert.episode}"


def record_evaluation(
    session: Session,
    thesis: Thesis,
    evaluation: Evaluation,
    settings: Settings,
    now: datetime,
    *,
    unless: Conditions | None = None,
    chart_path: str = "",
    open_alerts: list[AlertRow] | None = None,
) -> list[OutboxRow]:
    """Open, resolve and remind alerts for one thesis; return the outbox rows written.

    Call it in the transaction that saves the thesis's EngineState. ``unless`` holds the
    values of the acknowledgement conditions at the evaluated instant (expression -> value,
    see :func:`signalflow.alerts.ack.pending_conditions`); an expression it lacks does not
    re-arm, and without it only the ``--until`` date re-arms. ``chart_path`` names the chart
    the caller draws once this transaction committed; the messages that start a thread
    point at it. ``open_alerts``: the thesis's open alerts, when the caller read them in
    this transaction (``store_alerts.firing_of``), else they are read here.
    """
    recorder = _Recorder(session, thesis, evaluation.status, settings, now, chart_path, open_alerts)
    recorder.version = _version(evaluation)
    fired = {t.rule: t.at for t in evaluation.transitions if t.to_state is RuleState.FIRING}
    ended = {t.rule: t.at for t in evaluation.transitions if t.from_state is RuleState.FIRING}
    recorder.resolve_stopped(ended)
    recorder.open_started(fired)
    recorder.release_suppressed()
    recorder.remind(unless)
    recorder.keep_latest_values()
    session.flush()
    return recorder.written


class _Recorder:
    def __init__(
        self,
        session: Session,
        thesis: Thesis,
        status: ThesisStatus,
        settings: Settings,
        now: datetime,
        chart: str,
        open_alerts: list[AlertRow] | None = None,
    ) -> None:
        self.session = session
        self.thesis = thesis
        self.status = status
        self.settings = settings
        self.now = now
        self.chart = chart
        self.routes = resolve_routes(thesis, settings)
        self.rules = {r.name: r for r in status.rules}
        self.version = ""
        self.kill_firing = any(r.severity == KILL and r.state is RuleState.FIRING for r in status.rules)
        self.written: list[OutboxRow] = []
        found = open_alerts if open_alerts is not None else store_alerts.firing(session, thesis.id)
        self.open = {a.rule: a for a in found}
        self._decisions: list[DecisionRow] | None = None  # the thesis's not re-armed, read once
        self._episodes: dict[str, int] | None = None  # each rule's last episode, read once
        self._journal: list[DecisionRow] | None = None  # every decision about the thesis, read once

    def firing(self, name: str) -> bool:
        rule = self.rules.get(name)
        return rule is not None and rule.state is RuleState.FIRING

    def suppressed(self, alert: AlertRow) -> bool:
        return alert.severity == SOFT and self.kill_firing

    def resolve_stopped(self, ended: dict[str, datetime]) -> None:
        for name, alert in list(self.open.items()):
            if self.firing(name):
                continue
            alert.state = AlertState.RESOLVED
            alert.resolved_at = ended.get(name, self.status.at)
            self.session.add(alert)
            del self.open[name]
            if alert.last_notified_at is not None and not self.suppressed(alert):
                self.queue(alert, Kind.RESOLVED)

    def open_started(self, fired: dict[str, datetime]) -> None:
        soft_notified = any(
            a.severity == SOFT and a.last_notified_at is not None for a in self.open.values()
        )
        # Kill Switches first, so a Soft Warning firing in the same pass is already suppressed.
        starting = sorted(
            (r for r in self.status.rules if r.state is RuleState.FIRING and r.name not in self.open),
            key=lambda r: r.severity != KILL,
        )
        for rule in starting:
            alert = AlertRow(
                thesis=self.thesis.id,
                rule=rule.name,
                severity=Severity(rule.severity),
                episode=self.last_episode(rule.name) + 1,
                state=AlertState.FIRING,
                fired_at=rule.fired_at or fired.get(rule.name, self.status.at),
                summary=rule.summary,
                detail_json=json.dumps({"expression": rule.expression}),  # completed by keep_latest_values
            )
            self.session.add(alert)
            self.session.flush()
            self.open[rule.name] = alert
            self._episodes[rule.name] = alert.episode  # type: ignore[index]
            if self.suppressed(alert):
                continue
            self.queue(alert, Kind.ESCALATED if rule.severity == KILL and soft_notified else Kind.FIRING)

    def release_suppressed(self) -> None:
        for alert in self.open.values():
            if alert.last_notified_at is None and not self.suppressed(alert):
                self.queue(alert, Kind.FIRING)

    def remind(self, unless: Conditions | None) -> None:
        interval = self.settings.reminder_interval
        for alert in self.open.values():
            if alert.last_notified_at is None or self.suppressed(alert):
                continue
            decisions = self.active_decisions(alert)
            rearmed = [d for d in decisions if self.rearms(d, unless)]
            for decision in rearmed:
                decision.rearmed_at = self.now
                self.session.add(decision)
            if rearmed:
                why = "; ".join(_rearm_reason(d, self.now) for d in rearmed)
                self.queue(alert, Kind.REARMED, suffix=f"/{rearmed[0].id}", note=why)
                continue
            if decisions or self.settings.reminder_mode != "thread":
                continue
            if self.now - alert.last_notified_at >= interval:
                bucket = int((self.now - alert.fired_at) / interval)
                self.queue(alert, Kind.REMINDER, suffix=f"/{bucket}")

    def keep_latest_values(self) -> None:
        for name, alert in self.open.items():
            if json.loads(alert.detail_json or "{}").get("version") == self.version:
                continue
            rule = self.rules.get(name)
            if rule is None:
                continue
            stories = rule_stories(self.session, rule, self.status.at)
            detail = alert_detail(self.thesis, self.status, rule, self.version, stories)
            if detail != alert.detail_json:
                alert.detail_json = detail
                self.session.add(alert)

    def active_decisions(self, alert: AlertRow) -> list[DecisionRow]:
        """Decisions taken while this alert fired that have not re-armed (as
        ``store_alerts.active_decisions`` finds them; the thesis's decisions are read once
        for all its alerts, and one re-armed for an alert here is not active for the next)."""
        if self._decisions is None:
            self._decisions = store_alerts.unrearmed_decisions(self.session, self.thesis.id)
        return [
            d for d in self._decisions
            if d.rearmed_at is None and d.rule in ("", alert.rule) and d.decided_at >= alert.fired_at
        ]  # fmt: skip

    def last_episode(self, rule: str) -> int:
        """The episode number of the rule's latest alert; 0 when it never fired."""
        if self._episodes is None:
            self._episodes = store_alerts.last_episodes(self.session, self.thesis.id)
        return self._episodes.get(rule, 0)

    def latest_note(self, alert: AlertRow) -> str:
        """The last decision about the alert's thesis as a whole or about its rule, as a
        note ('' without one)."""
        if self._journal is None:
            self._journal = store_alerts.decisions_of(self.session, [self.thesis.id]).get(self.thesis.id, [])
        decision = next((d for d in reversed(self._journal) if d.rule in ("", alert.rule)), None)
        return f"{decision.decision}: {decision.note}" if decision else ""

    def rearms(self, decision: DecisionRow, unless: Conditions | None) -> bool:
        if decision.until is not None and self.now >= decision.until:
            return True
        return bool(decision.unless_expr) and unless is not None and unless.get(decision.unless_expr) is True

    def queue(self, alert: AlertRow, kind: Kind, suffix: str = "", note: str = "") -> None:
        rule = self.rules.get(alert.rule) or RuleStatus(alert.rule, alert.severity, RuleState.INACTIVE, None)
        key = f"{alert_key(alert)}/{kind.value}{suffix}"
        base = build_notification(
            key=key,
            alert_key=alert_key(alert),
            kind=kind,
            thesis=self.thesis,
            status=self.status,
            rule=rule,
            fired_at=alert.fired_at,
            at=self.status.at,
            note=note or self.latest_note(alert),
            chart_path=self.chart if kind.starts_thread else "",
            stories=rule_stories(self.session, rule, self.status.at),
        )
        routes = [r for r in self.routes if accepts(r, alert.severity)]
        self.written += queue_routed(self.session, base, routes, self.now, alert_id=alert.id)
        alert.last_notified_at = self.now
        self.session.add(alert)


def _version(evaluation: Evaluation) -> str:
    """Names what an evaluation saw: its instant and how many rows of each input were known
    (late data at the same instant changes it), so latest values are re-read only then."""
    seen = evaluation.state.memory.get("seen", {})
    return hashlib.sha256(json.dumps([evaluation.status.at.isoformat(), seen], sort_keys=True).encode()).hexdigest()[:16]


def routed(notification, route: Route, key: str):
    """The notification with the route's overrides (channel, recipients) and its own key. A
    route's URL is a secret: the deliverer reads it from the settings, the outbox never holds it."""
    return dataclasses.replace(notification, key=key, channel=route.channel, recipients=tuple(route.to))


def queue_routed(
    session: Session, notification, routes: list[Route], now: datetime, alert_id: int | None = None
) -> list[OutboxRow]:
    """Queue ``notification`` once per route (its key + ``@route``), each with the route's
    overrides; a route that already has it is skipped. Returns the rows written. Alerts,
    digests and ops messages all go through here to the store's one outbox writer."""
    written = []
    for route in routes:
        dedup = f"{notification.key}@{route.name}"
        row = outbox.queue(
            session,
            dedup_key=dedup,
            kind=notification.kind,
            notifier=route.notifier,
            route=route.name,
            payload_json=routed(notification, route, dedup).to_json(),
            now=now,
            alert_id=alert_id,
        )
        if row is not None:
            written.append(row)
    return written


def _rearm_reason(decision: DecisionRow, now: datetime) -> str:
    if decision.until is not None and now >= decision.until:
        return f"decision '{decision.decision}' expired on {decision.until:%Y-%m-%d}"
    return f"unless condition became true: {decision.unless_expr}"
