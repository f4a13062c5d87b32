"""``plan:`` in a thesis file: sizes, adds checked like rules, and the errors `check` shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalflow.thesis.loader import read_thesis
from signalflow.thesis.plan import AddEvent, AddState, blockers, step

BASE = """\
thesis: planned
title: "Planned"
series:
  stretch: pct_above_mean(csv.price, 200d)
growth:
  reason: "Demand compounds"
  when: csv.revenue > 10
liquidity:
  reason: "Credit is calm"
  when: fred.BAMLH0A0HYM2 < 5
soft_warning:
  - name: price_stretched
    when: stretch > 40%
kill_switch:
  - name: collapse
    when: csv.revenue < 1
"""

PLAN = """\
plan:
  first: 40%
  stretched: stretch > 40%
  adds:
    - size: 30%
      when: growth and csv.revenue > 20
    - size: 30%
      when: csv.revenue > 30
  on_soft_warning: "Take no add until it clears"
  on_kill_switch: "Sell the whole position"
"""


def load(tmp_path: Path, plan: str):
    path = tmp_path / "planned.yaml"
    path.write_text(BASE + plan)
    return read_thesis(path)


def test_a_plan_loads_with_sizes_adds_and_instructions(tmp_path: Path) -> None:
    thesis, problems = load(tmp_path, PLAN)
    assert problems == []
    plan = thesis.plan
    assert plan.first == 40.0
    assert [(a.number, a.size, a.when_text) for a in plan.adds] == [
        (1, 30.0, "growth and csv.revenue > 20"), (2, 30.0, "csv.revenue > 30"),
    ]
    assert plan.stretched_text == "stretch > 40%"
    assert plan.instruction("soft_warning") == "Take no add until it clears"
    assert plan.instruction("kill_switch") == "Sell the whole position"
    assert plan.instruction("info") == ""
    assert plan.adds[0].location.line == 22


@pytest.mark.parametrize(
    "plan, line, expected",
    [
        (PLAN.replace("first: 40%", "first: 40"), 18, "plan.first must be a percent of the intended position, e.g. 40%, not '40'"),
        (PLAN.replace("first: 40%", "first: 0%"), 18, "plan.first must be above 0% and at most 100%"),
        (PLAN.replace("first: 40%", "first: 50%"), 17, "plan sizes add up to 110% of the intended position"),
        (PLAN.replace("- size: 30%\n      when: csv.revenue > 30", "- size: 30 percent\n      when: csv.revenue > 30"), 23,
         "plan add 2: size must be a percent"),
        (PLAN.replace("growth and csv.revenue > 20", "growht and csv.revenue > 20"), 22, "unknown name 'growht'"),
        (PLAN.replace("csv.revenue > 30", "mean(csv.revenue, 4)"), 24, "plan add 2: when"),
        (PLAN.replace("csv.revenue > 30", "csv.revenue >"), 24, ""),
        (PLAN.replace("  stretched: stretch > 40%\n", ""), 17, "plan has adds but no 'stretched' condition"),
        (PLAN.replace('  on_kill_switch: "Sell the whole position"\n', ""), 17, "plan is missing 'on_kill_switch'"),
        (PLAN.replace('"Take no add until it clears"', '""'), 25, "plan.on_soft_warning is empty"),
        (PLAN.replace("first: 40%", "firts: 40%"), 18, "unknown key 'firts' in plan"),
        (PLAN.replace("    - size: 30%\n      when: csv.revenue > 30\n", "    - size: 30%\n"), 23, "plan add 2 is missing 'when'"),
    ],
)
def test_plan_errors_name_the_line(tmp_path: Path, plan: str, line: int, expected: str) -> None:
    thesis, problems = load(tmp_path, plan)
    assert thesis is None
    assert problems, "a broken plan is an error"
    found = [p for p in problems if expected in str(p)]
    assert found, [str(p) for p in problems]
    assert found[0].location.line == line, str(found[0])
    assert "planned.yaml" in str(found[0])


def test_the_episode_state_machine_announces_once_and_withholds_while_blocked() -> None:
    s = AddState()
    s, event = step(s, True, blockers(True, False, False))
    assert event is AddEvent.WITHHELD and s.withheld == "a Soft Warning fires"
    s, event = step(s, True, blockers(True, False, False))
    assert event is None  # withheld is told once per reason
    s, event = step(s, True, blockers(False, False, True))
    assert event is AddEvent.WITHHELD and s.withheld == "the price is stretched"
    s, event = step(s, True, "")
    assert event is AddEvent.ANNOUNCED
    s, event = step(s, True, "")
    assert event is None
    s, event = step(s, None, "")
    assert event is AddEvent.CLEARED and s == AddState()
    s, event = step(s, True, "")
    assert event is AddEvent.ANNOUNCED  # a new episode


def test_check_prints_the_plans_errors_with_file_and_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from signalflow.cli import app

    (tmp_path / "planned.yaml").write_text(BASE + PLAN.replace("first: 40%", "first: 50%").replace("csv.revenue > 30", "csv.revnue > 30 and growht"))
    result = CliRunner().invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "planned.yaml:17:1: error: plan sizes add up to 110% of the intended position" in result.output
    assert "planned.yaml:24:33: error: unknown name 'growht'" in result.output
