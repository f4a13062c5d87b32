"""Acknowledgements: the owner's decision about an alert, kept in a journal never deleted.

A decision silences the reminders of the alerts firing when it was taken. It re-arms them
when its ``until`` date passes or its ``unless`` condition (thesis language, e.g. further
deterioration such as ``fred.BAMLH0A0HYM2 > 7``) becomes true; re-arming is checked by
:func:`signalflow.alerts.record_evaluation` at each evaluation.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlmodel import Session

from signalflow.store import alerts as store_alerts
from signalflow.store.enums import Decision
from signalflow.store.models import DecisionRow
from signalflow.thesis.model import Rule, Severity, Thesis
from signalflow.thesis.results import ThesisStatus

UNLESS_RULE = "__unless__"


def parse_unless(text: str):
    """The syntax tree of an ``--unless`` expression; raises ThesisSyntaxError with its column."""
    from signalflow.thesis.parser import parse_expression

    return parse_expression(text, path="--unless")


def resolve_unless(thesis: Thesis, text: str):
    """The ``--unless`` expression resolved against ``thesis`` like one of its rules: bare
    names become its derived series, rules, ``growth``/``liquidity`` or hypotheses. Raises
    ThesisError (with the column) when a name is unknown or the result is not a condition."""
    from signalflow.thesis.functions_spec import ValueKind
    from signalflow.thesis.resolve import Resolver

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


def engine_condition(provider) -> EngineCondition:
    """The engine hooks of :func:`signalflow.alerts.record_evaluation` over ``provider`` (the
    Store): the ``unless`` check, and the rules' inputs for the messages."""
    return EngineCondition(provider)


class EngineCondition:
    """A ConditionCheck evaluating ``unless`` through the thesis engine: the expression joins
    the thesis as one more rule, so it may use the thesis's derived series, ``growth``,
    ``liquidity``, rule and hypothesis names. ``explain`` gives the status with every rule's
    inputs (a live evaluation leaves them out), for the alert messages and the digest."""

    def __init__(self, provider) -> None:
        self.provider = provider

    def __call__(self, thesis: Thesis, text: str, at: datetime) -> bool | None:
        from signalflow.thesis.engine import explain

        probe_rule = Rule(
            name=UNLESS_RULE,
            severity=Severity.KILL_SWITCH,
            when=resolve_unless(thesis, text),
            when_text=text,
            location=thesis.location,
        )
        probe = dataclasses.replace(thesis, kill_switch=thesis.kill_switch + (probe_rule,))
        status = explain(probe, self.provider, at)
        return next((r.condition for r in status.rules if r.name == UNLESS_RULE), None)

    def explain(self, thesis: Thesis, at: datetime) -> ThesisStatus:
        from signalflow.thesis.engine import explain

        return explain(thesis, self.provider, at)
