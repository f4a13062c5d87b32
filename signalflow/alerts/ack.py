"""Acknowledgements: the owner's decision about an alert, kept in a journal never deleted.

A decision silences the reminders of the alerts firing when it was taken. It re-arms them
when its ``until`` date passes or its ``unless`` condition (thesis language, e.g. further
deterioration such as ``fred.BAMLH0A0HYM2 > 7``) becomes true; re-arming is checked by
:func:`signalflow.alerts.record_evaluation` at each evaluation, with the values of the
conditions :func:`pending_conditions` lists, computed by the caller that runs the engine.
Here an ``unless`` is only parsed and its names checked, never evaluated.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from signalflow.errors import DecisionRefused, ThesisError
from signalflow.store import alerts as store_alerts
from signalflow.store.enums import Decision
from signalflow.store.models import DecisionRow
from signalflow.thesis.ast import Node, SeriesRef, walk
from signalflow.thesis.functions_spec import ValueKind
from signalflow.thesis.model import Thesis
from signalflow.thesis.parser import parse_expression
from signalflow.thesis.resolve import Resolver


def parse_unless(text: str):
    """The syntax tree of an ``--unless`` expression; raises ThesisSyntaxError with its column."""
    return parse_expression(text, path="--unless")


def resolve_unless(thesis: Thesis, text: str) -> Node:
    """The ``--unless`` expression resolved against ``thesis`` like one of its rules: bare
    names become its derived series, rules, ``growth``/``liquidity`` or hypotheses. Raises
    ThesisError (with the column) when a name is unknown or the result is not a condition."""
    resolver = Resolver(
        "--unless",
        thesis.series,
        [r.name for r in thesis.rules],
        {h.name: h.verify for h in thesis.hypotheses},
    )
    resolved = resolver.resolve(parse_unless(text), ValueKind.BOOL, "--unless")
    if resolver.problems:
        raise resolver.problems[0]
    return resolved


def check_decision(
    now: datetime,
    *,
    note: str = "x",
    until: datetime | None = None,
    unless: str = "",
    thesis: Thesis | None = None,
    stored: Collection[str] | None = None,
) -> None:
    """Refuse (DecisionRefused) a decision that could never re-arm or says nothing: an empty
    note, ``until`` not after ``now``, or an ``unless`` that does not parse, does not resolve
    against ``thesis`` like one of its rules, or reads a series neither ``thesis`` nor the
    store (``stored`` keys) knows. Without ``thesis`` only the syntax is checked.
    The CLI and the Slack modal both call this before :func:`acknowledge`."""
    if not note.strip():
        raise DecisionRefused("note", "say why: the journal keeps the reason with the decision")
    if until is not None and until <= now:
        raise DecisionRefused(
            "until", f"{until:%Y-%m-%d %H:%M} is not in the future (now {now:%Y-%m-%d %H:%M} UTC): it would never re-arm"
        )
    if not unless:
        return
    try:
        resolved = resolve_unless(thesis, unless) if thesis is not None else parse_unless(unless)
    except ThesisError as exc:
        raise DecisionRefused("unless", str(exc)) from None
    if thesis is None or stored is None:
        return
    known = {n.ref for expr in thesis.expressions() for n in walk(expr) if isinstance(n, SeriesRef)}
    known |= set(stored)
    for node in walk(resolved):
        if isinstance(node, SeriesRef) and node.ref not in known:
            raise DecisionRefused(
                "unless",
                f"series {node.ref} is neither read by thesis {thesis.id} nor stored: the condition could never become true",
            )


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
    alerts = store_alerts.firing(session, thesis, rule)
    return store_alerts.add_decisions(
        session, thesis, alerts, decision, note, now, rule=rule, until=until, unless=unless
    )


def pending_conditions(session: Session, thesis: str) -> list[str]:
    """The ``--unless`` expressions of the decisions about ``thesis`` that have not re-armed:
    what the caller evaluates before :func:`signalflow.alerts.record_evaluation`."""
    return store_alerts.pending_unless(session, thesis)
