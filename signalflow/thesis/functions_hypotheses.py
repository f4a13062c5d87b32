"""``hypothesis(name)``: a hypothesis of the thesis decided point in time.

A hypothesis is evaluated on the thesis's grid from ``said`` (or the first known value of
what ``verify`` reads): *confirmed* at the first instant, up to the end of the ``by`` day, at
which ``verify`` is true; *refuted* once the ``by`` day has ended without that, provided
``verify`` was known (true or false) at some point before; *open* before, and also after the
``by`` day when no data ever let ``verify`` be judged (an absence of data refutes nothing). A
decision is final. ``hypothesis(name)`` is 1 once confirmed, 0 once refuted and NaN while
open.
"""

from __future__ import annotations

import numpy as np

from signalflow.thesis.arrays import DAY, NAT, grid_points, ns
from signalflow.thesis.ast import Call, Name, Node
from signalflow.thesis.frames import Shift
from signalflow.thesis.model import Hypothesis
from signalflow.thesis.registry import EvalContext, Impl


def decide(ctx: EvalContext, hyp: Hypothesis) -> tuple[np.ndarray, int, int]:
    """(value per instant of ``ctx.t``: 1 confirmed, 0 refuted, NaN open; the instant it was
    confirmed or NAT; the instant it is refuted (the end of its ``by`` day))."""
    deadline = ns(hyp.by) + DAY
    start = ns(hyp.said) if hyp.said is not None else _first_known(ctx, hyp.verify)
    confirmed = NAT
    judged = False  # was verify ever known (true or false) before the deadline?
    last = min(int(ctx.t[-1]), deadline - 1)
    if start is not None and start <= last:
        first = -(-start // ctx.step) * ctx.step
        grid = grid_points(first, last, ctx.step)
        instants = ctx.t[(ctx.t >= start) & (ctx.t <= last)]
        # The instants a verified value arrived: a filing accepted at 20:05 confirms then,
        # not at the next grid point.
        arrivals = [ctx.series(r).k_sorted for r in ctx.refs_of(hyp.verify) if len(ctx.series(r))]
        known = np.concatenate(arrivals).astype(np.int64) if arrivals else np.empty(0, np.int64)
        known = known[(known >= start) & (known <= last)]
        points = np.unique(np.concatenate([grid, instants, known]))
        if len(points):
            values = ctx.at(points).eval(hyp.verify)
            judged = bool(np.isfinite(values).any())
            hits = np.flatnonzero(values == 1)
            if len(hits):
                confirmed = int(points[hits[0]])
    out = np.full(len(ctx.t), np.nan)
    if confirmed != NAT:
        out[ctx.t >= confirmed] = 1.0
    elif judged:
        out[ctx.t >= deadline] = 0.0
    # Never judged (no data for verify before the deadline): it stays open, not refuted.
    return out, confirmed, deadline


def _first_known(ctx: EvalContext, node: Node) -> int | None:
    firsts = [int(ctx.series(r).k_sorted[0]) for r in ctx.refs_of(node) if len(ctx.series(r))]
    return min(firsts) if firsts else None


def hypothesis(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    name = call.args[0]
    assert isinstance(name, Name)
    return decide(ctx, ctx.thesis.hypothesis(name.name))[0]


IMPLEMENTATIONS: dict[str, Impl] = {"hypothesis": hypothesis}
