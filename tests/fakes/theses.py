"""Literal theses and evaluations for alert tests: facts stated here, nothing computed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from signalflow.errors import Location
from signalflow.thesis.ast import Binary, Number, SeriesRef
from signalflow.thesis.model import Condition, Rule, Severity, Thesis
from signalflow.thesis.results import (
    EngineState,
    Evaluation,
    InputValue,
    Quadrant,
    RuleState,
    RuleStatus,
    ThesisState,
    ThesisStatus,
    Transition,
)

SPREAD = "fred.BAMLH0A0HYM2"
ACCESSION = "0001045810-24-000029"


def _rule(name: str, severity: Severity, ref: str, op: str, limit: float, text: str) -> Rule:
    when = Binary(op, SeriesRef(ref), Number(limit, text))
    return Rule(name, severity, when, f"{ref} {op} {text}", Location("rules/t.yaml", 10), summary=f"{name} summary")


def thesis(notify: tuple[str, ...] = ()) -> Thesis:
    cond = Condition("reason", Binary(">", SeriesRef(SPREAD), Number(0.0)), f"{SPREAD} > 0", Location())
    return Thesis(
        id="liquidity_regime",
        title="Liquidity regime: credit spreads stay tight",
        path=Path("rules/liquidity_regime.yaml"),
        location=Location("rules/liquidity_regime.yaml", 1),
        growth=cond,
        liquidity=cond,
        soft_warning=(_rule("spread_widening", Severity.SOFT_WARNING, SPREAD, ">", 5.0, "5"),),
        kill_switch=(_rule("revenue_collapse", Severity.KILL_SWITCH, "sec.NVDA.revenue", "<", 1e10, "1e10"),),
        links=("https://fred.stlouisfed.org/series/BAMLH0A0HYM2",),
        position={"first_tranche": "1/3 of target", "add_size": "1/3 after two confirming quarters"},
        notify=notify,
    )


def _inputs(name: str) -> tuple[InputValue, ...]:
    if name == "spread_widening":
        return (InputValue(SPREAD, 5.6, date(2025, 4, 1), date(2025, 4, 1), datetime(2025, 4, 2), "", "percent"),)
    return (
        InputValue(
            "sec.NVDA.revenue", 9.1e9, date(2024, 1, 29), date(2024, 4, 28), datetime(2024, 5, 29), ACCESSION, "USD"
        ),
    )


def evaluation(at: datetime, firing: set[str], previous: set[str] = frozenset()) -> Evaluation:
    """The thesis at ``at`` with exactly ``firing`` rules firing; transitions from ``previous``."""
    rules = []
    transitions = []
    for name, severity in (("revenue_collapse", "kill_switch"), ("spread_widening", "soft_warning")):
        state = RuleState.FIRING if name in firing else RuleState.INACTIVE
        rules.append(
            RuleStatus(name, severity, state, name in firing, fired_at=at if name in firing else None,
                       why=f"{name} is {state.value}", inputs=_inputs(name))
        )
        before = RuleState.FIRING if name in previous else RuleState.INACTIVE
        if before is not state:
            transitions.append(Transition(at, "liquidity_regime", name, severity, before, state))
    thesis_state = (
        ThesisState.KILL_SWITCH if "revenue_collapse" in firing
        else ThesisState.SOFT_WARNING if firing else ThesisState.OK
    )
    status = ThesisStatus(
        "liquidity_regime", "Liquidity regime", at, thesis_state, Quadrant.GROWTH_ONLY, True, False, tuple(rules)
    )
    return Evaluation(status, transitions, EngineState("liquidity_regime", evaluated_at=at))
