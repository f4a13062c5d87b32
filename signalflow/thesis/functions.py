"""The implementations of the thesis functions, over whole timelines.

Dispatch is on ``Call.impl`` (the signature the loader chose from ``functions_spec.py``),
through the registry the engine hands to the context (``registry.py``). Every function
receives the evaluation context, the call and the *shifts* under which it is evaluated, and
returns one float per instant (NaN = unknown).

Period functions (``yoy``, ``qoq``, ``lag``, ``pct_change``, ``change``, ``ttm``, ``mean(x, n)``)
work by *shifting*: ``yoy(x)`` is ``x / x' - 1`` where ``x'`` is ``x`` evaluated with every
series it reads moved to its own period one year earlier (nearest period end within 16 days,
so 52/53-week fiscal calendars match), each as known at T. This keeps revisions exact (both
periods are read as known at T) and lets functions apply to derived series such as
``sum(sec.MSFT.capex, sec.GOOGL.capex)``, each company on its own fiscal calendar.

``days_since(x)`` counts days from the end of the latest known period (not from known_at).
``mean(x, window)`` and ``zscore(x, window)`` of a plain series use the periods whose end lies
within ``(P - window, P]`` (P the latest period), each as known at T; over a computed
expression they use the expression's values on the evaluation grid within ``(T - window, T]``.
``zscore`` uses the sample standard deviation. Event functions count or sum the *stories*
first known in ``(T - window, T]`` (one story however many outlets carried it, its figure at
its latest version; ``thesis/stories.py``); ``outlets`` counts the distinct outlets.

Revision functions read the versions of the series ``x`` reads: ``revised(x, window)`` counts
the revisions (a period already known with another value) known within ``(T - window, T]``;
``revision(x)`` is ``(new - old) / |old|`` of the most recent revision known at T, whichever
period it revised (unknown before the first).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from signalflow.thesis.arrays import DAY, NAT, ratio, window_moments
from signalflow.thesis.ast import Call, DerivedRef, Node, SeriesRef
from signalflow.thesis.frames import QUARTER, YEAR, Shift
from signalflow.thesis.registry import EvalContext, Impl, count_arg, event_ref, window_arg
from signalflow.thesis.stories import distinct_outlets, latest_story, stories_known, story_sum

RELATIVE_VARIANCE_FLOOR = 1e-12  # (std / level)^2: a relative spread of 1e-6
EXACT_ELEMENTS = 4_000_000  # window values summed one by one per call, at most (about 0.1 s)


def _growth(shift: Shift) -> Impl:
    def impl(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
        x = call.args[0]
        return ratio(ctx.eval(x, sh), ctx.eval(x, sh + (shift,))) - 1.0

    return impl


def pct_change(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    x = call.args[0]
    return ratio(ctx.eval(x, sh), ctx.eval(x, sh + (Shift(lag=count_arg(call.args[1])),))) - 1.0


def change(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    x = call.args[0]
    return ctx.eval(x, sh) - ctx.eval(x, sh + (Shift(window=window_arg(call.args[1])),))


def lag(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return ctx.eval(call.args[0], sh + (Shift(lag=count_arg(call.args[1])),))


def last_n(ctx: EvalContext, x: Node, n: int, sh: tuple[Shift, ...]) -> np.ndarray:
    return np.stack([ctx.eval(x, sh + ((Shift(lag=k),) if k else ())) for k in range(n)])


def ttm(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return last_n(ctx, call.args[0], 4, sh).sum(axis=0)  # NaN when any quarter is missing


def mean_n(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return last_n(ctx, call.args[0], count_arg(call.args[1]), sh).mean(axis=0)


def window_stats(ctx: EvalContext, x: Node, w: int, sh: tuple[Shift, ...]) -> tuple[np.ndarray, ...]:
    """(count, mean, sample variance) of ``x`` over the window, per instant.

    Each window is summed on its own (:func:`arrays.window_moments`), so a live pass and a
    backtest agree to the bit, while the windows of the call hold at most
    :data:`EXACT_ELEMENTS` values in all (a live pass always: it evaluates a few instants).
    Past that (years of daily instants, each with a window of years), and for a series whose
    periods were filed out of order, the sums are differences of running sums over the
    history, in time proportional to the instants, with a floor for their round-off."""
    while isinstance(x, DerivedRef):
        x = ctx.thesis.series[x.name].expr
    if isinstance(x, SeriesRef) and not ctx.series(x.ref).events:
        s = ctx.series(x.ref)
        hi = s.latest_period(ctx.t)
        for shift in sh:
            hi = s.shifted(ctx.t, hi, shift)
        lo = np.where(hi == NAT, NAT, hi - w)
        exact = s.window_moments(ctx.t, lo, hi, EXACT_ELEMENTS)
        if exact is None:
            cnt, total, sq, centre_arr, (size, size_sq) = s.window_stats(ctx.t, lo, hi)
            return _running(cnt, total, sq, float(centre_arr[0]) if len(centre_arr) else 0.0, size, size_sq)
        return _floored(*exact, 0.0)
    grid, values = ctx.on_grid(x, sh, w)
    hi_i = np.searchsorted(grid, ctx.t, "right")
    lo_i = np.searchsorted(grid, ctx.t - w, "right")
    if int(np.maximum(hi_i - lo_i, 0).sum()) <= EXACT_ELEMENTS:
        return _floored(*window_moments(lo_i, hi_i, lambda i, idx: values[idx]), 0.0)
    finite = np.isfinite(values)
    centre = float(np.median(values[finite])) if finite.any() else 0.0
    xv = np.where(finite, values - centre, 0.0)
    c = np.concatenate([[0.0], np.cumsum(finite)])
    s1 = np.concatenate([[0.0], np.cumsum(xv)])
    s2 = np.concatenate([[0.0], np.cumsum(xv * xv)])
    size = np.concatenate([[0.0], np.cumsum(np.abs(xv))])[hi_i]
    return _running(c[hi_i] - c[lo_i], s1[hi_i] - s1[lo_i], s2[hi_i] - s2[lo_i], centre, size, s2[hi_i])


def _running(cnt, total, sq, centre: float, size, size_sq) -> tuple[np.ndarray, ...]:
    """Window statistics from differences of running sums (values centred on ``centre``;
    ``size`` and ``size_sq``: the sums of |x| and x * x the running sums added, their
    round-off's scale)."""
    with np.errstate(all="ignore"):
        centred = total / cnt
        var = (sq - cnt * centred * centred) / (cnt - 1)
        # Window sums are differences of running sums over the whole history (and over the
        # instants evaluated, which differ between a backtest and a live pass), so a window
        # of equal values leaves round-off instead of zero, of the size of the history's
        # terms rather than the window's level: a spread below a millionth of either is none.
        noise = (size_sq + 2.0 * np.abs(centred) * size) / (cnt - 1)
    return _floored(cnt, centred + centre, var, noise)


def _floored(cnt: np.ndarray, mean: np.ndarray, var: np.ndarray, noise) -> tuple[np.ndarray, ...]:
    """Unknown mean without values, unknown variance below two; a spread below a millionth
    of the level (or of ``noise``, the running sums' round-off) is none."""
    floor = RELATIVE_VARIANCE_FLOOR * np.maximum(np.maximum(mean * mean, 1.0), noise)
    mean = np.where(cnt <= 0, np.nan, mean)
    var = np.where(var <= floor, 0.0, var)
    var[cnt <= 1] = np.nan
    return cnt, mean, np.maximum(var, 0.0)


def mean_window(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return window_stats(ctx, call.args[0], window_arg(call.args[1]), sh)[1]


def zscore(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    _, mean, var = window_stats(ctx, call.args[0], window_arg(call.args[1]), sh)
    return ratio(ctx.eval(call.args[0], sh) - mean, np.sqrt(var))


def _nary(reduce: Callable[[np.ndarray], np.ndarray]) -> Impl:
    def impl(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
        return reduce(np.stack([ctx.eval(a, sh) for a in call.args]))

    return impl


def absolute(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return np.abs(ctx.eval(call.args[0], sh))


def latest(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return ctx.eval(call.args[0], sh)


def days_since(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """Days from the end of the most recent period among the series ``x`` reads."""
    ends = [ctx.period_of(ref, sh) for ref in ctx.refs_of(call.args[0])]
    if not ends:
        return np.full(len(ctx.t), np.nan)
    end = np.max(np.stack(ends), axis=0)
    return np.where(end == NAT, np.nan, (ctx.t - np.where(end == NAT, 0, end)) / DAY)


def days_since_events(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """Days since the latest story was first known (another outlet carrying it is no new story)."""
    latest = latest_story(ctx.series(event_ref(call.args[0])), ctx.t)
    return np.where(latest < 0, np.nan, (ctx.t - latest) / DAY)


def _before_any_event(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Unknown until the stream's first event is known: a stream with nothing in it yet (never
    collected, or a feed not working) says nothing, while a stream that has spoken and then
    stayed quiet for a window counts zero."""
    return np.where(counts == 0, np.nan, values)


def count(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """Stories first known within the window: two outlets' copies of one story count once."""
    s = ctx.series(event_ref(call.args[0]))
    w = window_arg(call.args[1])
    upto = stories_known(s, ctx.t)
    return _before_any_event(upto, (upto - stories_known(s, ctx.t - w)).astype(float))


def sum_events(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """The figures of the stories first known within the window, each once, at its latest version."""
    s = ctx.series(event_ref(call.args[0]))
    w = window_arg(call.args[1])
    return _before_any_event(s.known_count(ctx.t), story_sum(s, ctx.t, w))


def outlets(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """Distinct outlets that carried a story within the window: ``>= 2`` asks for corroboration."""
    s = ctx.series(event_ref(call.args[0]))
    return _before_any_event(s.known_count(ctx.t), distinct_outlets(s, ctx.t, window_arg(call.args[1])))


def revised(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    w = window_arg(call.args[1])
    refs = ctx.refs_of(call.args[0])
    if not refs:
        return np.full(len(ctx.t), np.nan)
    total = np.sum([ctx.series(ref).revisions_within(ctx.t, w) for ref in refs], axis=0)
    known = np.sum([ctx.series(ref).known_count(ctx.t) for ref in refs], axis=0)
    return _before_any_event(known, total)  # unknown until x has a value


def revision(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    """The relative size of the latest revision among the series ``x`` reads."""
    out = np.full(len(ctx.t), np.nan)
    latest = np.full(len(ctx.t), NAT, np.int64)
    for ref in ctx.refs_of(call.args[0]):
        s = ctx.series(ref)
        rows = s.revision_rows
        idx = np.searchsorted(s.k[rows], ctx.t, "right") - 1
        at = np.where(idx >= 0, s.k[rows[np.maximum(idx, 0)]] if len(rows) else NAT, NAT)
        newer = at > latest  # ties between series: the first series read wins
        out = np.where(newer, s.latest_revision(ctx.t), out)
        latest = np.maximum(latest, at)
    return out


IMPLEMENTATIONS: dict[str, Impl] = {
    "yoy": _growth(YEAR),
    "qoq": _growth(QUARTER),
    "pct_change": pct_change,
    "change": change,
    "lag": lag,
    "ttm": ttm,
    "mean_n": mean_n,
    "mean_window": mean_window,
    "sum": _nary(lambda a: a.sum(axis=0)),
    "sum_events": sum_events,
    "min": _nary(lambda a: a.min(axis=0)),
    "max": _nary(lambda a: a.max(axis=0)),
    "zscore": zscore,
    "abs": absolute,
    "latest": latest,
    "days_since": days_since,
    "days_since_events": days_since_events,
    "count": count,
    "outlets": outlets,
    "revised": revised,
    "revision": revision,
}
