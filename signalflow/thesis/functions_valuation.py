"""Valuation functions: market capitalization, price to TTM sales and operating income, and
where a value sits in its own history (``percentile``, ``drawdown``, ``pct_above_mean``).

``market_cap(NVDA)``, ``ps_ratio(NVDA)`` and ``pe_op(NVDA)`` take a ticker. The loader expands
the ticker into the series the function reads (``functions_spec.expand_ticker``), so that
the engine loads them, ``check`` validates them and ``explain`` shows each with its period and
the instant it became known: ``market_cap(NVDA)`` reads ``px.NVDA.close``,
``sec.NVDA.EntityCommonStockSharesOutstanding`` (the filing cover page) and
``px.NVDA.split``; ``ps_ratio`` adds ``sec.NVDA.revenue``, ``pe_op`` ``sec.NVDA.operating_income``.
A ticker argument (rather than references such as ``val.NVDA.ps_ratio``) keeps one place
that knows which series make a valuation, and lets the result be used like any expression:
``percentile(ps_ratio(NVDA), 5y)``.

Share basis. At instant T a price series is in the share basis of T (splits re-version its
history at their ex-date, see :mod:`signalflow.sources.prices_formats`), while a share count
is in the basis of its cover date. Market cap therefore multiplies the count by every split
known at T whose ex-date is after the cover date: ``close x shares x splits since``.

``percentile(x, window)`` is the share of the values in ``(P - window, P]`` that are at most
the current value (1.0 = a new high of the window); ``drawdown(x)`` is ``x / highest - 1``
over all known history (``drawdown(x, window)`` over the window); ``pct_above_mean(x, w)``
is ``x / mean(x, w) - 1``. Over a plain series the history is its periods, each as known at
T (so a split never shows as a crash); over a computed expression (``ps_ratio(NVDA)``) it is
the expression's values on the evaluation grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from signalflow.thesis.arrays import NAT, ratio
from signalflow.thesis.ast import Call, DerivedRef, Node, SeriesRef
from signalflow.thesis.frames import PitSeries, Shift
from signalflow.thesis.functions import last_n, window_stats
from signalflow.thesis.registry import EvalContext, Impl, window_arg


def _ref(node: Node) -> str:
    assert isinstance(node, SeriesRef)
    return node.ref


def _split_factor(ctx: EvalContext, split_ref: str, since: np.ndarray) -> np.ndarray:
    """Per instant: the product of the splits known then whose ex-date is after ``since``."""
    s = ctx.series(split_ref)
    out = np.ones(len(ctx.t))
    for period in s.periods:
        split = s.value_at(ctx.t, np.full(len(ctx.t), period))
        applies = np.isfinite(split) & (since != NAT) & (period > since)
        out = np.where(applies, out * split, out)
    return out


def market_cap(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    close, shares, split = call.args[:3]
    count = ctx.eval(shares, sh)
    factor = _split_factor(ctx, _ref(split), ctx.period_of(_ref(shares), sh))
    return ctx.eval(close, sh) * count * factor


def _over_ttm(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    ttm = last_n(ctx, call.args[3], 4, sh).sum(axis=0)
    return ratio(market_cap(ctx, call, sh), np.where(ttm > 0, ttm, np.nan))


def _plain(ctx: EvalContext, x: Node) -> SeriesRef | None:
    """The collected series ``x`` is, through derived names; None for a computed expression."""
    while isinstance(x, DerivedRef):
        x = ctx.thesis.series[x.name].expr
    if isinstance(x, SeriesRef) and not ctx.series(x.ref).events:
        return x
    return None


def _reduce_window(
    ctx: EvalContext, x: Node, window: int | None, sh: tuple[Shift, ...], reduce: Callable[[np.ndarray, float], float]
) -> np.ndarray:
    """``reduce(history values, current value)`` per instant; ``window`` None = all history."""
    out = np.full(len(ctx.t), np.nan)
    ref = _plain(ctx, x)
    if ref is not None:
        s = ctx.series(ref.ref)
        hi = ctx.period_of(ref.ref, sh)
        snapshots = _Snapshots(s)
        for i, (t, p) in enumerate(zip(ctx.t, hi)):
            if p == NAT:
                continue
            values, known = snapshots.at(int(t))
            lo_i = 0 if window is None else int(np.searchsorted(s.periods, p - window, "right"))
            hi_i = int(np.searchsorted(s.periods, p, "right"))
            part = values[lo_i:hi_i][known[lo_i:hi_i]]
            current = values[hi_i - 1]
            part = part[np.isfinite(part)]
            if len(part) and np.isfinite(current):
                out[i] = reduce(part, current)
        return out
    span = window
    if span is None:
        firsts = [int(ctx.series(r).k_sorted[0]) for r in ctx.refs_of(x) if len(ctx.series(r))]
        if not firsts:
            return out
        span = int(ctx.t[-1]) - min(firsts) + ctx.step
    grid, values = ctx.on_grid(x, sh, span)
    current = ctx.eval(x, sh)
    hi_idx = np.searchsorted(grid, ctx.t, "right")
    lo_idx = np.searchsorted(grid, ctx.t - span, "right")
    for i in range(len(ctx.t)):
        part = values[lo_idx[i] : hi_idx[i]]
        part = part[np.isfinite(part)]
        if len(part) and np.isfinite(current[i]):
            out[i] = reduce(part, float(current[i]))
    return out


class _Snapshots:
    """The value of every period as known at an instant, computed once per revision epoch:
    between two instants at which an existing period got a new version, old periods keep
    their values and new periods only appear."""

    def __init__(self, s: PitSeries) -> None:
        self.s = s
        first = np.searchsorted(s.periods, s.pe)
        revised = s.k > s.first_known[first]
        self.bounds = np.unique(s.k[revised])
        self._cache: dict[int, np.ndarray] = {}

    def at(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        epoch = int(np.searchsorted(self.bounds, t, "right"))
        values = self._cache.get(epoch)
        if values is None:
            end = int(self.bounds[epoch]) - 1 if epoch < len(self.bounds) else np.iinfo(np.int64).max
            values = self._cache[epoch] = self.s.value_at(np.full(len(self.s.periods), end), self.s.periods)
        return values, self.s.first_known <= t


def percentile(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return _reduce_window(ctx, call.args[0], window_arg(call.args[1]), sh, lambda v, c: float(np.mean(v <= c)))


def _drawdown(v: np.ndarray, c: float) -> float:
    top = float(np.max(v))
    return c / top - 1.0 if top > 0 else float("nan")


def drawdown(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return _reduce_window(ctx, call.args[0], None, sh, _drawdown)


def drawdown_window(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    return _reduce_window(ctx, call.args[0], window_arg(call.args[1]), sh, _drawdown)


def pct_above_mean(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    mean = window_stats(ctx, call.args[0], window_arg(call.args[1]), sh)[1]
    return ratio(ctx.eval(call.args[0], sh), mean) - 1.0


IMPLEMENTATIONS: dict[str, Impl] = {
    "market_cap": market_cap,
    "ps_ratio": _over_ttm,
    "pe_op": _over_ttm,
    "percentile": percentile,
    "drawdown": drawdown,
    "drawdown_window": drawdown_window,
    "pct_above_mean": pct_above_mean,
}
