"""Alerts: turn evaluations into alerts and outbox rows, and deliver them exactly once.

    rows = record_evaluation(session, thesis, evaluation, settings, now,   # in the state's transaction
                             unless={"fred.HY > 7": False})                # pending --unless values
    report = deliver_pending(store, settings)                              # the delivery worker

The alert layer never evaluates a thesis: the evaluation carries what the messages show, and
the caller that ran the engine hands in the values of the ``ack --unless`` conditions
(:func:`pending_conditions` lists them; see :func:`signalflow.service.unless_values`).
"""

from signalflow.alerts.ack import Decision, acknowledge, pending_conditions, resolve_unless
from signalflow.alerts.delivery import DeliveryReport, DeliveryResult, Outcome, deliver_pending
from signalflow.alerts.lifecycle import record_evaluation
from signalflow.alerts.routes import resolve_routes

__all__ = [
    "Decision",
    "DeliveryReport",
    "DeliveryResult",
    "Outcome",
    "acknowledge",
    "deliver_pending",
    "pending_conditions",
    "record_evaluation",
    "resolve_routes",
    "resolve_unless",
]
