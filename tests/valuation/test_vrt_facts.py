"""The bundled Vertiv facts (signalflow/data/valuation/vrt_*.csv): the SEC rows regenerated from
the real companyfacts file, the closes one version per session, and the vrt_valuation thesis
backtested on them, its transitions and hypothesis derived here from the rows, apart from the
engine."""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from signalflow.bundled.facts import facts_provider
from signalflow.bundled.valuation_facts import valuation_facts
from signalflow.bundled.vrt_facts import (
    SEC_SERIES,
    price_facts,
    sec_facts,
    sec_facts_from_payload,
    weekly_closes,
    write_sec_facts,
)
from signalflow.thesis.engine import backtest, explain
from signalflow.thesis.hypotheses import HypothesisState
from signalflow.viz.demo import events_of, valuation_theses

END = datetime(2026, 3, 31)
CLOSE = time(21)
REVENUE, OPERATING, SHARES = SEC_SERIES
VRT_FILE = "sec/sclaessens_market-scanner/VRT_companyfacts_wrapped.json"


def test_bundled_sec_rows_are_what_the_normalizer_makes_of_the_real_file(shared_data: Path, tmp_path: Path) -> None:
    from signalflow.sources.sec import read_payload

    regenerated = sec_facts_from_payload(read_payload(shared_data / VRT_FILE)[1])
    assert regenerated == sec_facts()
    write_sec_facts(regenerated, tmp_path / "again.csv")
    assert sec_facts(tmp_path / "again.csv") == regenerated  # the CSV round-trips exactly


def test_sec_rows_cover_the_backtest_with_filing_dates_and_accessions() -> None:
    facts = sec_facts()
    assert {f.series for f in facts} == set(SEC_SERIES)
    for f in facts:
        assert f.known_at > f.period_end  # known when filed, after the period
        *accessions, fiscal = f.source.split(" ")
        assert 1 <= len(accessions) <= 2 and fiscal.startswith("FY")  # a derived quarter names two
        for accession in accessions:
            assert len(accession) == 20 and accession[10] == "-"
    quarters = sorted(f.period_end for f in facts if f.series == REVENUE)
    assert quarters[0] <= datetime(2021, 3, 31) and quarters[-1] >= datetime(2025, 9, 30)
    # No split in the period: the share count never jumps by a split-like factor.
    counts = [f.value for f in sorted((f for f in facts if f.series == SHARES), key=lambda f: f.period_end)]
    assert max(b / a for a, b in zip(counts, counts[1:])) < 1.1


def test_closes_are_one_version_per_session_known_at_its_close() -> None:
    rows = weekly_closes()
    facts = price_facts()
    assert [(f.period_end.date(), f.value, f.known_at) for f in facts] == [
        (d, pytest.approx(c, rel=1e-6), datetime.combine(d, CLOSE)) for d, c, _ in rows
    ]
    weeks = [d.isocalendar()[:2] for d, _, _ in rows]
    assert len(set(weeks)) == len(weeks)
    assert all(0 < (b - a).days <= 8 for (a, _, _), (b, _, _) in zip(rows, rows[1:]))  # no week missing
    assert all("@" in s and ":" in s for _, _, s in rows)
    assert all(f.source.startswith(s) for f, (_, _, s) in zip(facts, rows))


class Rows:
    """The bundled rows, read point in time without the engine."""

    def __init__(self) -> None:
        self.closes = [(datetime.combine(d, CLOSE), d, c) for d, c, _ in weekly_closes()]
        facts = sec_facts()
        self.revenue = [f for f in facts if f.series == REVENUE]
        self.shares = [f for f in facts if f.series == SHARES]

    def close(self, t: datetime) -> tuple[date, float] | None:
        known = [(d, c) for k, d, c in self.closes if k <= t]
        return known[-1] if known else None

    @staticmethod
    def latest(facts, t: datetime) -> dict[datetime, float]:
        """Each period's value as known at ``t`` (its last version then)."""
        out: dict[datetime, float] = {}
        for f in sorted(facts, key=lambda f: f.known_at):
            if f.known_at <= t:
                out[f.period_end] = f.value
        return out

    def ttm_revenue(self, t: datetime) -> float | None:
        quarters = self.latest(self.revenue, t)
        last = sorted(quarters)[-4:]
        return sum(quarters[p] for p in last) if len(last) == 4 else None

    def ps_ratio(self, t: datetime) -> float | None:
        close, shares, ttm = self.close(t), self.latest(self.shares, t), self.ttm_revenue(t)
        if close is None or not shares or not ttm:
            return None
        return close[1] * shares[max(shares)] / ttm

    def stretch(self, t: datetime) -> float | None:
        close = self.close(t)
        if close is None:
            return None
        day, value = close
        window = [c for _, d, c in self.closes if day - timedelta(days=200) < d <= day]
        return value / (sum(window) / len(window)) - 1


