"""The journal: every alert episode and every decision, oldest first. Read-only: nothing in
signalflow deletes these rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from signalflow.store.models import AlertRow, DecisionRow


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    entry: str  # alert | decision
    thesis: str
    rule: str
    what: str  # alert: severity; decision: hold | trim | exit | ignore
    state: str  # alert: firing | resolved; decision: active | re-armed
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
            a.fired_at, "alert", a.thesis, a.rule, a.severity, a.state, a.summary,
            alert_id=a.id, episode=a.episode, ended_at=a.resolved_at,
        )
        for a in session.exec(alerts)
    ]
    entries += [
        JournalEntry(
            d.decided_at, "decision", d.thesis, d.rule, d.decision, "re-armed" if d.rearmed_at else "active",
            d.note + (f" (unless {d.unless_expr})" if d.unless_expr else ""),
            alert_id=d.alert_id, until=d.until, ended_at=d.rearmed_at,
        )
        for d in session.exec(decisions)
    ]
    return sorted(entries, key=lambda e: (e.at, e.entry))
