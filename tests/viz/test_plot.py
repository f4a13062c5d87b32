"""Charts: thresholds parsed from `when`, inputs point in time, state bands, filing markers;
the PNG written by `signalflow plot` and the figure behind it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import matplotlib.image
import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.thesis.parser import parse_expression

from .conftest import ACME


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("yoy(x.A) > 25%", [("yoy(x.A)", ">", 0.25, "25%")]),
        ("qoq(x.A) < -10%", [("qoq(x.A)", "<", -0.10, "-10%")]),
        ("5 < fred.HY", [("fred.HY", ">", 5.0, "5")]),
        ("fred.HY < 5 and change(fred.D, 90d) < 0.75", [("fred.HY", "<", 5.0, "5"), ("change(fred.D, 90d)", "<", 0.75, "0.75")]),
        ("count(news.a, 30d) > count(news.b, 30d)", []),  # series against series: no threshold
        ("x.A < lag(x.A, 1) - 20%", []),  # a computed threshold is not drawn
        ("not (fred.HY >= 7)", [("fred.HY", ">=", 7.0, "7")]),
    ],
)
def test_thresholds_come_from_number_comparisons(when: str, expected: list):
    from signalflow.thesis.ast import to_text
    from signalflow.viz.chart import comparisons

    thesis = _thesis_with(parse_expression(when))
    got = [(to_text(n), t.op, t.value, t.text) for n, t in comparisons(thesis) if t.owner == "r"]
    assert [(a, b, pytest.approx(c), d) for a, b, c, d in expected] == got


def _thesis_with(node):
    from signalflow.errors import Location
    from signalflow.thesis.model import Condition, Rule, Severity, Thesis

    loc = Location(Path("t.yaml"), 1, 1)
    true = parse_expression("1 > 0")
    cond = Condition("r", true, "1 > 0", loc)
    rule = Rule("r", Severity.SOFT_WARNING, node, "", loc)
    kill = Rule("k", Severity.KILL_SWITCH, true, "", loc)
    return Thesis("t", "t", Path("t.yaml"), loc, cond, cond, (rule,), (kill,))


def test_plot_command_writes_the_png_and_the_figure_shows_inputs_thresholds_bands_markers(viz_env: Path):
    out = viz_env / "spread.png"
    result = CliRunner().invoke(app, ["plot", "spread", "--from", "2025-01-01", "--to", "2025-04-30", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    # Three compared inputs: yoy(revenue) (growth), fred.HY (liquidity, soft, kill), qoq(revenue).
    assert sorted(summary["panels"]) == ["fred.HY", "qoq(sec.ACME.revenue)", "yoy(sec.ACME.revenue)"]
    from signalflow.viz.plot import BOTTOM_IN, DPI, GAP_IN, MARKER_IN, PANEL_IN, QUADRANT_IN, TOP_IN, WIDTH_IN

    height, width, _ = matplotlib.image.imread(out).shape
    # Five strips (three panels, the quadrant, the markers), four gaps, fixed margins.
    inches = 3 * PANEL_IN + QUADRANT_IN + MARKER_IN + 4 * GAP_IN + TOP_IN + BOTTOM_IN
    assert (width, height) == (round(WIDTH_IN * DPI), round(inches * DPI))
    assert summary["left_out"] == []
    # HY > 5 from the value of Feb 1 (known Feb 2): pending Feb 2, firing 30 days later on Mar 4;
    # HY 8 for Apr 1-3 (known Apr 2-4): Kill Switch from Apr 2 until Apr 5; soft again after.
    bands = [(b["kind"], b["from"][:10], b["to"][:10]) for b in summary["bands"]]
    assert bands == [
        ("pending", "2025-02-02", "2025-03-04"),
        ("soft_warning", "2025-03-04", "2025-04-02"),
        ("soft_warning", "2025-04-05", "2025-04-30"),
        ("kill_switch", "2025-04-02", "2025-04-05"),
    ]
    in_range = [f for *_, f in ACME if datetime(2025, 1, 1) <= f <= datetime(2025, 4, 30)]
    assert summary["markers"] == len(in_range) == 2


def test_figure_artists(viz_env: Path):
    from signalflow import service
    from signalflow.cli.common import load_settings
    from signalflow.thesis.engine import backtest
    from signalflow.viz.chart import chart_data
    from signalflow.viz.plot import figure

    settings = load_settings()
    store = service.open_store(settings)
    try:
        (thesis,) = [t for t in service.load_theses(settings) if t.id == "spread"]
        end = datetime(2025, 4, 30)
        bt = backtest(thesis, store, datetime(2025, 1, 1), end)
        fig = figure(chart_data(thesis, bt, end))
    finally:
        store.close()
    panels, quadrants, strip = fig.axes[:-2], fig.axes[-2], fig.axes[-1]
    gids = [[a.get_gid() for a in ax.get_children() if a.get_gid()] for ax in panels]
    assert sum(g.startswith("input:") for ax in gids for g in ax) == 3
    hy = next(g for g in gids if "input:fred.HY" in g)
    assert sorted(g for g in hy if g.startswith("threshold:")) == [
        "threshold:credit_stress", "threshold:liquidity", "threshold:spread_widening"
    ]
    for ax in gids:  # every panel carries the same bands
        assert [g for g in ax if g.startswith("band:")].count("band:soft_warning") == 2
        assert [g for g in ax if g.startswith("band:")].count("band:kill_switch") == 1
        assert [g for g in ax if g.startswith("band:")].count("band:pending") == 1
    # Growth (yoy of revenue) is unknown until a year of quarters exists; HY > 5 from Feb 2.
    runs = [a.get_gid() for a in quadrants.patches if a.get_gid()]
    assert runs and all(g.startswith("quadrant:") for g in runs) and runs[0] == "quadrant:unknown"
    (markers,) = [ln for ln in strip.get_lines() if ln.get_gid() == "marker:sec.ACME.revenue"]
    assert len(markers.get_xdata()) == 2
    # The HY line is the value known at each instant: 4 before Feb 2, 6 after, 8 on Apr 2-4.
    (line,) = [ln for ax in panels for ln in ax.get_lines() if ln.get_gid() == "input:fred.HY"]
    values = dict(zip([str(x)[:10] for x in line.get_xdata()], line.get_ydata()))
    assert (values["2025-01-20"], values["2025-02-02"], values["2025-04-02"], values["2025-04-20"]) == (4, 6, 8, 6)


def test_plot_unknown_thesis_is_one_clear_line(viz_env: Path):
    result = CliRunner().invoke(app, ["plot", "spred", "-o", str(viz_env / "x.png")])
    assert result.exit_code == 1
    assert "unknown thesis 'spred'" in result.output and "spread" in result.output
    assert "Traceback" not in result.output
