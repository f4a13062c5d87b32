"""`signalflow demo`: the bundled facts, and transitions whose dates the test derives from
the facts themselves (not from the engine)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

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
