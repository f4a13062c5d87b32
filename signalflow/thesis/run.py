"""One evaluation of a thesis over an array of instants (:class:`Run`): its conditions,
traces and thesis states, and what is read from them (the status at an instant, the
transitions, the engine state a later pass continues from). The entry points that build
runs (backtest, evaluate, explain) are in ``engine.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

import numpy as np
import pandas as pd

from signalflow.thesis import lifecycle
from signalflow.thesis.arrays import NAT, as_datetime as _dt, prefixed
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.causes import cause_of, thesis_flip
from signalflow.thesis.context import Context, SharedValues
from signalflow.thesis.explain import rule_status, stale_inputs
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import EngineState, Quadrant, RuleState, ThesisState, ThesisStatus, Transition

RULE_STATES = (RuleState.INACTIVE, RuleState.PENDING, RuleState.FIRING)
THESIS_STATES = (ThesisState.OK, ThesisState.SOFT_WARNING, ThesisState.KILL_SWITCH)


def _ns(when: datetime) -> int:
    return int(pd.Timestamp(when).as_unit("ns").value)


def _dts(ns: np.ndarray) -> list[datetime]:
    """Many instants (none NAT) as datetimes at once (microsecond precision, like ``_dt``)."""
    return ns.view("datetime64[ns]").astype("datetime64[us]").astype(object).tolist()


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
        """Every rule's changes of state over the evaluated span (from its memory before
        it), in time order, rules in the thesis's order at one instant."""
        th = self.ctx.thesis
        s0 = self.ctx.start
        rules = th.rules
        if not rules:
            return []
        # All rules at once: one row per rule, its memory's state then its trace.
        seq = np.empty((len(rules), len(self.t) - s0 + 1), np.int8)
        for r, rule in enumerate(rules):
            seq[r, 0] = self.ctx.memory(rule.name).state
            seq[r, 1:] = self.ctx.trace(rule.name).state[s0:]
        which, where = np.nonzero(seq[:, 1:] != seq[:, :-1])
        if not len(where):
            return []
        out = []
        ats = _dts(self.t[s0 + where])
        befores, afters = seq[which, where].tolist(), seq[which, where + 1].tolist()
        for r, i, at, a, b in zip(which.tolist(), (s0 + where).tolist(), ats, befores, afters):
            rule = rules[r]
            cause = partial(cause_of, self.ctx, rule, i)  # computed when read
            out.append(Transition(at, th.id, rule.name, rule.severity.value, RULE_STATES[a], RULE_STATES[b], cause))
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


def context(
    thesis: Thesis, series: dict[str, PitSeries], t: np.ndarray, prior: EngineState | None,
    shared: SharedValues | None = None,
) -> Context:
    """The context of a run at instants ``t``, nothing evaluated yet (:func:`finish` runs
    it); with ``prior``, ``t[0]`` is its last instant (already evaluated) and the lifecycle
    continues from its memory. ``shared``: values shared with the other theses of a group."""
    memories = {}
    start = 0
    if prior is not None:
        memories = {k: lifecycle.Memory.from_json(v) for k, v in prior.rules.items()}
        start = 1
    if shared is not None:
        t = shared.timeline(t)
    ctx = Context(thesis, series, t, start=start, memories=memories, functions=BUILTIN_FUNCTIONS, shared=shared)
    ctx.first = int(prior.memory.get("first", NAT)) if prior is not None else int(t[0])
    return ctx


def finish(ctx: Context, prior: EngineState | None) -> Run:
    """The run of ``ctx`` (made by :func:`context` with the same ``prior``): the thesis
    state at each instant from its rules' traces (computed here unless already known)."""
    t, start = ctx.t, ctx.start
    state0 = int(prior.memory.get("state", 0)) if prior is not None else 0
    since0 = int(prior.memory.get("since", NAT)) if prior is not None else NAT
    kill = np.zeros(len(t), bool)
    soft = np.zeros(len(t), bool)
    for rule in ctx.thesis.rules:
        firing = ctx.trace(rule.name).state == lifecycle.FIRING
        if rule.severity.value == "kill_switch":
            kill |= firing
        else:
            soft |= firing
    state = np.where(kill, 2, np.where(soft, 1, 0)).astype(np.int8)
    state[:start] = state0
    seq = prefixed(state0, state[start:])
    change = np.concatenate((np.zeros(start, bool), seq[1:] != seq[:-1]))
    marks = np.maximum.accumulate(np.where(change, np.arange(len(t)), -1))
    default = since0 if since0 != NAT else int(t[0])
    since = np.where(marks >= 0, t[np.maximum(marks, 0)], default).astype(np.int64)
    return Run(ctx, state, since)
