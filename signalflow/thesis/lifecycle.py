"""The Prometheus alerting-rule lifecycle over a whole timeline.

Semantics (``rules/alerting.go`` in Prometheus): a rule whose condition becomes true is
*pending* with ``active_at = T``; it fires at the first evaluation with ``T - active_at >= for``
(at once without ``for``); a single not-true evaluation drops a pending rule; a firing rule
resolves at its first not-true evaluation unless ``keep_firing_for`` holds it (firing while
``T - first_false < keep_firing_for``; a true evaluation resets ``first_false``). Extensions:
``for: N releases`` fires at the N-th consecutive true evaluation at which an input gained a
new observation; ``resolve_when`` keeps a firing rule firing until that condition is true.

An *unknown* condition (NaN) counts as not true: it drops a pending rule and starts resolving
a firing one, as a missing series does in Prometheus.

Implementation choice: the common case (a duration or release ``for`` and neither
``keep_firing_for`` nor ``resolve_when``, starting from inactive) is computed with array
operations only (run starts by cumulative maximum). Otherwise a tight loop runs over the
*segments* of consecutive true / not-true evaluations, never over single instants; inside a
segment the firing or resolving instant is found with ``searchsorted``/``argmax``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalflow.thesis.arrays import NAT, prefixed

INACTIVE, PENDING, FIRING = 0, 1, 2


@dataclass
class Memory:
    """What a rule remembers between evaluations (JSON-safe: ints are ns since epoch)."""

    state: int = INACTIVE
    active_at: int = NAT
    fired_at: int = NAT
    first_false: int = NAT
    releases: int = 0

    def to_json(self) -> dict:
        return {
            "state": self.state,
            "active_at": self.active_at,
            "fired_at": self.fired_at,
            "first_false": self.first_false,
            "releases": self.releases,
        }

    @classmethod
    def from_json(cls, data: dict) -> Memory:
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Spec:
    """The lifecycle parameters of one rule, in ns."""

    for_ns: int = 0
    for_releases: int = 0
    keep_ns: int = 0


@dataclass
class Trace:
    """Per-instant lifecycle of one rule."""

    state: np.ndarray  # int8: INACTIVE / PENDING / FIRING
    active_at: np.ndarray  # int64 ns or NAT
    fired_at: np.ndarray
    memory: Memory  # after the last instant


def run(
    t: np.ndarray,
    cond: np.ndarray,
    spec: Spec,
    releases: np.ndarray | None = None,
    resolve: np.ndarray | None = None,
    memory: Memory | None = None,
) -> Trace:
    """The lifecycle of one rule at instants ``t`` (sorted int64 ns) given its condition
    (1.0 true, 0.0 false, NaN unknown), starting from ``memory`` (inactive if None)."""
    true = cond == 1.0
    rel = releases if releases is not None else np.ones(len(t), bool)
    memory = memory or Memory()
    if not spec.keep_ns and resolve is None and memory.state == INACTIVE:
        return _vectorized(t, true, spec, rel)
    return _segments(t, true, spec, rel, resolve, memory)


def _vectorized(t: np.ndarray, true: np.ndarray, spec: Spec, rel: np.ndarray) -> Trace:
    state, active, fired_at, count = _arrays(t, true, spec, rel, None)
    return Trace(state, active, fired_at, _memory_at(len(t) - 1, true, spec, state, active, fired_at, count))


def _arrays(
    t: np.ndarray, true: np.ndarray, spec: Spec, rel: np.ndarray, breaks: np.ndarray | None,
    carried: tuple[np.ndarray, list[Memory]] | None = None,
) -> tuple[np.ndarray, ...]:
    """State, active_at, fired_at and the release count at each instant, from inactive;
    ``breaks`` (True where a timeline of its own begins) starts every run anew there.
    ``carried``: instants where a timeline begins from a pending or firing memory (each
    with its memory), so a run starting there continues that memory's."""
    n = len(t)
    idx = np.arange(n)
    before_true = prefixed(False, true[:-1]) if n else true
    if breaks is not None:
        before_true[breaks] = False
    starts = true & ~before_true
    run_start = np.maximum.accumulate(np.where(starts, idx, 0)) if n else idx
    active = np.where(true, t[run_start] if n else t, NAT)
    cont = firing0 = None
    if carried is not None and len(carried[0]):
        at, memories = carried
        # Per instant, the carried memory of the run it is in (NAT/0 where none is).
        act0, rel0, fired0 = (np.full(n, NAT, np.int64), np.zeros(n, np.int64), np.full(n, NAT, np.int64))
        act0[at] = [m.active_at for m in memories]
        rel0[at] = [m.releases for m in memories]
        fired0[at] = [m.fired_at if m.state == FIRING else NAT for m in memories]
        cont = true & (act0[run_start] != NAT)
        act0, rel0, fired0 = act0[run_start], rel0[run_start], fired0[run_start]
        active = np.where(cont, act0, active)
        firing0 = cont & (fired0 != NAT)
    count = None
    if spec.for_releases:
        counted = np.cumsum(rel & true)
        before = np.where(run_start > 0, counted[run_start - 1] if n else 0, 0)
        count = counted - before
        if cont is not None:
            count = count + np.where(cont, rel0, 0)
        fire = true & (count >= spec.for_releases)
    else:
        fire = true & (t - np.where(true, active, 0) >= spec.for_ns)
    if firing0 is not None:
        fire |= firing0
    state = np.where(fire, FIRING, np.where(true, PENDING, INACTIVE)).astype(np.int8)
    before_fire = prefixed(False, fire[:-1]) if n else fire
    if breaks is not None:
        before_fire[breaks] = False
    fire_start = fire & ~before_fire
    fired_idx = np.maximum.accumulate(np.where(fire_start, idx, 0)) if n else idx
    fired_at = np.where(fire, t[fired_idx] if n else t, NAT)
    if firing0 is not None:
        fired_at = np.where(firing0, fired0, fired_at)
    return state, active, fired_at, count


