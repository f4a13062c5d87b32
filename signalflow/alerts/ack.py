"""Acknowledgements: the owner's decision about an alert, kept in a journal never deleted.

A decision silences the reminders of the alerts firing when it was taken. It re-arms them
when its ``until`` date passes or its ``unless`` condition (thesis language, e.g. further
deterioration such as ``fred.BAMLH0A0HYM2 > 7``) becomes true; re-arming is checked by
:func:`signalflow.alerts.record_evaluation` at each evaluation, with the values of the
conditions :func:`pending_conditions` lists, computed by the caller that runs the engine.
Here an ``unless`` is only parsed and its names checked, never evaluated.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlmodel import Session, col, select

from signalflow.store.models import AlertRow, DecisionRow
from signalflow.thesis.ast import Node
from signalflow.thesis.model import Thesis


class Decision(str, enum.Enum):
    HOLD = "hold"
    TRIM = "trim"
    EXIT = "exit"
    IGNORE = "ignore"


def parse_unless(text: str):
    """The syntax tree of an ``--unless`` expression; raises ThesisSyntaxError with its column."""
    from signalflow.thesis.parser import parse_expression

    return parse_expression(text, path="--unless")


def resolve_unless(thesis: Thesis, text: str) -> Node:
    """The ``--unless`` expression resolved against ``thesis`` like one of its rules: bare
    names become its derived series, rules, ``growth``/``liquidity`` or hypotheses. Raises
    ThesisError (with the column) when a name is unknown or the result is not a condition."""
    from signalflow.thesis.functions_spec import ValueKind
    from signalflow.thesis.hypotheses import hypotheses_of
    from signalflow.thesis.resolve import Resolver

    resolver = Resolver(
        "--unless",
        thesis.series,
        [r.name for r in thesis.rules],
        {h.name: h.verify for h in hypotheses_of(thesis)},
    )
    resolved = resolver.resolve(parse_unless(text), ValueKind.BOOL, "--unless")
    if resolver.problems:
        raise resolver.problems[0]
    return resolved


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


def pending_conditions(session: Session, thesis: str) -> list[str]:
    """The ``--unless`` expressions of the decisions about ``thesis`` that have not re-armed:
    what the caller evaluates before :func:`signalflow.alerts.record_evaluation`."""
    rows = session.exec(
        select(DecisionRow.unless_expr)
        .where(DecisionRow.thesis == thesis, DecisionRow.unless_expr != "", col(DecisionRow.rearmed_at).is_(None))
        .order_by(col(DecisionRow.id))
    )
    return list(dict.fromkeys(rows))