@pytest.fixture(scope="module")
def rows() -> Rows:
    return Rows()


@pytest.fixture(scope="module")
def run():
    (thesis,) = [t for t in valuation_theses() if t.id == "vrt_valuation"]
    provider = facts_provider(valuation_facts())
    return thesis, provider, backtest(thesis, provider, None, END)


def _expected_valuation_stretched(rows: Rows) -> list[tuple[datetime, str]]:
    """``percentile(ps_ratio(VRT), 2y) > 90% and stretch > 40%`` at every instant an input
    changes and at each midnight; the percentile's history is ps_ratio at each midnight of the
    two years up to the instant (the evaluation grid)."""
    first, last = rows.closes[0][0], datetime(2025, 12, 31)
    midnights = [datetime.combine(first.date(), time()) + timedelta(days=i) for i in range((last - first).days + 2)]
    instants = sorted(set(midnights) | {k for k, _, _ in rows.closes} | {f.known_at for f in rows.revenue + rows.shares})
    instants = [t for t in instants if first <= t <= last]
    grid = {m: rows.ps_ratio(m) for m in midnights}
    grid_times = sorted(grid)
    events, firing = [], False
    for t in instants:
        current, stretch = rows.ps_ratio(t), rows.stretch(t)
        lo, hi = bisect.bisect_right(grid_times, t - timedelta(days=730)), bisect.bisect_right(grid_times, t)
        history = [v for m in grid_times[lo:hi] if (v := grid[m]) is not None]
        pct = sum(v <= current for v in history) / len(history) if history and current is not None else None
        true = pct is not None and stretch is not None and pct > 0.90 and stretch > 0.40
        if true != firing:
            events.append((t, "firing" if true else "resolved"))
            firing = true
    return events


def test_valuation_stretched_fires_and_resolves_when_the_rows_say(run, rows: Rows) -> None:
    thesis, _, bt = run
    got = [
        (e.at, e.event)
        for e in events_of(thesis, bt)
        if e.rule == "valuation_stretched" and e.at <= datetime(2025, 12, 31)
    ]
    expected = _expected_valuation_stretched(rows)
    assert len(expected) >= 4  # the facts do cross the thresholds, both ways
    assert got == expected


def test_deep_drawdown_fires_when_a_close_is_35_percent_below_its_year_high(run, rows: Rows) -> None:
    thesis, _, bt = run
    events, firing = [], False
    for k, day, c in rows.closes:
        top = max(x for _, d, x in rows.closes if day - timedelta(days=365) < d <= day)
        below = c / top - 1 < -0.35
        if below != firing:
            events.append((k, "firing" if below else "resolved"))
            firing = below
    assert events  # the 2025 sell-off crosses it
    assert [(e.at, e.event) for e in events_of(thesis, bt) if e.rule == "deep_drawdown"] == events


def test_the_sales_guide_is_confirmed_by_the_filing_that_lifts_ttm_sales_over_it(run, rows: Rows) -> None:
    from signalflow.thesis.hypotheses import evaluate_hypotheses

    thesis, provider, _ = run
    (hyp,) = thesis.hypotheses
    said = datetime.combine(hyp.said, time())
    filings = sorted({f.known_at for f in rows.revenue if f.known_at >= said})
    confirmed_at = next(t for t in filings if rows.ttm_revenue(t) >= 9.125e9)
    (status,) = evaluate_hypotheses(thesis, provider, END)
    assert (status.state, status.decided_at) == (HypothesisState.CONFIRMED, confirmed_at)
    (before,) = evaluate_hypotheses(thesis, provider, confirmed_at - timedelta(seconds=1))
    assert before.state is HypothesisState.OPEN


