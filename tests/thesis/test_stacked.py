"""The expansions of a ``for_each`` file evaluated together (``thesis/stacked.py``) give,
bit for bit, what each gives evaluated alone: status, transitions with their causes, engine
state; on a first pass and on later passes from each expansion's own prior state. And the
templates that cannot be stacked fall back to one by one, with the same results."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalflow.series import MemoryProvider
from signalflow.thesis import lifecycle
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import evaluate
from signalflow.thesis.group import Group
from signalflow.thesis.loader import read_theses

# Rule conditions a template may hold, with a lifecycle option each: every stackable
# function, rule and condition names, derived series, and each kind of `for`.
RULES = [
    ("yoy(sec.{ticker}.capex) > 10%", "for: 2 releases"),
    ("sec.{ticker}.capex / sec.{ticker}.revenue > 35%", ""),
    ("qoq(sec.{ticker}.revenue) < 0 and fred.HY > 4", "for: 30d"),
    ("ttm(sec.{ticker}.capex) > lag(sec.{ticker}.capex, 4) * 3.5", ""),
    ("mean(sec.{ticker}.capex, 400d) > sec.{ticker}.capex", "keep_firing_for: 20d"),
    ("zscore(sec.{ticker}.revenue, 730d) < -0.5", ""),
    ("days_since(sec.{ticker}.capex) > 100", ""),
    ("max(sec.{ticker}.capex, sec.{ticker}.revenue) > 30 or not growth", ""),
    ("intensity > 40% and mean(sec.{ticker}.capex, 4) > 5", "resolve_when: intensity < 30%"),
    ("pct_change(sec.{ticker}.revenue, 2) > 5% and abs(change(sec.{ticker}.capex, 180d)) > 1", ""),
    ("rule_0 and fred.HY > 4.5", ""),
    ("min(latest(sec.{ticker}.capex), mean(fred.HY, 60d)) > 4 and liquidity", "for: 1 releases"),
]


def template(tickers: list[str], picks: list[int]) -> str:
    rules = []
    for n, pick in enumerate(picks):
        when, option = RULES[pick]
        if n == 0 and "rule_0" in when:  # a rule cannot read itself
            when = "fred.HY > 5"
        rules.append(f"  - name: rule_{n}\n    when: {when}\n" + (f"    {option}\n" if option else ""))
    return (
        f"for_each: {{ticker: [{', '.join(tickers)}]}}\n"
        "thesis: t\n"
        "series:\n  intensity: sec.{ticker}.capex / sec.{ticker}.revenue\n"
        'growth: {reason: "grows", when: "yoy(sec.{ticker}.capex) > 0"}\n'
        'liquidity: {reason: "open", when: "fred.HY < 5"}\n'
        "soft_warning:\n" + "".join(rules[:-1] or rules) + "kill_switch:\n"
        + (rules[-1] if len(rules) > 1 else "  - name: capex_cut\n    when: yoy(sec.{ticker}.capex) < -20%\n")
    )


def data(seed: int, tickers: list[str], fred_from: date = date(2021, 1, 4), irregular: bool = False) -> MemoryProvider:
    """Quarterly capex and revenue of each company, each filed 25 to 50 days after its
    quarter at an hour of its own, some missing; with ``irregular``, now and then a quarter
    filed after the next one or revised after it was filed. A weekly spread read by all."""
    rng = np.random.default_rng(seed)
    frames = []
    quarters = [date(2021, 3, 31) + timedelta(days=91 * i) for i in range(16)]
    for n, ticker in enumerate(tickers):
        if n == len(tickers) - 1 and seed % 2:  # now and then a company with no data at all
            continue
        capex = 10 * np.cumprod(1 + rng.normal(0.02, 0.15, len(quarters)))
        revenue = 30 * np.cumprod(1 + rng.normal(0.03, 0.08, len(quarters)))
        lags = rng.integers(25, 50, len(quarters))
        hours = rng.integers(0, 24, len(quarters))  # filed at an hour of its own, not midnight
        keep = rng.random(len(quarters)) > 0.1  # a missing filing now and then
        if irregular and rng.random() < 0.3:  # a quarter filed after the next one
            late = int(rng.integers(0, len(quarters) - 1))
            lags[late] += 120
        for key, values in (("capex", capex), ("revenue", revenue)):
            points = [
                (q, v, datetime.combine(q, datetime.min.time()) + timedelta(days=int(lag), hours=int(h)))
                for q, v, lag, h, k in zip(quarters, values, lags, hours, keep) if k
            ]  # fmt: skip
            if irregular and points and rng.random() < 0.4:  # a quarter revised after it was filed
                q, v, known = points[int(rng.integers(0, len(points)))]
                points.append((q, v * 1.3, known + timedelta(days=int(rng.integers(10, 200)))))
            frames.append(frame_from_points(f"sec.{ticker}.{key}", points))
    days = [fred_from + timedelta(days=i) for i in range(0, 1500, 7)]
    hy = 4.5 + 1.5 * np.sin(np.arange(len(days)) / (8 + seed % 7))
    frames.append(frame_from_points("fred.HY", [(d, v, d + timedelta(days=1)) for d, v in zip(days, hy)]))
    return MemoryProvider(frames)


def same(together, alone) -> None:
    assert together.status.to_json() == alone.status.to_json()
    assert together.state.to_json() == alone.state.to_json()
    assert [t.to_json() for t in together.transitions] == [t.to_json() for t in alone.transitions]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    picks=st.lists(st.integers(0, len(RULES) - 1), min_size=1, max_size=5),
    passes=st.lists(st.integers(1, 400), min_size=1, max_size=3),
)
def test_expansions_evaluated_together_equal_each_alone(seed, picks, passes):
    tickers = ["AAA", "BBB", "CCC", "DDD"]
    theses, problems = read_theses("t.yaml", template(tickers, picks))
    assert problems == []
    for together in passes_equal_alone(theses, data(seed, tickers), passes):
        assert together == len(theses)  # evaluated together, not one by one


def passes_equal_alone(theses, provider: MemoryProvider, passes: list[int]):
    """A first pass of ``theses`` as one group, then later ones from each expansion's prior
    state, each ``passes`` days (and hours) after the last: every evaluation equals the
    expansion's own alone. Yields how many were evaluated together in each pass."""
    group = Group(theses)
    priors: dict = {}
    alone_priors: dict = {}
    at = datetime(2022, 1, 1)
    for days in passes:
        at += timedelta(days=days, hours=days % 24)
        grouped = group.evaluate(provider, at, priors)
        for thesis, together in zip(theses, grouped):
            alone = evaluate(thesis, provider, at, alone_priors.get(thesis.id))
            same(together, alone)
            priors[thesis.id], alone_priors[thesis.id] = together.state, alone.state
        yield group.together


