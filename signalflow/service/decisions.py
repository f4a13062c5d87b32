"""The owner's decisions about alerts (``signalflow ack``, the Slack buttons) and the journal
of alert episodes and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from signalflow.errors import SignalflowError
from signalflow.store import Store
from signalflow.store.models import utcnow

if TYPE_CHECKING:
    from signalflow.store.alerts import JournalEntry
    from signalflow.store.enums import Decision
    from signalflow.store.models import DecisionRow
    from signalflow.thesis.model import Thesis


def acknowledge(
    store: Store,
    thesis: str,
    decision: Decision,
    note: str,
    *,
    rule: str = "",
    until: datetime | None = None,
    unless: str = "",
    now: datetime | None = None,
    against: Thesis | None = None,
    once: str = "",
) -> list[DecisionRow]:
    """Record the owner's decision about the alerts of ``thesis`` (see
    :func:`signalflow.alerts.acknowledge`) once :func:`signalflow.alerts.ack.check_decision`
    accepts it (``against``: the loaded thesis, to resolve ``unless`` like its rules); raises
    SignalflowError when the thesis never had an alert, which is most likely a mistyped id.
    ``once``: a key claimed in the same transaction; already claimed, nothing is recorded."""
    from signalflow.alerts import acknowledge as record_decision
    from signalflow.alerts.ack import check_decision
    from signalflow.store import alerts as store_alerts
    from signalflow.store.interactions import claim

    now = now or utcnow()
    stored = [info.key for info in store.list_series()] if against is not None else None
    check_decision(now, note=note, until=until, unless=unless, thesis=against, stored=stored)
    with store.session() as session:
        if not store_alerts.ever_alerted(session, thesis):
            raise SignalflowError(f"no alert was ever recorded for thesis {thesis!r} (see `signalflow journal`)")
        if once and not claim(session, once, "decision", "", now):
            return []
        return record_decision(session, thesis, decision, note, now, rule=rule, until=until, unless=unless)


def journal(store: Store, thesis: str | None = None) -> list[JournalEntry]:
    """Every alert episode and every decision (of ``thesis``), oldest first."""
    from signalflow.store import alerts as store_alerts

    with store.session() as session:
        return store_alerts.journal(session, thesis)
