"""The alert and decision queries, and the journal: every alert episode and every decision,
oldest first. Each function works in the caller's session, so the alert layer can read and
write in the one transaction that also saves the engine state. Nothing here deletes a row:
the journal is kept for good.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from signalflow.store.enums import AlertState, Decision, DecisionState, Severity
from signalflow.store.models import AlertRow, DecisionRow
from signalflow.store.plans import tranche_label, tranches


def firing(session: Session, thesis: str | None = None, rule: str | None = None) -> list[AlertRow]:
    """Open alerts (of ``thesis``, of its ``rule``), oldest first."""
    query = select(AlertRow).where(AlertRow.state == AlertState.FIRING)
    if thesis is not None:
        query = query.where(AlertRow.thesis == thesis)
    if rule:
        query = query.where(AlertRow.rule == rule)
    return list(session.exec(query.order_by(col(AlertRow.id))))


def firing_of(session: Session, theses: Iterable[str]) -> dict[str, list[AlertRow]]:
    """:func:`firing` of each of ``theses`` that has open alerts, in one query."""
    found: dict[str, list[AlertRow]] = defaultdict(list)
    query = select(AlertRow).where(AlertRow.state == AlertState.FIRING, col(AlertRow.thesis).in_(sorted(set(theses))))
    for alert in session.exec(query.order_by(col(AlertRow.id))):
        found[alert.thesis].append(alert)
    return dict(found)


def last_episodes(session: Session, thesis: str) -> dict[str, int]:
    """The episode number of the latest alert of every rule of ``thesis`` that ever fired
    (a rule missing has never fired: episode 0), in one query."""
    rows = session.exec(
        select(AlertRow.rule, func.max(AlertRow.episode)).where(AlertRow.thesis == thesis).group_by(AlertRow.rule)
    )
    return {rule: episode or 0 for rule, episode in rows}


def ever_alerted(session: Session, thesis: str) -> bool:
    return session.exec(select(AlertRow.id).where(AlertRow.thesis == thesis)).first() is not None


def history(session: Session, thesis: str) -> list[AlertRow]:
    """Every alert episode of ``thesis``, in the order they fired."""
    return list(session.exec(select(AlertRow).where(AlertRow.thesis == thesis).order_by(col(AlertRow.fired_at))))


def counts(conn: sa.Connection) -> list[tuple[Severity, AlertState, int]]:
    """How many alert episodes there are of each severity and state (for the metrics)."""
    rows = conn.execute(
        sa.select(AlertRow.severity, AlertRow.state, sa.func.count()).group_by(AlertRow.severity, AlertRow.state)
    ).all()
    return sorted((Severity(s), AlertState(st), n) for s, st, n in rows)


def active_decisions(session: Session, alert: AlertRow) -> list[DecisionRow]:
    """Decisions taken while this alert fired that have not re-armed."""
    return list(
        session.exec(
            select(DecisionRow)
            .where(
                DecisionRow.thesis == alert.thesis,
                col(DecisionRow.rule).in_(["", alert.rule]),
                col(DecisionRow.rearmed_at).is_(None),
                DecisionRow.decided_at >= alert.fired_at,
            )
            .order_by(col(DecisionRow.id))
        )
    )


def unrearmed_decisions(session: Session, thesis: str) -> list[DecisionRow]:
    """Every decision about ``thesis`` (or one of its rules) that has not re-armed, oldest
    first: what :func:`active_decisions` filters, for all of a thesis's alerts at once."""
    return list(
        session.exec(
            select(DecisionRow)
            .where(DecisionRow.thesis == thesis, col(DecisionRow.rearmed_at).is_(None))
            .order_by(col(DecisionRow.id))
        )
    )


def decisions_of(session: Session, theses: Iterable[str]) -> dict[str, list[DecisionRow]]:
    """Every decision about each of ``theses``, oldest first."""
    found: dict[str, list[DecisionRow]] = defaultdict(list)
    query = select(DecisionRow).where(col(DecisionRow.thesis).in_(sorted(theses))).order_by(col(DecisionRow.id))
    for decision in session.exec(query):
        found[decision.thesis].append(decision)
    return found