# Windows over a duration of a series with revisions are summed by running sums, which a
# stack cannot share: those templates are evaluated one by one (alike, as the test checks).
DURATION_WINDOWS = {4, 5}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    picks=st.lists(st.integers(0, len(RULES) - 1), min_size=1, max_size=4),
    passes=st.lists(st.integers(1, 400), min_size=1, max_size=3),
)
def test_expansions_with_revisions_and_late_filings_together_equal_each_alone(seed, picks, passes):
    """Series that are not one version per period in order (revised quarters, a quarter
    filed after the next) are looked up part by part, the others as one: each expansion
    still equals itself evaluated alone."""
    tickers = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    theses, _ = read_theses("t.yaml", template(tickers, picks))
    for together in passes_equal_alone(theses, data(seed, tickers, irregular=True), passes):
        assert together == len(theses) or set(picks) & DURATION_WINDOWS


def test_a_pass_that_mixes_first_and_later_passes_equals_each_alone():
    tickers = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    theses, _ = read_theses("t.yaml", template(tickers, [0, 2, 4, 8, 10]))
    provider = data(3, tickers)
    first = {t.id: evaluate(t, provider, datetime(2023, 5, 1)).state for t in theses}
    priors = {t.id: first[t.id] for t in theses[::2]}  # the others are new: from scratch
    group = Group(theses)
    grouped = group.evaluate(provider, datetime(2024, 2, 1), priors)
    assert group.together == len(theses)
    for thesis, together in zip(theses, grouped):
        same(together, evaluate(thesis, provider, datetime(2024, 2, 1), priors.get(thesis.id)))
    assert {e.status.state for e in grouped} != {"ok"} or any(e.transitions for e in grouped)


