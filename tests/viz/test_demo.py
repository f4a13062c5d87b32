"""`signalflow demo`: the bundled facts, and transitions whose dates the test derives from
the facts themselves (not from the engine)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.viz.demo import DEMO_END, run_demo
from signalflow.bundled.facts import Fact, load_facts


@pytest.fixture(scope="module")
def facts() -> list[Fact]:
    return load_facts()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return run_demo(tmp_path_factory.mktemp("demo"))


def _events(demo, thesis: str) -> list[tuple[str, str, datetime]]:
    (t,) = [t for t in demo.theses if t.thesis.id == thesis]
    return [(e.rule, e.event, e.at) for e in t.events]


def test_every_fact_names_its_source_and_is_known_after_its_period(facts: list[Fact]):
    assert len(facts) > 300
    for f in facts:
        assert f.source.strip(), f
        assert f.known_at > f.period_end, f
    series = {f.series for f in facts}
    assert {"csv.nvda_dc_revenue", "fred.BAMLH0A0HYM2", "fred.DGS10"} <= series
    assert {f"sec.{t}.capex" for t in ("MSFT", "GOOGL", "AMZN", "META")} <= series


def test_credit_stress_fires_while_a_weekly_spread_above_5_is_the_latest_known(demo, facts: list[Fact]):
    hy = sorted((f for f in facts if f.series == "fred.BAMLH0A0HYM2"), key=lambda f: f.known_at)
    expected = []
    above = False
    for f in hy:
        if (f.value > 5) != above:
            above = f.value > 5
            expected.append(("credit_stress", "firing" if above else "resolved", f.known_at))
    assert expected[0][2] == datetime(2023, 3, 20)  # SVB: 5.17 on 2023-03-17, known the next business day
    for thesis in ("demo_ai_factory", "demo_hyperscaler_capex"):
        assert [e for e in _events(demo, thesis) if e[0] == "credit_stress"] == expected


def test_sequential_growth_stalling_needs_two_releases_below_10_percent(demo, facts: list[Fact]):
    nvda = sorted((f for f in facts if f.series == "csv.nvda_dc_revenue"), key=lambda f: f.period_end)
    expected, run, firing = [], 0, False
    for prev, cur in zip(nvda, nvda[1:]):
        below = cur.value / prev.value - 1 < 0.10
        run = run + 1 if below else 0
        if run >= 2 and not firing:
            firing = True
            expected.append(("sequential_growth_stalling", "firing", cur.known_at))
        elif not below and firing:
            firing = False
            expected.append(("sequential_growth_stalling", "resolved", cur.known_at))
    # Q1 FY26 +9.9% (May 28, 2025) then Q2 FY26 +5.1% (Aug 27, 2025); Q3 FY26 +24.6% resolves it.
    assert [e[2].date().isoformat() for e in expected] == ["2025-08-27", "2025-11-19"]
    assert [e for e in _events(demo, "demo_ai_factory") if e[0] == "sequential_growth_stalling"] == expected


def test_capex_overheating_fires_30_days_after_combined_yoy_passes_60_percent(demo, facts: list[Fact]):
    capex = [f for f in facts if f.series.endswith(".capex")]
    instants = sorted({f.known_at for f in capex})

    def yoy_at(t: datetime) -> float | None:
        now, before = 0.0, 0.0
        for company in {f.series for f in capex}:
            known = [f for f in capex if f.series == company and f.known_at <= t]
            if not known:
                return None
            latest = max(known, key=lambda f: f.period_end)
            year_ago = [f for f in known if abs((f.period_end - latest.period_end).days - -365) <= 16]
            if not year_ago:
                return None
            now, before = now + latest.value, before + year_ago[0].value
        return now / before - 1

    # The condition changes only when a figure lands; a run that lasts 30 days fires at the
    # first daily evaluation (00:00 UTC) at or after its start + 30 days.
    runs, start = [], None
    for t in instants:
        y = yoy_at(t)
        if y is not None and y > 0.60 and start is None:
            start = t
        elif (y is None or y <= 0.60) and start is not None:
            runs.append((start, t))
            start = None
    runs.append((start, DEMO_END + timedelta(days=1))) if start else None
    expected = []
    for lo, hi in runs:
        fire = lo + timedelta(days=30)
        fire = fire if fire == fire.replace(hour=0, minute=0) else fire.replace(hour=0, minute=0) + timedelta(days=1)
        if fire < hi and fire <= DEMO_END:
            expected.append(("capex_overheating", "firing", fire))
            if hi <= DEMO_END:
                expected.append(("capex_overheating", "resolved", hi))
    assert expected[0][2] == datetime(2025, 3, 1)  # MSFT's CQ4'24 (Jan 29, 2025) lifts the sum past +60%
    assert [e for e in _events(demo, "demo_hyperscaler_capex") if e[0] == "capex_overheating"] == expected


def test_demo_writes_a_chart_per_thesis(demo):
    import matplotlib.image

    assert [t.thesis.id for t in demo.theses] == [
        "demo_ai_factory",
        "demo_hyperscaler_capex",
        "demo_power_queue",
        "nvda_valuation",
        "vrt_valuation",
    ]
    for t in demo.theses:
        assert t.chart is not None and t.chart.is_file()
        height, width, _ = matplotlib.image.imread(t.chart).shape
        assert width == 1100 and height > 500


def test_demo_command_json_and_terminal(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "charts"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_id = {t["thesis"]: t for t in data["theses"]}
    assert by_id["demo_hyperscaler_capex"]["final_state"] == "soft_warning"
    assert "opencapital" in by_id["demo_hyperscaler_capex"]["inputs"]["sec.MSFT.capex"]
    assert all(Path(t["chart"]).is_file() for t in data["theses"])
    text = runner.invoke(app, ["demo", "-o", str(tmp_path / "charts")], env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.output
    assert "2023-03-20" in text.output and "credit_stress" in text.output
    assert "2025-08-27" in text.output and "sequential_growth_stalling" in text.output
    assert str(tmp_path / "charts" / "demo_ai_factory.png") in text.output


# --- the story: no empty panel, lines end with their data, announcements only, the quadrant ---


def _drawn(ax) -> bool:
    """The axes shows data: an input line with a known value, a quadrant run or a marker."""
    for line in ax.get_lines():
        gid = line.get_gid() or ""
        y = np.asarray(line.get_ydata(), float)
        if gid.startswith(("input:", "marker:")) and np.isfinite(y).any():
            return True
    return any((p.get_gid() or "").startswith("quadrant:") for p in ax.patches)


def test_no_demo_chart_has_an_empty_axes(demo):
    from signalflow.viz.plot import figure

    for t in demo.theses:
        fig = figure(t.data)
        assert fig.axes and all(_drawn(ax) for ax in fig.axes), t.thesis.id
        quadrant = [ax for ax in fig.axes if any((p.get_gid() or "").startswith("quadrant:") for p in ax.patches)]
        assert len(quadrant) == 1, t.thesis.id


def test_an_input_without_bundled_data_is_left_out_and_named(demo):
    (nvda,) = [t for t in demo.theses if t.thesis.id == "nvda_valuation"]
    assert [(x.label, x.owners, x.missing) for x in nvda.left_out] == [
        ("percentile(price_to_sales, 5y)", ("valuation_stretched",),
         ("sec.NVDA.EntityCommonStockSharesOutstanding", "sec.NVDA.revenue")),
    ]
    assert "percentile(price_to_sales, 5y)" not in [p.label for p in nvda.data.panels]
    # Every input the demo has no facts for is named by a left-out panel.
    for t in demo.theses:
        unbundled = {ref for ref, source in t.inputs.items() if source == "no bundled facts"} - {"px.NVDA.split", "px.VRT.split"}
        assert unbundled <= {ref for x in t.left_out for ref in x.missing}, t.thesis.id


def test_price_lines_end_a_week_after_the_last_bundled_close_not_a_year_later(demo):
    from signalflow.bundled.valuation_facts import weekly_closes

    last_close = datetime.combine(weekly_closes()[-1][0], datetime.min.time()).replace(hour=21)
    assert last_close == datetime(2024, 12, 20, 21)
    (nvda,) = [t for t in demo.theses if t.thesis.id == "nvda_valuation"]
    assert nvda.ends_early == {"px.NVDA.close": last_close}
    for label in ("stretch = pct_above_mean(px.NVDA.close, 200d)", "drawdown(px.NVDA.close, 1y)"):
        (panel,) = [p for p in nvda.data.panels if p.label == label]
        drawn = panel.times[~np.isnan(panel.values)]
        assert np.datetime64(last_close, "ns") <= drawn.max() <= np.datetime64(last_close + timedelta(days=7), "ns")
        assert panel.data_end == last_close + timedelta(days=7) and panel.times[-1] >= np.datetime64(DEMO_END, "ns")
    # Data-center revenue runs on: it is not cut where the closes stop.
    (dc,) = [p for p in nvda.data.panels if p.label == "yoy(csv.nvda_dc_revenue)"]
    assert dc.data_end is None and not np.isnan(dc.values[-1])
    assert "px.NVDA.close ends 2024-12-20" in nvda.closing


def test_the_quadrant_is_told_in_days_that_cover_the_backtest(demo):
    for t in demo.theses:
        tl = t.backtest.timeline
        assert t.end == DEMO_END or t.thesis.id == "demo_power_queue"  # its own span: test_demo_grid
        total = (t.end - tl.index[0].to_pydatetime()).days
        assert abs(sum(t.quadrant_days.values()) - total) <= len(t.quadrant_days), t.thesis.id
    (nvda,) = [t for t in demo.theses if t.thesis.id == "nvda_valuation"]
    # Growth (yoy of data-center revenue) is known from the fifth quarter, 2024-05-22.
    assert list(nvda.quadrant_days) == ["unknown", "growth and liquidity"]
    assert nvda.backtest.final.quadrant.value == "growth and liquidity"


def _x_thesis(tmp_path: Path):
    import yaml

    from signalflow.thesis.loader import load_thesis

    spec = {
        "thesis": "x_story", "title": "x", "layer": "compute", "review_by": "2030-01-01",
        "growth": {"reason": "g", "when": "csv.x > 0"}, "liquidity": {"reason": "l", "when": "csv.x < 100"},
        "soft_warning": [{"name": "x_high", "when": "csv.x > 5", "summary": "x above 5"}],
        "kill_switch": [{"name": "x_extreme", "when": "csv.x > 7", "summary": "x above 7"}],
    }
    path = tmp_path / "x_story.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_thesis(path)


def test_a_soft_warning_held_back_by_a_kill_switch_is_never_told_as_resolved(tmp_path: Path):
    from signalflow.bundled.facts import facts_provider
    from signalflow.thesis.engine import backtest
    from signalflow.thesis.results import RuleState
    from signalflow.viz.chart import chart_data
    from signalflow.viz.demo import events_of, tell

    # Day 2: both fire (the Soft Warning is held back), day 3: both stop. Day 5 the Soft Warning
    # fires alone (announced), day 6-7 a Kill Switch comes and goes, day 8 it resolves. Day 9
    # both fire again; day 10 the Kill Switch stops and the Soft Warning, still firing, is
    # announced then; day 11 it resolves.
    values = [4, 8, 4, 4, 6, 8, 6, 4, 8, 6, 4, 4]
    day0 = datetime(2025, 1, 1)
    facts = [Fact("csv.x", day0 + timedelta(days=i), day0 + timedelta(days=i), v, "", day0 + timedelta(days=i, hours=12),
                  f"row {i}") for i, v in enumerate(values)]
    thesis = _x_thesis(tmp_path)
    end = day0 + timedelta(days=len(values))
    bt = backtest(thesis, facts_provider(facts), None, end)
    raw = [(tr.at.day, tr.to_state) for tr in bt.transitions if tr.rule == "x_high"]
    assert (2, RuleState.FIRING) in raw and (3, RuleState.INACTIVE) in raw  # it did fire, unannounced
    events = [(e.at.day, e.rule, e.event) for e in events_of(thesis, bt)]
    assert [e for e in events if e[1] == "x_high"] == [
        (5, "x_high", "firing"), (8, "x_high", "resolved"), (10, "x_high", "firing"), (11, "x_high", "resolved")
    ]
    told = tell(thesis, bt, end, chart_data(thesis, bt, end), None, {})
    assert [(e.rule, e.start.day, e.end.day) for e in told.episodes] == [
        ("x_extreme", 2, 3), ("x_high", 5, 8), ("x_extreme", 6, 7), ("x_extreme", 9, 10), ("x_high", 10, 11)
    ]
    assert "3 Kill Switches" in told.closing and "2 Soft Warnings (x_high 2x" in told.closing
    announced: set[str] = set()
    for e in told.events:  # no resolution without its announced firing
        assert e.event == "firing" or e.rule in announced, e
        (announced.add if e.event == "firing" else announced.discard)(e.rule)


def test_ratio_panels_read_in_percent_even_against_a_bare_zero(demo):
    from matplotlib.ticker import PercentFormatter

    from signalflow.viz.plot import figure

    (nvda,) = [t for t in demo.theses if t.thesis.id == "nvda_valuation"]
    panels = {p.label: p for p in nvda.data.panels}
    assert [t.text for t in panels["qoq(csv.nvda_dc_revenue)"].thresholds] == ["0"]
    assert all(p.percent for label, p in panels.items() if label != "fred.BAMLH0A0HYM2")
    assert not panels["fred.BAMLH0A0HYM2"].percent
    fig = figure(nvda.data)
    (ax,) = [ax for ax in fig.axes if ax.get_title(loc="left") == "qoq(csv.nvda_dc_revenue)"]
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
