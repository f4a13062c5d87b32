"""Ops notifications: the daemon telling its owner about itself (a stale source, a rule edit
that was rejected), written to the outbox so they are delivered exactly once like alerts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from signalflow.alerts.lifecycle import routed
from signalflow.alerts.routes import accepts, default_routes
from signalflow.notifiers.notification import Kind, Notification
from signalflow.settings import Settings
from signalflow.store.models import OutboxRow

OPS_SEVERITY = "info"


def queue_ops(
    session: Session, settings: Settings, key: str, title: str, summary: str, now: datetime, subject: str = ""
) -> list[OutboxRow]:
    """Queue one ops notification per route that takes ``info``; ``key`` (``ops/...``) makes
    a second call with the same key a no-op. Returns the rows written."""
    base = Notification(
        key=key,
        alert_key=key,
        kind=Kind.OPS,
        severity=OPS_SEVERITY,
        thesis="signalflow",
        title=title,
        rule=subject,
        at=now,
        summary=summary,
    )
    written = []
    for route in default_routes(settings):
        if not accepts(route, OPS_SEVERITY):
            continue
        dedup = f"{key}@{route.name}"
        if session.exec(select(OutboxRow.id).where(OutboxRow.dedup_key == dedup)).first() is not None:
            continue
        row = OutboxRow(
            dedup_key=dedup,
            kind=Kind.OPS.value,
            notifier=route.notifier,
            route=route.name,
            payload_json=routed(base, route, dedup).to_json(),
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        written.append(row)
    session.flush()
    return written
