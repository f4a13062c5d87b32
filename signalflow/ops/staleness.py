"""Staleness as its own alert, separate from theses.

A *source* is stale when its last ``stale_failures`` collections failed, or when it has not
succeeded for ``stale_after``. A *release* is overdue when an SEC filer's next 10-Q/10-K is
``GRACE_DAYS`` past the date its filing calendar expects (``sec.TICKER.next_filing``), or
when a series' latest period ended longer ago than its frequency allows
(:func:`signalflow.sources.frequency.default_stale_after`).

Each subject notifies once when it turns stale and once when it recovers. The episode memory
is the outbox itself: keys ``ops/stale/<subject>/<episode>/stale`` and ``.../recovered``,
whose ``dedup_key`` makes every notification exactly-once even if two passes race.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from signalflow.ops.notify import queue_ops
from signalflow.redact import redact
from signalflow.settings import Settings
from signalflow.series import SeriesKind
from signalflow.sources.frequency import default_stale_after
from signalflow.sources.sec_calendar import GRACE_DAYS
from signalflow.store import outbox
from signalflow.store.models import OutboxRow

log = logging.getLogger(__name__)

PREFIX = "ops/stale/"


@dataclass(frozen=True)
class Staleness:
    """The condition of one subject (``source:fred``, ``release:sec.NVDA.next_filing``,
    ``release:fred.DGS10``) at one instant."""

    subject: str
    stale: bool
    reason: str


def assess_staleness(store, settings: Settings, refs: Iterable[str], now: datetime) -> list[Staleness]:
    """Every source that has been collected, and every release the referenced series expect."""
    found = [_source(row, settings, now) for row in store.source_health()]
    found += _releases(store, sorted(set(refs)), now)
    return found


def _source(row, settings: Settings, now: datetime) -> Staleness:
    subject = f"source:{row.source}"
    if row.consecutive_failures >= settings.stale_failures:
        reason = f"{row.consecutive_failures} collections in a row failed; last error: {redact(row.last_error)}"
        return Staleness(subject, True, reason)
    limit = settings.stale_after
    if row.last_success is not None and now - row.last_success > limit:
        return Staleness(subject, True, f"no successful collection since {row.last_success:%Y-%m-%d %H:%M} UTC")
    if row.last_success is None and row.consecutive_failures:
        return Staleness(subject, False, "failing, not yet stale")
    return Staleness(subject, False, "collecting")


def _releases(store, refs: list[str], now: datetime) -> list[Staleness]:
    calendars = sorted({f"sec.{r.split('.')[1]}.next_filing" for r in refs if r.startswith("sec.") and r.count(".") >= 2})
    plain = [r for r in refs if not r.startswith("sec.")]
    found = []
    frames = store.load(calendars + plain, until=now)
    for key in calendars:
        frame = frames.get(key)
        if frame is None or frame.data.empty:
            continue
        latest = frame.data.sort_values("known_at").iloc[-1]
        expected = latest["period_end"].to_pydatetime()
        overdue = now > expected + timedelta(days=GRACE_DAYS + 1)
        form = str(latest["source_ref"]).rsplit(" ", 1)[-1]
        reason = f"{form} expected by {expected:%Y-%m-%d}" + (f", {GRACE_DAYS} days' grace passed" if overdue else "")
        found.append(Staleness(f"release:{key}", overdue, reason))
    for key in plain:
        frame = frames.get(key)
        if frame is None or frame.data.empty or frame.kind is SeriesKind.EVENT:
            continue
        last_end = frame.data["period_end"].max().to_pydatetime()
        allowed = default_stale_after(frame.frequency or None)
        overdue = now - (last_end + timedelta(days=1)) > allowed
        reason = f"latest period ended {last_end:%Y-%m-%d}; a {frame.frequency or 'irregular'} series allows {allowed.days} days"
        found.append(Staleness(f"release:{key}", overdue, reason))
    return found


def notify_staleness(store, settings: Settings, refs: Iterable[str], now: datetime) -> list[OutboxRow]:
    """Assess every subject and queue a notification for each that turned stale or recovered
    since the last pass; one transaction. Returns the outbox rows written."""
    found = assess_staleness(store, settings, refs, now)
    written: list[OutboxRow] = []
    with store.session() as session:
        episodes = _episodes(session)
        for item in found:
            episode, open_ = episodes.get(item.subject, (0, False))
            if item.stale and not open_:
                key = f"{PREFIX}{item.subject}/{episode + 1}/stale"
                title = f"Stale: {item.subject}"
                log.warning("stale", extra={"subject": item.subject, "reason": item.reason})
            elif open_ and not item.stale:
                key = f"{PREFIX}{item.subject}/{episode}/recovered"
                title = f"Recovered: {item.subject}"
                log.info("recovered", extra={"subject": item.subject})
            else:
                continue
            written += queue_ops(session, settings, key, title, item.reason, now, subject=item.subject)
    return written


def _episodes(session: Session) -> dict[str, tuple[int, bool]]:
    """subject -> (latest episode, whether it is still open: stale notified, not recovered)."""
    keys = outbox.keys_with_prefix(session, PREFIX)
    seen: dict[str, dict[int, set[str]]] = {}
    for dedup in keys:
        subject, episode, what = dedup.split("@", 1)[0][len(PREFIX) :].rsplit("/", 2)
        seen.setdefault(subject, {}).setdefault(int(episode), set()).add(what)
    out = {}
    for subject, by_episode in seen.items():
        last = max(by_episode)
        out[subject] = (last, "recovered" not in by_episode[last])
    return out
