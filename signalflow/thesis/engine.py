"""Evaluate theses point in time: whole backtests, incremental live passes, explanations.

    from signalflow.thesis.engine import backtest, evaluate, explain
    bt = backtest(thesis, provider, start=None, end=datetime(2025, 6, 1))
    bt.at(datetime(2025, 3, 3))                   # ThesisStatus after the last evaluation <= T
    ev = evaluate(thesis, provider, at=now, prior=state)   # only the instants after state
    explain(thesis, provider, at=now)             # every rule with its inputs and why

The timeline is every instant at which an input gained a known value plus a regular grid
(multiples of ``thesis.every`` since the epoch, daily at 00:00 UTC by default). Every
expression is evaluated once over the whole timeline as arrays (see ``frames.py`` and
``functions.py``); the rule lifecycle then runs per rule (``lifecycle.py``). One evaluation
over an array of instants, and the statuses and transitions read from it, is a ``Run``
(``run.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd

from signalflow.errors import EvaluationError
from signalflow.thesis import lifecycle
from signalflow.thesis.ast import Node, SeriesRef, walk
from signalflow.thesis.arrays import grid_points, prefixed, sorted_unique, td_ns
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.causes import edited, news
from signalflow.thesis.context import Context, SharedValues
from signalflow.thesis.data import default_frequency, default_kind
from signalflow.thesis.explain import explained
from signalflow.thesis.frames import PitSeries, first_releases
from signalflow.thesis.layers import layer_key, layer_refs, layers_called
from signalflow.thesis.model import Thesis, thesis_refs
from signalflow.thesis.results import Backtest, EngineState, Evaluation, Quadrant, ThesisStatus
from signalflow.thesis.run import RULE_STATES, THESIS_STATES, Run, _bool, _ns, context, finish, fingerprint
from signalflow.series import SeriesFrame, SeriesProvider

__all__ = ["backtest", "conditions", "conditions_at", "engine_frame", "evaluate", "evaluate_series", "explain", "fingerprint"]

QUADRANTS = (
    Quadrant.GROWTH_AND_LIQUIDITY,
    Quadrant.GROWTH_ONLY,
    Quadrant.LIQUIDITY_ONLY,
    Quadrant.NEITHER,
    Quadrant.UNKNOWN,
)


def _categorical(codes: np.ndarray, values: tuple) -> pd.Categorical:
    """Per-instant states as a categorical column (compares equal to their string values;
    no string array is built per instant)."""
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=[v.value for v in values])


def engine_frame(ref: str, frame: SeriesFrame | None) -> SeriesFrame:
    """``frame`` as the engine reads it: empty when never collected, news streams as events."""
    if frame is None:
        frame = SeriesFrame.empty(ref, default_kind(ref))
        frame.frequency = default_frequency(ref)
    if frame.kind is not default_kind(ref) and default_kind(ref).value == "event":
        frame = SeriesFrame(frame.key, frame.data, default_kind(ref), frame.unit, frame.frequency, frame.url)
    return frame


def _frames(thesis: Thesis, provider: SeriesProvider, until: datetime) -> dict[str, SeriesFrame]:
    """Every series ``thesis`` reads, as the engine reads them, known at ``until`` (with the
    ``layer.*`` series of its ``layer()`` calls, which only the caller's provider holds)."""
    refs = thesis_refs(thesis) | layer_refs(thesis)
    frames = provider.load(sorted(refs), until=until)
    return {ref: engine_frame(ref, frames.get(ref)) for ref in refs}


def _load(thesis: Thesis, provider: SeriesProvider, until: datetime) -> dict[str, PitSeries]:
    return {ref: PitSeries(frame) for ref, frame in _frames(thesis, provider, until).items()}


def _timeline(series: dict[str, PitSeries], lo: int | None, hi: int, step: int) -> np.ndarray:
    """Known-at instants of every input within [lo, hi], plus the grid; ``lo=None`` starts
    at the first known value (exclusive bounds are applied by callers)."""
    if lo is None:
        lo = _first_instant(series, hi, step)
    inside = []
    for s in series.values():
        part = s.k_unique[np.searchsorted(s.k_unique, lo) : np.searchsorted(s.k_unique, hi, side="right")]
        # Inputs on one calendar (e.g. daily series all known at the same instants) add nothing new.
        if len(part) and not any(len(p) == len(part) and np.array_equal(p, part) for p in inside):
            inside.append(part)
    first = -(-lo // step) * step
    grid = grid_points(first, hi, step)
    return sorted_unique(np.sort(np.concatenate([grid, *inside])))[0]


def _first_instant(series: dict[str, PitSeries], hi: int, step: int) -> int:
    """Where a backtest without ``start`` begins: the first known value (the grid point at or
    before ``hi`` when nothing is known yet)."""
    firsts = [int(s.k_sorted[0]) for s in series.values() if len(s) and s.k_sorted[0] <= hi]
    return min(firsts) if firsts else hi - hi % step


def _full(thesis: Thesis, provider: SeriesProvider, start: datetime | None, end: datetime) -> Run | None:
    return _full_over(thesis, _load(thesis, provider, end), start, end)


def _full_over(thesis: Thesis, series: dict[str, PitSeries], start: datetime | None, end: datetime) -> Run | None:
    t = _timeline(series, None if start is None else _ns(start), _ns(end), td_ns(thesis.every))
    if not len(t):
        return None
    return finished(context(thesis, series, t, None), None)


def finished(ctx: Context, continued: EngineState | None) -> Run:
    """:func:`~signalflow.thesis.run.finish`, a thesis that cannot be evaluated reported
    as an :class:`EvaluationError`."""
    try:
        return finish(ctx, continued)
    except (KeyError, AssertionError) as exc:
        raise EvaluationError(ctx.thesis.id, f"cannot evaluate: {exc}") from exc


def backtest(
    thesis: Thesis, provider: SeriesProvider, start: datetime | None, end: datetime, first_release: bool = False
) -> Backtest:
    """The thesis at every instant of its timeline between ``start`` (the first known value
    when None) and ``end``: a timeline frame, the transitions (each with its cause) and the
    final status, with the input frames it read and its expressions' values (for charts).
    With ``first_release`` every input is read as first published: each period keeps its
    first version and no revision is ever seen."""
    frames = _frames(thesis, provider, end)
    if first_release:
        frames = {ref: first_releases(frame) for ref, frame in frames.items()}
    run = _full_over(thesis, {ref: PitSeries(frame) for ref, frame in frames.items()}, start, end)
    if run is None:
        return Backtest(thesis.id, pd.DataFrame(), [], None, inputs=frames)
    ctx = run.ctx
    index = pd.DatetimeIndex(run.t.view("datetime64[ns]"), name="at")
    growth, liquidity = ctx.condition("growth"), ctx.condition("liquidity")
    # Quadrant codes follow QUADRANTS: 2 * (not growth) + (not liquidity), 4 when unknown.
    unknown = np.isnan(growth) | np.isnan(liquidity)
    codes = np.where(unknown, 4, 2 * (growth != 1) + (liquidity != 1))
    columns = {
        "state": _categorical(run.thesis_state, THESIS_STATES),
        "quadrant": _categorical(codes, QUADRANTS),
        "growth": pd.arrays.BooleanArray(growth == 1, np.isnan(growth)),
        "liquidity": pd.arrays.BooleanArray(liquidity == 1, np.isnan(liquidity)),
    }
    for rule in thesis.rules:
        columns[rule.name] = _categorical(ctx.trace(rule.name).state, RULE_STATES)
    timeline = pd.DataFrame(columns, index=index)

    def status_at(when: datetime) -> ThesisStatus | None:
        i = int(np.searchsorted(run.t, _ns(when), side="right")) - 1
        return run.status(i) if i >= 0 else None

    return Backtest(
        thesis.id, timeline, run.transitions(), run.status(len(run.t) - 1, flip=True), status_at,
        inputs=frames, evaluated=ctx.eval,
    )


def evaluate(
    thesis: Thesis, provider: SeriesProvider, at: datetime, prior: EngineState | None = None
) -> Evaluation:
    """The state at ``at`` (after the last timeline instant <= at). With ``prior`` (the
    ``state`` of the previous pass) only the instants after ``prior.evaluated_at`` are
    computed; the result equals the last state of a full backtest over the same data. When
    the thesis changed, or data known at or before ``prior.evaluated_at`` arrived since
    (late data), it recomputes from the start."""
    return evaluate_series(thesis, _load(thesis, provider, at), at, prior)


def evaluate_series(
    thesis: Thesis, series: dict[str, PitSeries], at: datetime, prior: EngineState | None = None,
    shared: SharedValues | None = None,
) -> Evaluation:
    """:func:`evaluate` over series already indexed (``thesis_refs(thesis)`` -> PitSeries).
    The series may hold rows known after ``at``: every lookup is point in time, so they are
    never read (this is how live passes keep their indexes between passes). ``shared``
    holds the values of expressions shared with the other theses of a group (see
    :class:`~signalflow.thesis.context.SharedValues`)."""
    ctx, continued = pass_context(thesis, series, at, prior, shared)
    return evaluation_of(finished(ctx, continued), prior)


def pass_context(
    thesis: Thesis, series: dict[str, PitSeries], at: datetime, prior: EngineState | None = None,
    shared: SharedValues | None = None,
) -> tuple[Context, EngineState | None]:
    """The context of one pass of :func:`evaluate_series` (nothing evaluated yet) and the
    prior it continues from: ``prior`` when it is usable (only the instants after it are
    evaluated), else None (the whole timeline from the first known value)."""
    end = _ns(at)
    if _usable(thesis, series, prior, end):
        assert prior is not None and prior.evaluated_at is not None
        last = _ns(prior.evaluated_at)
        t = _timeline(series, last, end, td_ns(thesis.every))
        return context(thesis, series, prefixed(last, t[t > last]), prior, shared), prior
    t = _timeline(series, None, end, td_ns(thesis.every))
    if not len(t):
        raise EvaluationError(thesis.id, "nothing to evaluate")
    return context(thesis, series, t, None, shared), None


def evaluation_of(run: Run, prior: EngineState | None) -> Evaluation:
    """What a live pass gives from its run: the transitions since ``prior`` (the previous
    pass's state, whether or not the run continued from it), the status and the new state."""
    thesis = run.ctx.thesis
    transitions = news(run.transitions(), prior)
    status = run.status(len(run.t) - 1, run.changing(transitions), flip=True)
    if status.flip is not None:  # its cause computed now: the evaluation keeps no arrays
        status = replace(status, flip=replace(status.flip, origin=status.flip.cause))
    if prior is not None and prior.fingerprint and prior.fingerprint != fingerprint(thesis):
        transitions, status = edited(run.ctx, prior, status, fingerprint(thesis))
    return Evaluation(status, transitions, run.engine_state())


def quiet(thesis: Thesis, series: dict[str, PitSeries], prior: EngineState, at: datetime) -> bool:
    """True when nothing happened for ``thesis`` in ``(prior.evaluated_at, at]``: no grid
    instant and no input gained a row known in that span, so its state is ``prior``'s."""
    if prior.evaluated_at is None or prior.fingerprint != fingerprint(thesis):
        return False
    last, end = _ns(prior.evaluated_at), _ns(at)
    step = td_ns(thesis.every)
    if end < last or (last // step + 1) * step <= end:
        return False
    seen = prior.memory.get("seen", {})
    bounds = np.array([last, end], np.int64)
    for ref, s in series.items():
        count = s.known_count(bounds) if len(s) else (0, 0)
        if count[0] != count[1] or int(count[0]) != seen.get(ref, -1):
            return False
    return True


def _usable(thesis: Thesis, series: dict[str, PitSeries], prior: EngineState | None, end: int) -> bool:
    if prior is None or prior.evaluated_at is None or prior.fingerprint != fingerprint(thesis):
        return False
    last = _ns(prior.evaluated_at)
    if last > end:
        return False
    # A full backtest would start elsewhere (e.g. the prior pass saw no data at all).
    if prior.memory.get("first") != _first_instant(series, end, td_ns(thesis.every)):
        return False
    seen = prior.memory.get("seen", {})
    at = np.array([last], np.int64)
    return all(int(s.known_count(at)[0]) == seen.get(ref, -1) for ref, s in series.items())


def explain(thesis: Thesis, provider: SeriesProvider, at: datetime) -> ThesisStatus:
    """The status at ``at`` with every rule's inputs (value, period, known_at, source) and a
    sentence saying why the rule is in its state."""
    run = _full(thesis, provider, None, at)
    if run is None:
        raise EvaluationError(thesis.id, "no instant to explain")
    return explained(run.ctx, run.status(len(run.t) - 1, flip=True), len(run.t) - 1)



def condition_refs(thesis: Thesis, nodes: Mapping[str, Node]) -> set[str]:
    """The series a thesis and extra conditions on it read (``layer.*`` ones included: only
    a provider holding them, such as the cascade's, gives their values)."""
    read = {n.ref for node in nodes.values() for n in walk(node) if isinstance(n, SeriesRef)}
    return thesis_refs(thesis) | layer_refs(thesis) | read | {layer_key(name) for name in layers_called(nodes.values())}


def conditions_at(
    thesis: Thesis, series: dict[str, PitSeries], state: EngineState, nodes: Mapping[str, Node]
) -> dict[str, bool | None]:
    """Extra conditions on ``thesis`` (an acknowledgement's ``unless``, already resolved
    against it) at the instant ``state`` was evaluated, each True, False or None (unknown).

    They read the thesis's series, derived series, growth, liquidity and rules (a rule name
    is true while it fires) as they stood then: one instant is evaluated, its rules taken
    from ``state``'s memory, nothing is replayed. ``series`` must index
    :func:`condition_refs`."""
    if state.evaluated_at is None:
        return {text: None for text in nodes}
    t = np.array([_ns(state.evaluated_at)], np.int64)
    memories = {k: lifecycle.Memory.from_json(v) for k, v in state.rules.items()}
    ctx = Context(thesis, dict(series), t, start=1, memories=memories, functions=BUILTIN_FUNCTIONS)
    return {text: _bool(ctx.eval(node)[0]) for text, node in nodes.items()}


def conditions(
    thesis: Thesis, provider: SeriesProvider, state: EngineState, nodes: Mapping[str, Node]
) -> dict[str, bool | None]:
    """:func:`conditions_at` over series read from ``provider`` (up to the evaluated instant)."""
    if state.evaluated_at is None:
        return {text: None for text in nodes}
    refs = condition_refs(thesis, nodes)
    frames = provider.load(sorted(refs), until=state.evaluated_at)
    series = {ref: PitSeries(engine_frame(ref, frames.get(ref))) for ref in refs}
    return conditions_at(thesis, series, state, nodes)
