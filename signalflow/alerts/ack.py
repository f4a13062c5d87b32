"""Acknowledgements: the owner's decision about an alert, kept in a journal never deleted.

A decision silences the reminders of the alerts firing when it was taken. It re-arms them
when its ``until`` date passes or its ``unless`` condition (thesis language, e.g. further
deterioration such as ``fred.BAMLH0A0HYM2 > 7``) becomes true; re-arming is checked by
:func:`signalflow.alerts.record_evaluation` at each evaluation.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

from sqlmodel import Session, col, select

from signalflow.alerts.lifecycle import ConditionCheck
from signalflow.store.models import AlertRow, DecisionRow
from signalflow.thesis.model import Rule, Severity, Thesis

UNLESS_RULE = "__unless__"


class Decision(str, enum.Enum):
    HOLD = "hold"
    TRIM = "trim"
    EXIT = "exit"
    IGNORE = "ignore"


def parse_unless(text: str):
    """The syntax tree of an ``--unless`` expression; raises ThesisSyntaxError with its column."""
    from signalflow.thesis.parser import parse_expression

    return parse_expression(text, path="--unless")


def acknowledge(
    session: Session,
    thesis: str,
    decision: Decision,
    note: str,
    now: datetime,
    *,
    rule: str = "",
    until: datetime | None = None,
    unless: str = "",
) -> list[DecisionRow]:
    """Record a decision for every alert of ``thesis`` (or of its ``rule``) now firing; with
    none firing, record it for the thesis alone (the journal keeps it all the same)."""
    if unless:
        parse_unless(unless)
    query = select(AlertRow).where(AlertRow.thesis == thesis, AlertRow.state == "firing")
    if rule:
        query = query.where(AlertRow.rule == rule)
    alerts = list(session.exec(query.order_by(col(AlertRow.id))))
    rows = [
        DecisionRow(
            thesis=thesis,
            rule=alert.rule if alert else rule,
            alert_id=alert.id if alert else None,
            decision=decision.value,
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


def engine_condition(provider) -> ConditionCheck:
    """A ConditionCheck evaluating ``unless`` through the thesis engine over ``provider``
    (the Store): the expression joins the thesis as one more rule, so it may use the
    thesis's derived series, ``growth``, ``liquidity`` and rule names."""

    def check(thesis: Thesis, text: str, at: datetime) -> bool | None:
        from signalflow.thesis.engine import explain

        probe_rule = Rule(
            name=UNLESS_RULE,
            severity=Severity.KILL_SWITCH,
            when=parse_unless(text),
            when_text=text,
            location=thesis.location,
        )
        probe = dataclasses.replace(thesis, kill_switch=thesis.kill_switch + (probe_rule,))
        status = explain(probe, provider, at)
        return next((r.condition for r in status.rules if r.name == UNLESS_RULE), None)

    return check
