"""Grouped evaluation of a ``for_each`` file gives exactly what evaluating each expansion on
its own gives: states, rule memories, every input value, every transition."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from signalflow.series import MemoryProvider
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import backtest, evaluate
from signalflow.thesis.group import Group, evaluate_group, load_group
from signalflow.thesis.live import LiveEvaluator
from signalflow.thesis.loader import read_theses

TICKERS = ["MSFT", "GOOGL", "AMZN", "META", "ORCL", "EMPTY"]
TEMPLATE = """\
for_each: {ticker: [MSFT, GOOGL, AMZN, META, ORCL, EMPTY]}
thesis: discipline
series:
  intensity: sec.{ticker}.capex / sec.{ticker}.revenue
growth:
  reason: "capex still grows"
  when: yoy(sec.{ticker}.capex) > 10%
liquidity:
  reason: "credit is open"
  when: fred.HY < 5
soft_warning:
  - name: intensity_high
    when: intensity > 40%
    for: 2 releases
  - name: credit_tight
    when: mean(fred.HY, 30d) > 4.5
    for: 14d
kill_switch:
  - name: capex_cut
    when: yoy(sec.{ticker}.capex) < 0 and fred.HY > 4
    resolve_when: yoy(sec.{ticker}.capex) > 5%
"""


def provider() -> MemoryProvider:
    rng = np.random.default_rng(7)
    frames = []
    quarters = [date(2022, 3, 31) + timedelta(days=91 * i) for i in range(14)]
    for n, ticker in enumerate(TICKERS[:-1]):  # EMPTY has no data at all
        capex = 10 * np.cumprod(1 + rng.normal(0.02, 0.12, len(quarters)))
        revenue = 30 * np.cumprod(1 + rng.normal(0.03, 0.05, len(quarters)))
        lag = timedelta(days=30 + 3 * n)  # each company files on its own day
        frames.append(frame_from_points(f"sec.{ticker}.capex", [(q, v, q + lag) for q, v in zip(quarters, capex)]))
        frames.append(frame_from_points(f"sec.{ticker}.revenue", [(q, v, q + lag) for q, v in zip(quarters, revenue)]))
    days = [date(2022, 1, 3) + timedelta(days=i) for i in range(0, 1300, 7)]
    hy = 4.5 + 1.5 * np.sin(np.arange(len(days)) / 15)  # in and out of tight credit
    frames.append(frame_from_points("fred.HY", [(d, v, d + timedelta(days=1)) for d, v in zip(days, hy)]))
    return MemoryProvider(frames)


@pytest.mark.parametrize("at", [datetime(2024, 12, 1), datetime(2025, 2, 1)])
def test_grouped_evaluation_equals_each_thesis_evaluated_alone(at):
    theses, problems = read_theses("d.yaml", TEMPLATE)
    assert problems == [] and len(theses) == 6
    data = provider()
    grouped = evaluate_group(theses, data, at)
    fired = set()
    for thesis, together in zip(theses, grouped):
        alone = evaluate(thesis, data, at)
        assert together.status.to_json() == alone.status.to_json()
        assert together.state.to_json() == alone.state.to_json()
        assert [t.to_json() for t in together.transitions] == [t.to_json() for t in alone.transitions]
        history = backtest(thesis, data, None, at).transitions
        fired |= {t.rule for t in history if t.to_state.value == "firing"}
    # The data exercise the rules: the comparison is not of empty evaluations.
    assert {"intensity_high", "capex_cut", "credit_tight"} <= fired
    assert len({e.status.state for e in grouped}) > 1


def test_grouped_incremental_passes_equal_each_thesis_alone():
    theses, _ = read_theses("d.yaml", TEMPLATE)
    data = provider()
    first, second = datetime(2024, 6, 1), datetime(2024, 12, 1)
    priors = {t.id: evaluate(t, data, first).state for t in theses}
    grouped = evaluate_group(theses, data, second, priors)
    for thesis, together in zip(theses, grouped):
        alone = evaluate(thesis, data, second, priors[thesis.id])
        assert together.status.to_json() == alone.status.to_json()
        assert together.state.to_json() == alone.state.to_json()


def test_a_kept_group_evaluates_pass_after_pass_as_each_thesis_alone():
    theses, _ = read_theses("d.yaml", TEMPLATE)
    data = provider()
    group = Group(theses)
    shared = group.shared
    priors: dict = {t.id: None for t in theses}
    alone_priors = dict(priors)
    for at in (datetime(2024, 6, 1), datetime(2024, 9, 1), datetime(2024, 12, 1), datetime(2025, 2, 1)):
        grouped = group.evaluate(data, at, priors)
        assert group.shared is shared and shared.theses == tuple(theses)
        for thesis, together in zip(theses, grouped):
            alone = evaluate(thesis, data, at, alone_priors[thesis.id])
            assert together.status.to_json() == alone.status.to_json()
            assert together.state.to_json() == alone.state.to_json()
            priors[thesis.id], alone_priors[thesis.id] = together.state, alone.state
    assert shared.by_id  # the expansions do share expressions (fred.HY < 5, ...)


def test_the_group_reads_a_shared_series_once_and_each_expansion_backtests():
    theses, _ = read_theses("d.yaml", TEMPLATE)
    series = load_group(theses, provider(), datetime(2025, 6, 1))
    assert len(series) == 2 * 6 + 1  # capex and revenue per company, fred.HY once
    bt = backtest(theses[0], provider(), None, datetime(2025, 6, 1))
    assert bt.thesis == "discipline[MSFT]" and len(bt.timeline) and bt.final is not None


class CountingProvider(MemoryProvider):
    """A memory provider that counts its reads."""

    reads = 0

    def load(self, keys, until=None):
        self.reads += 1
        return super().load(keys, until)


def test_a_live_pass_reads_every_expansions_series_in_one_read():
    theses, _ = read_theses("d.yaml", TEMPLATE)
    data = CountingProvider(provider().frames)
    live = LiveEvaluator(data)
    assert live.refresh_for(theses)
    evaluations = [live.evaluate(t, datetime(2024, 12, 1), refresh=False) for t in theses]
    assert data.reads == 1
    for thesis, together in zip(theses, evaluations):
        assert together.status.to_json() == evaluate(thesis, data, datetime(2024, 12, 1)).status.to_json()


def test_a_cause_asked_twice_is_computed_once_and_equals_a_fresh_computation():
    # A pass asks for the cause of each rule's last transition as news and again for the
    # rule's status; the second answer comes from the context's memo.
    from signalflow.thesis.causes import cause_of
    from signalflow.thesis.engine import _full

    theses, problems = read_theses("discipline.yaml", TEMPLATE)
    assert not problems
    checked = 0
    for thesis in theses[:-1]:
        run = _full(thesis, provider(), None, datetime(2025, 2, 1))
        for tr in run.transitions():
            i = int(np.searchsorted(run.t, np.datetime64(tr.at, "ns").astype(np.int64)))
            rule = thesis.rule(tr.rule)
            first = cause_of(run.ctx, rule, i)
            assert cause_of(run.ctx, rule, i) is first
            fresh = _full(thesis, provider(), None, datetime(2025, 2, 1))
            assert cause_of(fresh.ctx, rule, i) == first
            checked += 1
    assert checked > 10


def test_a_rules_inputs_are_remembered_per_thesis_and_equal_a_fresh_walk():
    # refs_of is remembered per (thesis, node) object: expansions share nodes (e.g.
    # ``intensity > 40%``) that read different series through their own derived series.
    from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
    from signalflow.thesis.context import Context, node_refs

    theses, problems = read_theses("discipline.yaml", TEMPLATE)
    assert not problems
    shared = theses[0].rule("intensity_high").when
    assert all(t.rule("intensity_high").when is shared for t in theses)
    for thesis in theses:
        ctx = Context(thesis, {}, np.array([0], np.int64), functions=BUILTIN_FUNCTIONS)
        for rule in thesis.rules:
            first = ctx.refs_of(rule.when)
            assert first == sorted(node_refs(thesis, rule.when))
            first.append("mutated by a caller")
            assert ctx.refs_of(rule.when) == sorted(node_refs(thesis, rule.when))
        ticker = thesis.id.split("[")[1].rstrip("]")
        assert ctx.refs_of(shared) == [f"sec.{ticker}.capex", f"sec.{ticker}.revenue"]


def test_value_free_expressions_are_evaluated_once_for_the_group_and_equal_each_own_value():
    from signalflow.thesis.ast import to_text, walk
    from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
    from signalflow.thesis.context import Context, SharedNodes, SharedValues

    theses, problems = read_theses("discipline.yaml", TEMPLATE)
    assert not problems
    shared = SharedValues(SharedNodes(theses))
    texts = {to_text(n) for t in theses for e in t.expressions() for n in walk(e) if shared.lookup(n)}
    # Only what every expansion reads alike: not sec.{ticker}.*, not `intensity > 40%`
    # (the same text, read through each expansion's own derived series).
    assert texts == {"fred.HY", "(fred.HY < 5)", "(fred.HY > 4)", "mean(fred.HY, 30d)", "(mean(fred.HY, 30d) > 4.5)"}
    series = load_group(theses, provider(), datetime(2025, 2, 1))
    t = np.arange(np.datetime64("2022-01-01"), np.datetime64("2025-02-01")).astype("datetime64[ns]").view(np.int64)
    values = []
    for thesis in theses:
        mine = {ref: series[ref] for ref in series if ref.startswith("fred.") or thesis.id.split("[")[1][:-1] in ref}
        together = Context(thesis, mine, shared.timeline(t.copy()), functions=BUILTIN_FUNCTIONS, shared=shared)
        alone = Context(thesis, dict(mine), t.copy(), functions=BUILTIN_FUNCTIONS)
        for expr in thesis.expressions():
            np.testing.assert_array_equal(together.eval(expr), alone.eval(expr))
        values.append(together.eval(thesis.liquidity.when))
    assert all(v is values[0] for v in values)  # one array for the group
    assert not values[0].flags.writeable


def test_a_series_remembers_lookups_at_a_timeline_and_at_one_instant_alike():
    # A status asks at the last instant between lookups at the whole timeline; both stay
    # remembered and equal a fresh computation.
    from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
    from signalflow.thesis.context import Context

    theses, _ = read_theses("discipline.yaml", TEMPLATE)
    series = load_group(theses, provider(), datetime(2025, 2, 1))
    s = series["fred.HY"]
    t = np.arange(np.datetime64("2022-01-01"), np.datetime64("2025-02-01")).astype("datetime64[ns]").view(np.int64)
    ctx = Context(theses[0], dict(series), t, functions=BUILTIN_FUNCTIONS)
    last = ctx.instant(len(t) - 1)
    assert ctx.instant(len(t) - 1) is last and last.tolist() == [t[-1]]
    whole, one = s.latest_period(t), s.latest_period(last)
    assert s.latest_period(t) is whole and s.latest_period(last) is one
    for got, at in ((whole, t), (one, last)):
        np.testing.assert_array_equal(got, s._latest_period(at.copy()))
