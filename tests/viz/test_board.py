"""The status board: rows from stored engine states, grouping by layer, stalest input,
review dates, never-evaluated theses; and `signalflow status` on a real store."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.viz.board import NEVER, BoardRow, InputAge, by_layer, stalest

from .conftest import ACME


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ([], None),
        ([InputAge("a", date(2025, 3, 31), None), InputAge("b", date(2024, 12, 31), None)], "b"),
        ([InputAge("a", date(2025, 3, 31), None), InputAge("b", None, None)], "b"),  # no value is stalest
        (
            [InputAge("a", date(2025, 3, 31), datetime(2025, 4, 2)), InputAge("b", date(2025, 3, 31), datetime(2025, 4, 1))],
            "b",
        ),
    ],
)
def test_stalest_input(ages: list[InputAge], expected: str | None):
    got = stalest(ages)
    assert (got.ref if got else None) == expected


def _row(thesis: str, layer: str, state: str) -> BoardRow:
    return BoardRow(thesis, "", layer, state, "", None, None, (), (), None, (), None, False)


def test_by_layer_follows_the_bottleneck_map_and_puts_kill_switches_first():
    rows = [
        _row("z_ok", "power", "ok"),
        _row("a_never", "power", NEVER),
        _row("m_kill", "power", "kill_switch"),
        _row("mem", "memory", "soft_warning"),
        _row("loose", "", "ok"),
        _row("cmp", "compute", "ok"),
    ]
    got = [(layer, [r.thesis for r in group]) for layer, group in by_layer(rows)]
    assert got == [
        ("compute", ["cmp"]),
        ("memory", ["mem"]),
        ("power", ["m_kill", "z_ok", "a_never"]),
        ("unassigned", ["loose"]),
    ]


def test_status_json_groups_evaluated_and_never_evaluated_theses(viz_env: Path):
    runner = CliRunner()
    evaluated = runner.invoke(app, ["evaluate", "spread", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    (live,) = json.loads(evaluated.stdout)
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {r["thesis"]: r for r in data["theses"]}
    assert rows["idle"]["state"] == NEVER and rows["idle"]["layer"] == "compute"
    assert rows["idle"]["review_overdue"] is False
    spread = rows["spread"]
    # The board shows exactly what the live pass stored.
    assert (spread["state"], spread["quadrant"], spread["firing"], spread["since"]) == (
        live["state"], live["quadrant"], live["firing"], live["since"]
    )
    assert spread["layer"] == "power" and spread["review_by"] == "2020-01-01" and spread["review_overdue"] is True
    # fred.HY ends 2025-04-30, ACME's last quarter 2025-03-31: revenue is the stalest input.
    assert spread["stalest_input"]["ref"] == "sec.ACME.revenue"
    assert spread["stalest_input"]["period_end"] == ACME[-1][1].isoformat()
    assert isinstance(data["sources"], list)


def test_status_table_shows_layers_and_overdue_review(viz_env: Path):
    runner = CliRunner()
    assert runner.invoke(app, ["evaluate", "spread"]).exit_code == 0
    result = runner.invoke(app, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("compute") < out.index("power")  # bottleneck-map order
    assert "idle" in out and NEVER in out
    assert "2020-01-01 overdue" in out
    assert "sec.ACME.revenue (2025-03-31" in out
