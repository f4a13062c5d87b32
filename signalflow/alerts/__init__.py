"""Alerts: turn evaluations into alerts and outbox rows, and deliver them exactly once.

    rows = record_evaluation(session, thesis, evaluation, settings, now)   # in the state's transaction
    report = deliver_pending(store, settings)                              # the delivery worker
"""

from signalflow.alerts.ack import Decision, acknowledge, pending_conditions, resolve_unless
from signalflow.alerts.delivery import DeliveryReport, Outcome, deliver_pending
from signalflow.alerts.lifecycle import record_evaluation
from signalflow.alerts.routes import resolve_routes

__all__ = [
    "Decision",
    "DeliveryReport",
    "Outcome",
    "acknowledge",
    "deliver_pending",
    "pending_conditions",
    "record_evaluation",
    "resolve_routes",
    "resolve_unless",
]