def add_decisions(
    session: Session,
    thesis: str,
    alerts: list[AlertRow],
    decision: Decision,
    note: str,
    now: datetime,
    *,
    rule: str = "",
    until: datetime | None = None,
    unless: str = "",
) -> list[DecisionRow]:
    """One decision row per alert in ``alerts``, or one for the thesis (or ``rule``) alone
    when the list is empty."""
    rows = [
        DecisionRow(
            thesis=thesis,
            rule=alert.rule if alert else rule,
            alert_id=alert.id if alert else None,
            decision=Decision(decision),
            note=note,
            until=until,
            unless_expr=unless,
            decided_at=now,
        )
        for alert in (alerts or [None])
    ]
    session.add_all(rows)
    session.flush()
    return rows


class EntryKind(enum.StrEnum):
    """What a journal line records."""

    ALERT = "alert"
    DECISION = "decision"
    TRANCHE = "tranche"  # a tranche of the thesis's plan the owner says was taken


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    entry: EntryKind
    thesis: str
    rule: str
    what: Severity | Decision | str  # a tranche: 'first' or 'add N'
    state: AlertState | DecisionState | str  # a tranche: 'taken'
    detail: str
    alert_id: int | None = None
    episode: int | None = None
    until: datetime | None = None
    ended_at: datetime | None = None  # alert resolved / decision re-armed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("at", "until", "ended_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


def journal(session: Session, thesis: str | None = None) -> list[JournalEntry]:
    alerts = select(AlertRow).order_by(col(AlertRow.id))
    decisions = select(DecisionRow).order_by(col(DecisionRow.id))
    if thesis:
        alerts = alerts.where(AlertRow.thesis == thesis)
        decisions = decisions.where(DecisionRow.thesis == thesis)
    entries = [
        JournalEntry(
            a.fired_at, EntryKind.ALERT, a.thesis, a.rule, Severity(a.severity), AlertState(a.state), a.summary,
            alert_id=a.id, episode=a.episode, ended_at=a.resolved_at,
        )
        for a in session.exec(alerts)
    ]
    entries += [
        JournalEntry(
            d.decided_at, EntryKind.DECISION, d.thesis, d.rule, Decision(d.decision),
            DecisionState.REARMED if d.rearmed_at else DecisionState.ACTIVE,
            d.note + (f" (unless {d.unless_expr})" if d.unless_expr else ""),
            alert_id=d.alert_id, until=d.until, ended_at=d.rearmed_at,
        )
        for d in session.exec(decisions)
    ]
    entries += [
        JournalEntry(
            t.taken_at, EntryKind.TRANCHE, t.thesis, "", tranche_label(t.number), "taken",
            "; ".join(x for x in (f"{t.size:g}% of the position" if t.size is not None else "", t.note) if x),
        )
        for t in tranches(session, thesis)
    ]
    return sorted(entries, key=lambda e: (e.at, e.entry))


def pending_unless_all(session: Session) -> dict[str, list[str]]:
    """:func:`pending_unless` of every thesis that has some, in one query."""
    rows = session.exec(
        select(DecisionRow.thesis, DecisionRow.unless_expr)
        .where(DecisionRow.unless_expr != "", col(DecisionRow.rearmed_at).is_(None))
        .order_by(col(DecisionRow.id))
    )
    found: dict[str, dict[str, None]] = defaultdict(dict)
    for thesis, text in rows:
        found[thesis][text] = None
    return {thesis: list(texts) for thesis, texts in found.items()}


def pending_unless(session: Session, thesis: str) -> list[str]:
    """The distinct ``--unless`` expressions of the decisions about ``thesis`` that have not
    re-armed yet, oldest first."""
    rows = session.exec(
        select(DecisionRow.unless_expr)
        .where(DecisionRow.thesis == thesis, DecisionRow.unless_expr != "", col(DecisionRow.rearmed_at).is_(None))
        .order_by(col(DecisionRow.id))
    )
    return list(dict.fromkeys(rows))
