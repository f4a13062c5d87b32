"""The valuation thesis backtested on the bundled real NVIDIA closes (signalflow/data/valuation):
transitions derived here from the rows independently of the engine, the split handled point in
time, and explain showing the close with its period, known_at and source."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from signalflow.bundled.facts import facts_provider
from signalflow.bundled.valuation_facts import (
    SPLIT_EX_DATE,
    valuation_facts,
    weekly_closes,
)
from signalflow.thesis.engine import backtest, explain
from signalflow.viz.demo import events_of, valuation_theses

END = datetime(2024, 12, 31)


@pytest.fixture(scope="module")
def run():
    (thesis,) = [t for t in valuation_theses() if t.id == "nvda_valuation"]
    provider = facts_provider(valuation_facts())
    return thesis, provider, backtest(thesis, provider, None, END)


def _expected_price_stretched() -> list[tuple[datetime, str]]:
    """Firing/resolved instants of ``pct_above_mean(close, 200d) > 40%`` from the rows alone (the
    ratio is the same in any share basis, so the split-adjusted source values serve)."""
    rows = weekly_closes()
    events, firing = [], False
    for day, close, _ in rows:
        window = [c for d, c, _ in rows if day - timedelta(days=200) < d <= day]
        above = close / (sum(window) / len(window)) - 1 > 0.40
        if above != firing:
            events.append((datetime.combine(day, time(21)), "firing" if above else "resolved"))
            firing = above
    return events


def test_price_stretched_fires_and_resolves_when_the_rows_say(run) -> None:
    thesis, _, bt = run
    got = [(e.at, e.event) for e in events_of(thesis, bt) if e.rule == "price_stretched"]
    expected = _expected_price_stretched()
    assert len(expected) >= 4  # the facts do cross the threshold, both ways
    assert got == expected


def test_no_rule_moves_at_the_split(run) -> None:
    thesis, _, bt = run
    split = datetime.combine(SPLIT_EX_DATE, time())
    assert not [e for e in events_of(thesis, bt) if split <= e.at < split + timedelta(days=1)]


def test_deep_drawdown_never_fires_because_no_close_is_35_percent_below_its_year_high(run) -> None:
    thesis, _, bt = run
    rows = weekly_closes()
    worst = min(c / max(x for d, x, _ in rows if day - timedelta(days=365) < d <= day) - 1 for day, c, _ in rows)
    assert worst > -0.35
    assert not [e for e in events_of(thesis, bt) if e.rule == "deep_drawdown"]


@pytest.mark.parametrize(
    "at, factor",
    [
        (datetime(2024, 6, 9, 12), 10.0),  # before the ex-date: quoted as traded
        (datetime(2024, 6, 12, 12), 1.0),  # after it: the new share basis
    ],
)
def test_explain_shows_the_close_with_its_date_in_the_basis_of_the_instant(run, at: datetime, factor: float) -> None:
    thesis, provider, _ = run
    status = explain(thesis, provider, at)
    rows = {d: (c, s) for d, c, s in weekly_closes()}
    latest = max(d for d in rows if datetime.combine(d, time(21)) <= at)
    inputs = {i.ref: i for r in status.rules for i in r.inputs}
    close = inputs["px.NVDA.close"]
    assert close.period_end == latest
    # A pre-split close seen after the ex-date is its re-versioned value, known at the ex-date.
    resplit = factor == 1.0 and latest < SPLIT_EX_DATE
    assert close.known_at == (datetime.combine(SPLIT_EX_DATE, time()) if resplit else datetime.combine(latest, time(21)))
    assert close.value == pytest.approx(rows[latest][0] * factor, rel=1e-6)
    assert close.source_ref.startswith(rows[latest][1])
    # Share counts and revenue are not bundled: shown, without a value.
    for ref in ("sec.NVDA.EntityCommonStockSharesOutstanding", "sec.NVDA.revenue"):
        assert inputs[ref].value is None


def test_cli_backtest_and_explain_on_the_bundled_facts() -> None:
    import json

    from typer.testing import CliRunner

    from signalflow.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["backtest", "nvda_valuation", "--facts", "--to", "2024-12-31", "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)
    fired = [t["at"][:16] for t in summary["transitions"] if t["rule"] == "price_stretched" and t["to"] == "firing"]
    assert fired == [at.isoformat()[:16] for at, event in _expected_price_stretched() if event == "firing"]
    result = runner.invoke(app, ["explain", "nvda_valuation", "--facts", "--as-of", "2024-06-09", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    closes = [i for r in shown["rules"] for i in r["inputs"] if i["ref"] == "px.NVDA.close"]
    rows = {d.isoformat(): c for d, c, _ in weekly_closes()}
    assert closes and closes[0]["period_end"] == "2024-06-07"
    assert closes[0]["value"] == pytest.approx(rows["2024-06-07"] * 10, rel=1e-6)
    assert {"sec.NVDA.EntityCommonStockSharesOutstanding", "sec.NVDA.revenue"} <= {
        i["ref"] for r in shown["rules"] for i in r["inputs"]
    }