def test_a_template_that_cannot_be_stacked_is_evaluated_one_by_one_alike():
    tickers = ["AAA", "BBB", "CCC"]
    text = template(tickers, [0, 1]).replace(
        "  - name: rule_0\n", "  - name: rule_news\n    when: count(news.{ticker}.orders, 30d) >= 2\n  - name: rule_0\n"
    )
    theses, problems = read_theses("t.yaml", text)
    assert problems == []
    provider = data(4, tickers)
    group = Group(theses)
    grouped = group.evaluate(provider, datetime(2024, 6, 1))
    assert group.together == 0
    for thesis, together in zip(theses, grouped):
        same(together, evaluate(thesis, provider, datetime(2024, 6, 1)))


def test_one_expansion_that_cannot_be_evaluated_leaves_the_others_together():
    tickers = ["AAA", "BBB", "CCC"]
    theses, _ = read_theses("t.yaml", template(tickers, [1, 3]))
    provider = data(6, tickers)
    # A prior from the future: the expansion is evaluated from scratch, like alone.
    ahead = evaluate(theses[1], provider, datetime(2025, 6, 1)).state
    group = Group(theses)
    grouped = group.evaluate(provider, datetime(2024, 6, 1), {theses[1].id: ahead})
    assert group.together == 3
    for thesis, together in zip(theses, grouped):
        prior = ahead if thesis is theses[1] else None
        same(together, evaluate(thesis, provider, datetime(2024, 6, 1), prior))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    lengths=st.lists(st.integers(0, 30), min_size=1, max_size=6),
    kind=st.sampled_from(["releases", "duration", "plain", "keep", "resolve"]),
)
def test_the_lifecycle_of_timelines_end_to_end_equals_each_timeline_alone(seed, lengths, kind):
    rng = np.random.default_rng(seed)
    spec = {
        "releases": lifecycle.Spec(for_releases=2),
        "duration": lifecycle.Spec(for_ns=3 * 10**9),
        "plain": lifecycle.Spec(),
        "keep": lifecycle.Spec(for_ns=2 * 10**9, keep_ns=4 * 10**9),
        "resolve": lifecycle.Spec(),
    }[kind]
    parts = [np.sort(rng.choice(10**4, n, replace=False)).astype(np.int64) * 10**9 for n in lengths]
    t = np.concatenate(parts)
    cond = rng.choice([0.0, 1.0, np.nan], len(t), p=[0.3, 0.6, 0.1])
    rel = rng.random(len(t)) > 0.4
    resolve = rng.choice([0.0, 1.0], len(t)) if kind == "resolve" else None
    memories = [memory(rng, part, spec) for part in parts]
    bounds = np.r_[0, np.cumsum(lengths)]
    each = lifecycle.run_each(t, cond, spec, bounds, rel, resolve, memories)
    for k, trace in enumerate(each):
        a, b = bounds[k], bounds[k + 1]
        alone = lifecycle.run(t[a:b], cond[a:b], spec, rel[a:b], None if resolve is None else resolve[a:b], memories[k])
        assert trace.state.tolist() == alone.state.tolist()
        assert trace.active_at.tolist() == alone.active_at.tolist()
        assert trace.fired_at.tolist() == alone.fired_at.tolist()
        assert trace.memory == alone.memory


def memory(rng: np.random.Generator, part: np.ndarray, spec: lifecycle.Spec) -> lifecycle.Memory | None:
    """None, or what a rule could remember before ``part`` begins: inactive, pending since
    some instant (with fewer releases than it needs) or firing since one."""
    first = int(part[0]) if len(part) else 10**13
    state = int(rng.integers(-1, 3))
    if state < 0:
        return None
    if state == lifecycle.INACTIVE:
        return lifecycle.Memory()
    active = first - int(rng.integers(1, 6)) * 10**9
    if state == lifecycle.PENDING:
        return lifecycle.Memory(state, active, releases=int(rng.integers(0, max(spec.for_releases, 1))))
    return lifecycle.Memory(state, active, active + int(rng.integers(0, 2)) * 10**9, releases=0)


@pytest.mark.parametrize("companies", [2, 40])
def test_a_large_group_is_cut_into_chunks_that_each_equal_alone(monkeypatch, companies):
    import signalflow.thesis.group as group_module

    monkeypatch.setattr(group_module, "STACKED_INSTANTS", 3000)  # two or three expansions per chunk
    tickers = [f"C{i:02d}" for i in range(companies)]
    theses, _ = read_theses("t.yaml", template(tickers, [0, 1, 2]))
    provider = data(8, tickers)
    group = Group(theses)
    grouped = group.evaluate(provider, datetime(2024, 6, 1))
    assert group.together >= companies - 1
    for thesis, together in zip(theses, grouped):
        same(together, evaluate(thesis, provider, datetime(2024, 6, 1)))


