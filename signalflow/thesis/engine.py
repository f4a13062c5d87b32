"""Evaluate theses point in time: whole backtests, incremental live passes, explanations.

    from signalflow.thesis.engine import backtest, evaluate, explain
    bt = backtest(thesis, provider, start=None, end=datetime(2025, 6, 1))
    bt.at(datetime(2025, 3, 3))                   # ThesisStatus after the last evaluation <= T
    ev = evaluate(thesis, provider, at=now, prior=state)   # only the instants after state
    explain(thesis, provider, at=now)             # every rule with its inputs and why

The timeline is every instant at which an input gained a known value plus a regular grid
(multiples of ``thesis.every`` since the epoch, daily at 00:00 UTC by default). Every
expression is evaluated once over the whole timeline as arrays (see ``frames.py`` and
``functions.py``); the rule lifecycle then runs per rule (``lifecycle.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from datetime import datetime

import numpy as np
import pandas as pd

from signalflow.errors import EvaluationError
from signalflow.thesis import lifecycle
from signalflow.thesis.ast import Node, SeriesRef, walk
from signalflow.thesis.arrays import NAT, grid_points, sorted_unique, td_ns
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.causes import cause_of, edited, news, thesis_flip
from signalflow.thesis.context import Context, SharedValues
from signalflow.thesis.data import default_frequency, default_kind
from signalflow.thesis.explain import explained, rule_status, stale_inputs
from signalflow.thesis.frames import PitSeries, first_releases
from signalflow.thesis.layers import layer_key, layer_refs, layers_called
from signalflow.thesis.model import Thesis, thesis_refs
from signalflow.thesis.results import Backtest, EngineState, Evaluation, Quadrant, RuleState, ThesisState, ThesisStatus, Transition
from signalflow.series import SeriesFrame, SeriesProvider

__all__ = ["backtest", "conditions", "conditions_at", "engine_frame", "evaluate", "evaluate_series", "explain", "fingerprint"]

RULE_STATES = (RuleState.INACTIVE, RuleState.PENDING, RuleState.FIRING)
THESIS_STATES = (ThesisState.OK, ThesisState.SOFT_WARNING, ThesisState.KILL_SWITCH)
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


def _ns(when: datetime) -> int:
    return int(pd.Timestamp(when).as_unit("ns").value)


def _dt(ns: int) -> datetime | None:
    return None if ns == NAT else pd.Timestamp(ns).to_pydatetime()


def _dts(ns: np.ndarray) -> list[datetime]:
    """Many instants (none NAT) as datetimes at once (microsecond precision, like ``_dt``)."""
    return ns.view("datetime64[ns]").astype("datetime64[us]").astype(object).tolist()


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


def fingerprint(thesis: Thesis) -> str:
    """A hash of everything in a thesis that changes its evaluation (``thesis.fingerprint``,
    computed once per thesis object)."""
    return thesis.fingerprint


@dataclass
class Run:
    """One evaluation over an array of instants: conditions, traces and thesis states."""

    ctx: Context
    thesis_state: np.ndarray  # int8 per instant
    since: np.ndarray  # int64 ns per instant

    @property
    def t(self) -> np.ndarray:
        return self.ctx.t

    def status(self, i: int, detailed: frozenset[str] = frozenset(), flip: bool = False) -> ThesisStatus:
        """The status at instant ``i``; the rules named in ``detailed`` carry their inputs
        and the cause of their last transition; with ``flip``, the transition that put the
        thesis in its state."""
        th = self.ctx.thesis
        growth = _bool(self.ctx.condition("growth")[i])
        liquidity = _bool(self.ctx.condition("liquidity")[i])
        return ThesisStatus(
            thesis=th.id,
            title=th.title,
            at=_dt(int(self.t[i])),
            state=THESIS_STATES[int(self.thesis_state[i])],
            quadrant=Quadrant.of(growth, liquidity),
            growth=growth,
            liquidity=liquidity,
            rules=tuple(rule_status(self.ctx, r, i, inputs=r.name in detailed) for r in th.rules),
            layer=th.layer,
            stale_inputs=stale_inputs(self.ctx, i),
            since=_dt(int(self.since[i])),
            flip=thesis_flip(self.ctx, self.thesis_state, self.since, i) if flip else None,
        )

    def changing(self, transitions: list[Transition]) -> frozenset[str]:
        """The rules an alert may speak of after this run: those that changed state in it
        and those firing at its last instant."""
        last = len(self.t) - 1
        firing = {r.name for r in self.ctx.thesis.rules if self.ctx.trace(r.name).state[last] == lifecycle.FIRING}
        return frozenset(firing | {tr.rule for tr in transitions})

    def transitions(self) -> list[Transition]:
        out = []
        th = self.ctx.thesis
        s0 = self.ctx.start
        for rule in th.rules:
            trace = self.ctx.trace(rule.name)
            before = self.ctx.memory(rule.name).state
            seq = np.r_[before, trace.state[s0:]].astype(np.int8)
            where = np.flatnonzero(seq[1:] != seq[:-1])
            severity = rule.severity.value
            for i, at, a, b in zip((s0 + where).tolist(), _dts(self.t[s0 + where]), seq[where].tolist(), seq[where + 1].tolist()):
                cause = partial(cause_of, self.ctx, rule, i)  # computed when read
                out.append(Transition(at, th.id, rule.name, severity, RULE_STATES[a], RULE_STATES[b], cause))
        out.sort(key=lambda tr: tr.at)
        return out

    def engine_state(self) -> EngineState:
        last = len(self.t) - 1
        return EngineState(
            thesis=self.ctx.thesis.id,
            evaluated_at=_dt(int(self.t[last])),
            rules={r.name: self.ctx.trace(r.name).memory.to_json() for r in self.ctx.thesis.rules},
            fingerprint=fingerprint(self.ctx.thesis),
            memory={
                "state": int(self.thesis_state[last]),
                "since": int(self.since[last]),
                "first": self.ctx.first,
                "seen": {ref: int(s.known_count(self.ctx.instant(last))[0]) for ref, s in self.ctx.all_series.items()},
            },
        )


def _bool(x: float) -> bool | None:
    return None if np.isnan(x) else bool(x)


def _run(
    thesis: Thesis, series: dict[str, PitSeries], t: np.ndarray, prior: EngineState | None,
    shared: SharedValues | None = None,
) -> Run:
    """Evaluate at instants ``t``; with ``prior``, ``t[0]`` is its last instant (already
    evaluated) and the lifecycle continues from its memory. ``shared``: values shared with
    the other theses of a group."""
    memories = {}
    start, state0, since0 = 0, 0, NAT
    if prior is not None:
        memories = {k: lifecycle.Memory.from_json(v) for k, v in prior.rules.items()}
        start = 1
        state0 = int(prior.memory.get("state", 0))
        since0 = int(prior.memory.get("since", NAT))
    if shared is not None:
        t = shared.timeline(t)
    ctx = Context(thesis, series, t, start=start, memories=memories, functions=BUILTIN_FUNCTIONS, shared=shared)
    ctx.first = int(prior.memory.get("first", NAT)) if prior is not None else int(t[0])
    kill = np.zeros(len(t), bool)
    soft = np.zeros(len(t), bool)
    for rule in thesis.rules:
        firing = ctx.trace(rule.name).state == lifecycle.FIRING
        if rule.severity.value == "kill_switch":
            kill |= firing
        else:
            soft |= firing
    state = np.where(kill, 2, np.where(soft, 1, 0)).astype(np.int8)
    state[:start] = state0
    seq = np.r_[state0, state[start:]]
    change = np.r_[np.zeros(start, bool), seq[1:] != seq[:-1]]
    marks = np.maximum.accumulate(np.where(change, np.arange(len(t)), -1))
    default = since0 if since0 != NAT else int(t[0])
    since = np.where(marks >= 0, t[np.maximum(marks, 0)], default).astype(np.int64)
    return Run(ctx, state, since)


def _full(thesis: Thesis, provider: SeriesProvider, start: datetime | None, end: datetime) -> Run | None:
    return _full_over(thesis, _load(thesis, provider, end), start, end)


def _full_over(
    thesis: Thesis, series: dict[str, PitSeries], start: datetime | None, end: datetime,
    shared: SharedValues | None = None,
) -> Run | None:
    t = _timeline(series, None if start is None else _ns(start), _ns(end), td_ns(thesis.every))
    if not len(t):
        return None
    try:
        return _run(thesis, series, t, None, shared)
    except (KeyError, AssertionError) as exc:
        raise EvaluationError(thesis.id, f"cannot evaluate: {exc}") from exc


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
    end = _ns(at)
    if _usable(thesis, series, prior, end):
        assert prior is not None and prior.evaluated_at is not None
        last = _ns(prior.evaluated_at)
        t = _timeline(series, last, end, td_ns(thesis.every))
        t = np.r_[last, t[t > last]]
        run = _run(thesis, series, t, prior, shared)
    else:
        run = _full_over(thesis, series, None, at, shared)
        if run is None:
            raise EvaluationError(thesis.id, "nothing to evaluate")
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
