"""Ops notifications: the daemon telling its owner about itself (a stale source, a rule edit
that was rejected), written to the outbox so they are delivered exactly once like alerts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from signalflow.alerts.lifecycle import queue_routed
from signalflow.alerts.routes import accepts, default_routes
from signalflow.notifiers.notification import Kind, Notification
from signalflow.settings import Settings
from signalflow.store.enums import Severity
from signalflow.store.models import OutboxRow

OPS_SEVERITY = Severity.INFO


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
    routes = [r for r in default_routes(settings) if accepts(r, OPS_SEVERITY)]
    written = queue_routed(session, base, routes, now)
    session.flush()
    return written