def test_no_kill_switch_fires_because_sales_grew_and_the_guide_held(run) -> None:
    thesis, _, bt = run
    assert not [e for e in events_of(thesis, bt) if e.severity == "kill_switch"]


@pytest.mark.parametrize("at", [datetime(2024, 3, 1, 22), datetime(2024, 11, 25, 12), datetime(2025, 4, 24, 12)])
def test_explain_shows_close_shares_and_revenue_with_periods_and_known_at(run, rows: Rows, at: datetime) -> None:
    thesis, provider, _ = run
    status = explain(thesis, provider, at)
    inputs = {i.ref: i for r in status.rules if r.name == "valuation_stretched" for i in r.inputs}
    day, value = rows.close(at)
    close = inputs["px.VRT.close"]
    assert (close.period_end, close.known_at) == (day, datetime.combine(day, CLOSE))
    assert close.value == pytest.approx(value, rel=1e-6)
    assert close.source_ref.startswith("sheep-farm/assets-data@")
    for ref, facts in ((SHARES, rows.shares), (REVENUE, rows.revenue)):
        known = [f for f in facts if f.known_at <= at]
        latest = max(known, key=lambda f: (f.period_end, f.known_at))
        shown = inputs[ref]
        assert (shown.period_start, shown.period_end) == (latest.period_start.date(), latest.period_end.date())
        assert (shown.value, shown.known_at, shown.source_ref) == (latest.value, latest.known_at, latest.source)
    # Vertiv never split: an empty split series is not a stale input.
    assert "px.VRT.split" not in status.stale_inputs


def test_cli_backtest_explain_and_hypotheses_on_the_bundled_facts(rows: Rows) -> None:
    import json

    from typer.testing import CliRunner

    from signalflow.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["backtest", "vrt_valuation", "--facts", "--to", "2025-12-31", "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.stdout)
    got = [
        (t["at"][:16], t["to"])
        for t in summary["transitions"]
        if t["rule"] == "valuation_stretched" and "firing" in (t["from"], t["to"])
    ]
    expected = _expected_valuation_stretched(rows)
    assert got == [(at.isoformat()[:16], "firing" if e == "firing" else "inactive") for at, e in expected]

    result = runner.invoke(app, ["explain", "vrt_valuation", "--facts", "--as-of", "2024-11-25", "--json"])
    assert result.exit_code == 0, result.output
    shown = {i["ref"]: i for r in json.loads(result.stdout)["rules"] for i in r["inputs"]}
    at = datetime(2024, 11, 25)
    day, close = rows.close(at)
    assert shown["px.VRT.close"]["period_end"] == day.isoformat()
    assert shown["px.VRT.close"]["value"] == pytest.approx(close, rel=1e-6)
    for ref, facts in ((SHARES, rows.shares), (REVENUE, rows.revenue)):
        latest = max((f for f in facts if f.known_at <= at), key=lambda f: (f.period_end, f.known_at))
        assert (shown[ref]["period_end"], shown[ref]["known_at"][:10], shown[ref]["value"]) == (
            latest.period_end.date().isoformat(), latest.known_at.date().isoformat(), latest.value
        )

    result = runner.invoke(app, ["hypotheses", "--facts", "--as-of", "2026-03-01", "--json"])
    assert result.exit_code == 0, result.output
    (status,) = [s for s in json.loads(result.stdout) if s["thesis"] == "vrt_valuation"]
    filings = sorted({f.known_at for f in rows.revenue if f.known_at >= datetime(2025, 2, 12)})
    confirmed_at = next(t for t in filings if rows.ttm_revenue(t) >= 9.125e9)
    assert (status["state"], status["decided_at"]) == ("confirmed", confirmed_at.isoformat())
