"""Comparisons read series side first, and a live evaluation carries the inputs and
thresholds of the rules an alert may speak of."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from signalflow.errors import Location
from signalflow.thesis.ast import to_text
from signalflow.thesis.comparisons import comparisons, thresholds
from signalflow.thesis.data import LiteralProvider, frame_from_points
from signalflow.thesis.engine import evaluate
from signalflow.thesis.model import Condition, Rule, Severity, Thesis
from signalflow.thesis.parser import parse_expression


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("fred.HY > 5", [("fred.HY", "> 5", 5.0)]),
        ("5 < fred.HY", [("fred.HY", "> 5", 5.0)]),
        ("fred.HY < -10%", [("fred.HY", "< -10%", -0.1)]),
        ("-10% >= qoq(x.A)", [("qoq(x.A)", "<= -10%", -0.1)]),
        ("fred.A != fred.B", [("fred.A", "!= fred.B", None), ("fred.B", "!= fred.A", None)]),
        ("x.A < lag(x.A, 1) - 20%", [("x.A", "< lag(x.A, 1) - 20%", None), ("(lag(x.A, 1) - 20%)", "> x.A", None)]),
        ("not (fred.HY >= 7)", [("fred.HY", ">= 7", 7.0)]),
        ("1 > 0", []),
    ],
)
def test_comparisons_read_the_series_side_first(when, expected):
    got = [(to_text(c.side), c.threshold, c.constant) for c in comparisons(parse_expression(when))]
    assert [(a, b, pytest.approx(c) if c is not None else None) for a, b, c in expected] == got


def test_a_literal_threshold_wins_over_a_series_one():
    node = parse_expression("fred.A > fred.B or fred.A > 3")
    assert thresholds(node) == {"fred.A": "> 3", "fred.B": "< fred.A"}


def _thesis() -> Thesis:
    loc = Location(Path("t.yaml"), 1, 1)
    true = parse_expression("fred.HY > -100")
    cond = Condition("given", true, "fred.HY > -100", loc)
    soft = Rule("hy_low", Severity.SOFT_WARNING, parse_expression("fred.HY < -10%"), "fred.HY < -10%", loc)
    quiet = Rule("ig_high", Severity.SOFT_WARNING, parse_expression("fred.IG > 9"), "fred.IG > 9", loc)
    kill = Rule("hy_gone", Severity.KILL_SWITCH, parse_expression("fred.HY < -50%"), "fred.HY < -50%", loc)
    return Thesis("t", "t", Path("t.yaml"), loc, cond, cond, (soft, quiet), (kill,))


def test_a_live_evaluation_carries_the_inputs_of_rules_that_change_state_or_fire():
    day = datetime(2025, 3, 3)
    hy = [(day.date(), -0.12, day), ((day + timedelta(days=2)).date(), 0.01, day + timedelta(days=2))]
    provider = LiteralProvider(
        {
            "fred.HY": frame_from_points("fred.HY", hy),
            "fred.IG": frame_from_points("fred.IG", [(day.date(), 3.0, day)]),
        }
    )
    thesis = _thesis()

    first = evaluate(thesis, provider, day + timedelta(hours=1))
    rules = {r.name: r for r in first.status.rules}
    assert [(i.ref, i.value, i.threshold) for i in rules["hy_low"].inputs] == [("fred.HY", -0.12, "< -10%")]
    assert rules["ig_high"].inputs == () and rules["hy_gone"].inputs == ()  # never left inactive

    again = evaluate(thesis, provider, day + timedelta(days=1), first.state)  # still firing, no transition
    assert again.transitions == [] and {r.name: r for r in again.status.rules}["hy_low"].inputs

    resolved = evaluate(thesis, provider, day + timedelta(days=3), again.state)
    assert [t.rule for t in resolved.transitions] == ["hy_low"]
    [hy_now] = {r.name: r for r in resolved.status.rules}["hy_low"].inputs
    assert (hy_now.value, hy_now.threshold) == (0.01, "< -10%")