def _memory_at(i: int, true, spec: Spec, state, active, fired_at, count) -> Memory:
    """The memory after instant ``i`` of :func:`_arrays`' output (``i`` < 0: none evaluated)."""
    memory = Memory()
    if i >= 0 and true[i]:
        memory.active_at = int(active[i])
        memory.state = int(state[i])
        memory.fired_at = int(fired_at[i])
        if spec.for_releases and state[i] == PENDING:
            memory.releases = int(count[i])
    return memory


def run_each(
    t: np.ndarray,
    cond: np.ndarray,
    spec: Spec,
    bounds: np.ndarray,
    releases: np.ndarray,
    resolve: np.ndarray | None,
    memories: list[Memory | None],
) -> list[Trace]:
    """:func:`run` over many timelines laid end to end: timeline ``k`` is
    ``t[bounds[k]:bounds[k + 1]]`` and starts from ``memories[k]``. The timelines that
    :func:`run` would compute with array operations, and those whose memory lasts only
    to the end of the run they start in (no ``keep_firing_for`` or ``resolve_when``), are
    computed in one go; the others each on their own. Equal, timeline by timeline, to
    :func:`run`."""
    out: list[Trace | None] = [None] * len(memories)
    if not spec.keep_ns and resolve is None:  # no memory beyond the run a timeline starts in
        lengths = np.diff(bounds)
        firsts = bounds[:-1]
        breaks = np.zeros(len(t), bool)
        breaks[firsts[lengths > 0]] = True
        true = cond == 1.0
        # Timelines starting pending or firing continue their memory's run (an empty one
        # keeps its memory: left to run()).
        carry = [k for k, m in enumerate(memories) if m is not None and m.state != INACTIVE and lengths[k]]
        carried = (firsts[carry], [memories[k] for k in carry])
        arrays = _arrays(t, true, spec, releases, breaks, carried)  # type: ignore[arg-type]
        state, active, fired_at, count = arrays
        for k, memory in enumerate(memories):
            a, b = int(bounds[k]), int(bounds[k + 1])
            if b > a:
                out[k] = Trace(state[a:b], active[a:b], fired_at[a:b], _memory_at(b - 1, true, spec, *arrays))
            elif memory is None or memory.state == INACTIVE:
                out[k] = Trace(state[a:b], active[a:b], fired_at[a:b], Memory())
    for k, memory in enumerate(memories):
        if out[k] is None:
            a, b = int(bounds[k]), int(bounds[k + 1])
            out[k] = run(t[a:b], cond[a:b], spec, releases[a:b], None if resolve is None else resolve[a:b], memory)
    return out  # type: ignore[return-value]


def _segments(
    t: np.ndarray,
    true: np.ndarray,
    spec: Spec,
    rel: np.ndarray,
    resolve: np.ndarray | None,
    memory: Memory,
) -> Trace:
    n = len(t)
    state = np.zeros(n, np.int8)
    active = np.full(n, NAT, np.int64)
    fired = np.full(n, NAT, np.int64)
    m = Memory(**memory.to_json())
    bounds = np.flatnonzero(prefixed(True, true[1:] != true[:-1])) if n else np.zeros(0, int)
    ends = np.append(bounds[1:], n)
    for s, e in zip(bounds.tolist(), ends.tolist()):
        if true[s]:
            if m.state == INACTIVE:
                m.state, m.active_at, m.releases = PENDING, int(t[s]), 0
            m.first_false = NAT
            f = e
            if m.state == FIRING:
                f = s
            elif spec.for_releases:
                counted = m.releases + np.cumsum(rel[s:e])
                hit = np.flatnonzero(counted >= spec.for_releases)
                f = s + int(hit[0]) if len(hit) else e
                m.releases = int(counted[-1]) if f == e else 0
            else:
                f = s + int(np.searchsorted(t[s:e], m.active_at + spec.for_ns, "left"))
            state[s:f] = PENDING
            if f < e:
                if m.state != FIRING:
                    m.state, m.fired_at = FIRING, int(t[f])
                state[f:e] = FIRING
                fired[f:e] = m.fired_at
            active[s:e] = m.active_at
            continue
        if m.state != FIRING:
            m = Memory()
            continue
        if m.first_false == NAT:
            m.first_false = int(t[s])
        ok = np.ones(e - s, bool)
        if spec.keep_ns:
            ok &= t[s:e] - m.first_false >= spec.keep_ns
        if resolve is not None:
            ok &= resolve[s:e] == 1.0
        r = s + int(np.argmax(ok)) if ok.any() else e
        state[s:r] = FIRING
        active[s:r] = m.active_at
        fired[s:r] = m.fired_at
        if r < e:
            m = Memory()
    return Trace(state, active, fired, m)
