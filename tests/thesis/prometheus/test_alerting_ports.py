"""Prometheus's own alerting-rule unit tests, ported to theses.

Each test names the Go test it ports (prometheus/prometheus ``rules/alerting_test.go``).
A Prometheus series loaded with ``load 1m`` becomes a thesis input with one value per minute
(known at its minute), the rule's ``for``/``keep_firing_for`` become the thesis rule's, and the
thesis is evaluated every minute, as the Go test calls ``rule.Eval`` once a minute. A
``stale`` sample becomes an unknown value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import yaml

from signalflow.series import MemoryProvider
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import backtest
from signalflow.thesis.loader import read_thesis

BASE = datetime(2025, 1, 1)


def make_thesis(rule: dict):
    doc = {
        "thesis": "prom",
        "title": "ported Prometheus test",
        "every": "1m",
        "growth": {"reason": "g", "when": "1 > 0"},
        "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [rule],
        "kill_switch": [{"name": "kill_never", "when": "1 < 0"}],
    }
    thesis, problems = read_thesis("prom.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert thesis is not None, problems
    return thesis


def per_minute(key: str, values: list[float | None]) -> MemoryProvider:
    points = [(BASE + timedelta(minutes=i), v, None) for i, v in enumerate(values)]
    return MemoryProvider({key: frame_from_points(key, points)})


def _rule(status, name: str):
    return next(r for r in status.rules if r.name == name)


def states(rule: dict, values: list[float | None], minutes: int) -> list[str]:
    bt = backtest(make_thesis(rule), per_minute("prom.http_requests", values), BASE, BASE + timedelta(minutes=minutes))
    return [_rule(bt.at(BASE + timedelta(minutes=i)), rule["name"]).state.value for i in range(minutes + 1)]


CASES = [
    pytest.param(
        # TestKeepFiringFor: 75 85 70 70 10x5, `http_requests > 50`, for 1m, keep_firing_for 1m:
        # pending, then firing, still firing one evaluation after the condition turned false,
        # then resolved (the Go test's final Eval returns nothing).
        {"name": "high", "when": "prom.http_requests > 50", "for": "1m", "keep_firing_for": "1m"},
        [75, 85, 70, 70, 10, 10, 10, 10, 10, 10],
        5,
        ["pending", "firing", "firing", "firing", "firing", "inactive"],
        id="TestKeepFiringFor",
    ),
    pytest.param(
        # TestPendingAndKeepFiringFor: 75 10x10: keep_firing_for never holds a pending alert;
        # one false evaluation drops it.
        {"name": "high", "when": "prom.http_requests > 50", "for": "1m", "keep_firing_for": "1m"},
        [75] + [10] * 10,
        1,
        ["pending", "inactive"],
        id="TestPendingAndKeepFiringFor",
    ),
    pytest.param(
        # TestAlertingRuleLabelsUpdate, the severity="critical" alert (value < 80): 75 85 70 70
        # stale with for 1m: pending, dropped by the single false evaluation, pending again
        # with a new active_at, firing one minute later, gone once the series is stale.
        {"name": "low", "when": "prom.http_requests < 80", "for": "1m"},
        [75, 85, 70, 70, None],
        4,
        ["pending", "inactive", "pending", "firing", "inactive"],
        id="TestAlertingRuleLabelsUpdate",
    ),
]


@pytest.mark.parametrize(("rule", "values", "minutes", "expected"), CASES)
def test_ported_prometheus_lifecycle(rule, values, minutes, expected):
    assert states(rule, values, minutes) == expected


def test_keep_firing_for_bound_is_strict():
    # TestKeepFiringFor: firing while T - first_false < keep_firing_for, so with a 2m hold the
    # rule still fires at first_false + 1m and resolves exactly at first_false + 2m.
    rule = {"name": "high", "when": "prom.http_requests > 50", "keep_firing_for": "2m"}
    got = states(rule, [75, 10, 10, 10, 10], 4)
    assert got == ["firing", "firing", "firing", "inactive", "inactive"]


def test_active_at_is_kept_while_pending_and_a_new_one_after_a_drop():
    # TestAlertingRuleLabelsUpdate: a re-created alert starts its `for` from its own active_at.
    rule = {"name": "low", "when": "prom.http_requests < 80", "for": "1m"}
    bt = backtest(make_thesis(rule), per_minute("prom.http_requests", [75, 85, 70, 70]), BASE, BASE + timedelta(minutes=3))
    firing = _rule(bt.at(BASE + timedelta(minutes=3)), "low")
    assert firing.active_at == BASE + timedelta(minutes=2)
    assert firing.fired_at == BASE + timedelta(minutes=3)