def test_new_observations_and_values_of_the_stack_are_each_expansions_own():
    from signalflow.thesis.engine import pass_context
    from signalflow.thesis.group import load_group
    from signalflow.thesis.model import thesis_refs
    from signalflow.thesis.stacked import stack

    tickers = ["AAA", "BBB", "CCC"]
    theses, _ = read_theses("t.yaml", template(tickers, [0, 1]))
    provider = data(10, tickers, fred_from=date(2022, 1, 3))  # each timeline starts at a filing
    at = datetime(2024, 6, 1)
    series = load_group(theses, provider, at)
    prior = evaluate(theses[2], provider, datetime(2023, 1, 1)).state
    made = [pass_context(t, {r: series[r] for r in thesis_refs(t)}, at, prior if t is theses[2] else None) for t in theses]
    contexts = [ctx for ctx, _ in made]
    whole = stack(contexts)
    alone = [pass_context(t, {r: series[r] for r in thesis_refs(t)}, at, prior if t is theses[2] else None)[0] for t in theses]
    refs = ["sec.AAA.capex", "sec.AAA.revenue"]  # as the template (expansion 0) names them
    parts = whole.layout.parts(whole.new_observations(refs))
    for k, ctx in enumerate(alone):
        own = [r.replace("AAA", tickers[k]) for r in refs]
        assert parts[k].tolist() == ctx.new_observations(own).tolist()
        assert parts[k][0] == (ctx.start == 0)  # a first pass starts at a filing; a later one where the last ended
        rule = ctx.thesis.rules[0]
        assert contexts[k].eval(rule.when).tolist() == pytest.approx(ctx.eval(rule.when).tolist(), nan_ok=True)
        assert contexts[k].trace(rule.name).state.tolist() == ctx.trace(rule.name).state.tolist()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), parts=st.integers(1, 6), irregular=st.booleans(), shared=st.booleans())
def test_a_stacked_series_answers_each_part_as_its_series_does(seed, parts, irregular, shared):
    """Every lookup of a :class:`StackedSeries` over a layout equals the lookup of each
    part's own series at that part's instants, for any period asked (known, not yet known,
    never filed), for series read as one and part by part."""
    from signalflow.thesis.frames import PitSeries
    from signalflow.thesis.stacked import Layout, StackedSeries

    rng = np.random.default_rng(seed)
    day = 86_400 * 10**9
    series = []
    for _ in range(parts):
        periods = np.sort(rng.choice(400, int(rng.integers(0, 12)), replace=False))
        points = [(date(2020, 1, 1) + timedelta(days=int(p)), float(rng.normal()),
                   datetime(2020, 1, 1) + timedelta(days=int(p) + int(rng.integers(0, 90)))) for p in periods]  # fmt: skip
        if irregular and points:
            q, v, known = points[int(rng.integers(0, len(points)))]
            points.append((q, v + 1, known + timedelta(days=int(rng.integers(1, 60)))))
        series.append(PitSeries(frame_from_points("sec.X.capex", points)))
    if shared:
        series = [series[0]] * parts
    start = 1_577_836_800 * 10**9  # 2020-01-01
    timelines = [start + np.sort(rng.integers(0, 600, int(rng.integers(0, 30)))).astype(np.int64) * day for _ in range(parts)]
    layout = Layout(timelines)
    stacked = StackedSeries("sec.X.capex", layout, series)
    t = layout.t
    asked = np.concatenate([s.periods for s in series] + [np.array([-(2**63), 0], np.int64)])
    period = rng.choice(asked, len(t)) if len(t) else np.zeros(0, np.int64)
    cut = layout.parts(period)

    def each(lookup, *arrays):
        return np.concatenate([lookup(s, *arrays_k) for s, *arrays_k in zip(series, *arrays)]) if len(t) else np.zeros(0)

    own = layout.parts(t)
    assert stacked.known_count(t).tolist() == each(PitSeries.known_count, own).tolist()
    assert stacked.latest_period(t).tolist() == each(PitSeries.latest_period, own).tolist()
    np.testing.assert_array_equal(stacked.latest_value(t), each(PitSeries.latest_value, own))
    np.testing.assert_array_equal(stacked.value_at(t, period), each(PitSeries.value_at, own, cut))
