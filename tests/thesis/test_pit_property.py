"""Point in time, proven, and incremental == backtest, over generated histories.

Hypothesis generates observation histories with revisions (a later version of a period)
and late filings (an older period first known after newer ones).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import pandas as pd
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from signalflow.series import MemoryProvider
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import backtest, evaluate
from signalflow.thesis.loader import read_thesis

START = date(2020, 1, 1)

THESIS = {
    "thesis": "pit",
    "title": "generated",
    "series": {"both": "csv.a + csv.b"},
    "growth": {"reason": "g", "when": "yoy(csv.a) > 0"},
    "liquidity": {"reason": "l", "when": "mean(csv.b, 3) > 50 or change(csv.a, 60d) > 0"},
    "soft_warning": [
        {"name": "lagging", "when": "pct_change(csv.a, 1) < 0 and csv.b > 40", "for": "2 releases"},
        {"name": "window", "when": "zscore(csv.b, 200d) > 0.5", "for": "20d"},
    ],
    "kill_switch": [
        {"name": "crash", "when": "both < 90", "keep_firing_for": "15d", "resolve_when": "both > 110"},
        {"name": "ttm_low", "when": "ttm(csv.a) < mean(csv.a, 120d) * 4 - 10"},
    ],
}


@functools.cache
def _thesis():
    thesis, problems = read_thesis("pit.yaml", yaml.safe_dump(THESIS, sort_keys=False))
    assert thesis is not None, problems
    return thesis


# (period index, value, filing delay in days) ; periods are months since START.
observation = st.tuples(st.integers(0, 30), st.floats(0, 100, allow_nan=False), st.integers(0, 200))


def _frame(key: str, obs: list[tuple[int, float, int]]):
    points = []
    for month, value, delay in obs:
        end = (pd.Timestamp(START) + pd.offsets.MonthEnd(month + 1)).date()
        points.append((end, value, datetime.combine(end, datetime.min.time()) + timedelta(days=delay)))
    return frame_from_points(key, points)


def _provider(a, b, cut: datetime | None = None) -> MemoryProvider:
    frames = {"csv.a": _frame("csv.a", a), "csv.b": _frame("csv.b", b)}
    if cut is not None:
        for f in frames.values():
            f.data = f.data[f.data["known_at"] <= pd.Timestamp(cut)].reset_index(drop=True)
    return MemoryProvider(frames)


def _summary(status):
    return (
        status.state,
        status.quadrant,
        tuple((r.name, r.state, r.condition, r.active_at, r.fired_at) for r in status.rules),
    )


histories = st.lists(observation, min_size=1, max_size=25)
cut_days = st.integers(0, 1400)

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(a=histories, b=histories, cut=cut_days)
def test_state_at_t_ignores_everything_known_after_t(a, b, cut):
    thesis = _thesis()
    at = datetime.combine(START, datetime.min.time()) + timedelta(days=cut)
    end = datetime(2023, 12, 31)
    full = backtest(thesis, _provider(a, b), None, end).at(at)
    truncated = backtest(thesis, _provider(a, b, cut=at), None, at).at(at)
    if full is None or truncated is None:
        assert full is None or truncated is None or full.at != truncated.at
        return
    assert full.at == truncated.at
    assert _summary(full) == _summary(truncated)


@SETTINGS
@given(a=histories, b=histories, cuts=st.lists(cut_days, min_size=1, max_size=4))
# Found by Hypothesis: a zscore window of equal values after revisions of larger values left
# round-off of the history's size, which only the full backtest's running sums kept.
@example(
    a=[(0, 0.0, 0)],
    b=[(0, 0.0, 0)] * 8
    + [(3, 55.36327812763028, 0), (0, 0.0, 0), (1, 1.6520744814745782, 0), (15, 0.0, 0), (19, 0.0, 0),
       (25, 0.0, 0), (8, 94.49855499612181, 0)],
    cuts=[577],
)
def test_incremental_equals_last_state_of_full_backtest(a, b, cuts):
    thesis = _thesis()
    provider = _provider(a, b)
    prior = None
    for days in sorted(cuts) + [1400]:
        at = datetime.combine(START, datetime.min.time()) + timedelta(days=days)
        ev = evaluate(thesis, provider, at, prior)
        full = backtest(thesis, provider, None, at)
        assert _summary(ev.status) == _summary(full.final)
        assert ev.status.since == full.final.since
        prior = type(ev.state).from_json(ev.state.to_json())


def test_incremental_pass_computes_only_new_instants():
    thesis = _thesis()
    a = [(m, 50.0 + m, 10) for m in range(30)]
    provider = _provider(a, a)
    first = evaluate(thesis, provider, datetime(2021, 6, 1))
    later = evaluate(thesis, provider, datetime(2021, 6, 3), first.state)
    full = backtest(thesis, provider, None, datetime(2021, 6, 3))
    assert later.state.memory["first"] == first.state.memory["first"]
    assert _summary(later.status) == _summary(full.final)
    # Only the instants after the prior pass produce transitions.
    assert all(tr.at > first.state.evaluated_at for tr in later.transitions)


@SETTINGS
@given(a=histories, days=st.lists(st.integers(-40, 1400), min_size=1, max_size=12))
def test_lookups_at_one_instant_equal_the_array_lookups(a, days):
    """The scalar lookups a status makes (``latest_period_at``, ``row_of``) give what the
    array lookups give at the same instant, on series with revisions and late filings."""
    import numpy as np

    from signalflow.thesis.arrays import NAT
    from signalflow.thesis.frames import PitSeries

    s = PitSeries(_frame("csv.a", a))
    base = pd.Timestamp(START).value
    # Random instants, and each instant a version became known (lookups include it).
    instants = np.concatenate([np.array([base + d * 86_400 * 10**9 for d in days], np.int64), s.k, s.k - 1])
    periods = np.concatenate([s.periods, [NAT, base]])  # every period, no period, one never filed
    for at in instants.tolist():
        one = np.array([at], np.int64)
        assert s.latest_period_at(at) == int(s.latest_period(one)[0])
        for period in periods.tolist():
            assert s.row_of(at, period) == int(s.row_at(one, np.array([period], np.int64))[0])


@SETTINGS
@given(
    instants=st.lists(st.integers(-2 * 10**18, 4 * 10**18), min_size=1, max_size=50),
    month_ends=st.lists(st.integers(0, 2400), max_size=20),
    months=st.sampled_from([0, 1, 3, 12, 13, 24]),
)
def test_months_back_is_pandas_calendar_arithmetic(instants, month_ends, months):
    """``months_back`` moves a period end as ``pd.DateOffset(months=)`` does: the day cut to
    the month's last (31 May less three months is 28 or 29 February), the time kept."""
    import numpy as np

    from signalflow.thesis.periods import months_back

    ends = pd.Timestamp("1900-01-31")
    periods = np.array(instants + [(ends + pd.offsets.MonthEnd(n)).value for n in month_ends], np.int64)
    expected = (pd.DatetimeIndex(periods.view("datetime64[ns]")) - pd.DateOffset(months=months)).asi8
    assert months_back(periods, months).tolist() == expected.tolist()
