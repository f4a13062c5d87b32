"""The reminder digest: once per ``reminder_interval`` and route, ONE message listing every
alert still firing there, instead of a reminder per alert.

Time is cut into slots of ``reminder_interval`` starting ``reminder_offset`` after 00:00 UTC
(daily by default). An alert enters a slot's digest when it fires, was notified before the
slot began (an alert that spoke during the slot is not repeated in it), is not a Soft
Warning of a thesis whose Kill Switch fires, and no active decision (``signalflow ack``)
silences it. Its routes are the routes its own notifications took. The digest is written
to the outbox under the key ``digest/<slot>@<route>``, so a second pass, a restart or a
second worker in the same slot writes nothing new.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from signalflow.alerts.lifecycle import KILL, SOFT, alert_key, queue_routed
from signalflow.notifiers.base import Receipt
from signalflow.notifiers.notification import DigestEntry, InputLine, Kind, Notification, StoryLine
from signalflow.settings import Route, Settings, format_duration
from signalflow.store import alerts as store_alerts
from signalflow.store import outbox
from signalflow.store.models import AlertRow, DecisionRow, OutboxRow

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1)


def digest_slot(now: datetime, settings: Settings) -> datetime:
    """The start of the digest slot holding ``now``."""
    interval = settings.reminder_interval
    start = EPOCH + settings.reminder_offset
    return start + ((now - start) // interval) * interval


def queue_digests(store, settings: Settings, now: datetime) -> list[OutboxRow]:
    """Write the due digest of each route (one transaction); return the rows written.

    A concurrent worker that wrote the same digest first wins: this pass writes nothing
    then, and the next pass fills in any route still missing.
    """
    if settings.reminder_mode != "digest":
        return []
    try:
        with store.session() as session:
            rows = queue_due(session, settings, now)
    except IntegrityError:
        log.info("another worker queued the digests of this slot first")
        return []
    return rows


def queue_due(session: Session, settings: Settings, now: datetime) -> list[OutboxRow]:
    """Queue the digests of the slot holding ``now`` not yet in the outbox; return the rows."""
    slot = digest_slot(now, settings)
    firing = store_alerts.firing(session)
    killed = {a.thesis for a in firing if a.severity == KILL}
    candidates = [
        a for a in firing
        if a.last_notified_at is not None and a.last_notified_at < slot and not (a.severity == SOFT and a.thesis in killed)
    ]
    if not candidates:
        return []
    decisions = store_alerts.decisions_of(session, {a.thesis for a in candidates})
    first_rows = outbox.first_rows(session, [a.id for a in candidates])
    by_route: dict[str, list[DigestEntry]] = defaultdict(list)
    silenced: dict[str, int] = defaultdict(int)
    notifier_of: dict[str, str] = {}
    for alert in sorted(candidates, key=lambda a: (a.severity != KILL, a.fired_at, a.id)):
        decision = _latest_decision(decisions.get(alert.thesis, []), alert)
        active = decision is not None and _silences(decision, now)
        for route, row in first_rows.get(alert.id, {}).items():
            notifier_of[route] = row.notifier
            if active:
                silenced[route] += 1
            else:
                by_route[route].append(_entry(alert, decision, row, now))
    rows = []
    for name, entries in by_route.items():
        key = f"digest/{slot:%Y-%m-%dT%H:%M}"
        if outbox.exists(session, f"{key}@{name}"):
            continue  # queued earlier in this slot
        route = next((r for r in settings.routes if r.name == name), None) or Route(name=name, notifier=notifier_of[name])
        notification = digest_notification(key, entries, silenced[name], settings, now)
        rows += queue_routed(session, notification, [route], now)
    return rows


def digest_notification(
    key: str, entries: list[DigestEntry], silenced: int, settings: Settings, now: datetime
) -> Notification:
    every = "Daily digest" if settings.reminder_interval == timedelta(days=1) else (
        f"Digest (every {format_duration(settings.reminder_interval)})"
    )
    count = f"{len(entries)} alert{'s' if len(entries) != 1 else ''} still firing"
    note = f"{silenced} acknowledged alert{'s' if silenced != 1 else ''} not shown" if silenced else ""
    return Notification(
        key=key,
        alert_key=key.split("@", 1)[0],
        kind=Kind.DIGEST,
        severity=KILL if any(e.severity == KILL for e in entries) else SOFT,
        thesis="signalflow",
        title=f"{every}: {count}",
        rule="",
        at=now,
        summary=", ".join(f"{e.thesis}/{e.rule}" for e in entries),
        note=note,
        digest=tuple(entries),
    )


def _entry(alert: AlertRow, decision: DecisionRow | None, first: OutboxRow, now: datetime) -> DigestEntry:
    detail = json.loads(alert.detail_json or "{}")
    thread = Receipt.from_json(first.receipt_json)  # set once the first message is posted
    return DigestEntry(
        alert_key=alert_key(alert),
        thesis=alert.thesis,
        title=detail.get("title", alert.thesis),
        rule=alert.rule,
        severity=alert.severity,
        fired_at=alert.fired_at,
        summary=alert.summary or alert.rule.replace("_", " "),
        inputs=tuple(InputLine(**i) for i in detail.get("inputs", ())),
        decision=_describe(decision, now) if decision else "",
        plan=detail.get("plan", ""),
        channel=thread.channel if thread else "",
        ts=thread.ts if thread else "",
        stories=tuple(StoryLine(**s) for s in detail.get("stories", ())),
    )


def _latest_decision(decisions: list[DecisionRow], alert: AlertRow) -> DecisionRow | None:
    """The last decision taken about this episode (same rule or the whole thesis)."""
    mine = [d for d in decisions if d.rule in ("", alert.rule) and d.decided_at >= alert.fired_at]
    active = [d for d in mine if d.rearmed_at is None]
    return (active or mine or [None])[-1]


def _silences(decision: DecisionRow, now: datetime) -> bool:
    return decision.rearmed_at is None and (decision.until is None or now < decision.until)


def _describe(decision: DecisionRow, now: datetime) -> str:
    text = f"{decision.decision}: {decision.note}" if decision.note else decision.decision
    terms = []
    if decision.until is not None:
        terms.append(f"until {decision.until:%Y-%m-%d}")
    if decision.unless_expr:
        terms.append(f"unless {decision.unless_expr}")
    if terms:
        text += f" ({'; '.join(terms)})"
    if decision.rearmed_at is not None:
        text += f", re-armed {decision.rearmed_at:%Y-%m-%d}"
    elif decision.until is not None and now >= decision.until:
        text += ", expired"
    return f"{text} (decided {decision.decided_at:%Y-%m-%d})"
