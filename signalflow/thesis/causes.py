"""What made a rule change state: the input change that did it, time, or the thesis itself.

For a transition of a rule at instant ``t[i]`` (the previous instant being ``t[j]``):

- *pending -> firing* with the condition already true at ``t[j]``: ``for`` elapsed (time),
  or, with ``for: N releases``, the release that was counted;
- *firing -> inactive* with the condition already not true at ``t[j]``: ``resolve_when``
  became true (its inputs are examined) or ``keep_firing_for`` ran out (time);
- otherwise the condition changed, and the rows its inputs gained in ``(t[j], t[i]]`` are
  examined: each is a new period or a revision (a period known at ``t[j]`` with another value).

One release often brings several changes (a FRED release adds a month and revises the two
before it). The cause is the change without which the condition would not have changed:
each change is withheld in turn and the condition evaluated again at ``t[i]``; revisions
are tried first, then new periods. When no single change is needed, the revisions together,
then the new periods together, are tried; when withholding every change still leaves the
flip, time caused it (a window moved on, a period aged). Rules a condition refers to
continue in these trials from their state at ``t[j]``.

The first instant of a timeline has no previous instant: its transitions are ``START``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from functools import partial

import numpy as np
import pandas as pd

from signalflow.thesis import lifecycle
from signalflow.thesis.arrays import as_date, as_datetime as _dt, prefixed
from signalflow.thesis.ast import Call, Duration, Name, Node, RuleRef, walk
from signalflow.thesis.context import CONDITIONS, Context
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.model import Rule
from signalflow.thesis.results import (
    Cause,
    CauseKind,
    Change,
    EngineState,
    RuleState,
    ThesisState,
    ThesisStatus,
    Transition,
)

__all__ = ["cause_of", "edited", "last_transition", "news", "period_label", "thesis_flip"]

FISCAL = re.compile(r"\bFY(\d{4})(Q[1-4])?\b")
RULE_STATES = (RuleState.INACTIVE, RuleState.PENDING, RuleState.FIRING)
THESIS_STATES = (ThesisState.OK, ThesisState.SOFT_WARNING, ThesisState.KILL_SWITCH)
MAX_TRIALS = 12  # changes withheld one by one at most; beyond, only the groups are tried


def _day(ns: int) -> str:
    at = pd.Timestamp(int(ns))
    return f"{at:%Y-%m-%d}" if at == at.normalize() else f"{at:%Y-%m-%d %H:%M} UTC"


def _duration(delta: timedelta | None) -> str:
    seconds = int(delta.total_seconds()) if delta else 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def period_label(s: PitSeries, row: int) -> str:
    """A period as a reader names it: the fiscal label of an SEC version ('FY2025Q2'), a
    month ('2021-09'), a calendar quarter ('2025Q2') or year, a day, else 'start..end'."""
    match = FISCAL.search(str(s.source_ref[row] or ""))
    if match:
        return match.group(0)
    ps, pe = int(s.ps[row]), int(s.pe[row])
    start, end = as_date(ps), as_date(pe)
    if ps == pe:
        return f"{end:%Y-%m-%d}"
    first_of_month = start.day == 1
    month_end = (end + timedelta(days=1)).day == 1
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if first_of_month and month_end and months == 1:
        return f"{start:%Y-%m}"
    if first_of_month and month_end and months == 3 and start.month % 3 == 1:
        return f"{start.year}Q{(start.month + 2) // 3}"
    if first_of_month and month_end and months == 12 and start.month == 1:
        return f"{start.year}"
    return f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"


def rule_inputs(ctx: Context, node: Node, seen: frozenset[str] = frozenset()) -> list[str]:
    """The series ``node`` reads, through derived series and the rules it refers to."""
    refs = set(ctx.refs_of(node))
    for n in walk(node):
        name = n.name if isinstance(n, (Name, RuleRef)) else None
        if name is None or name in seen or name in ctx.thesis.series:
            continue
        if name in CONDITIONS:
            section = ctx.thesis.growth if name == "growth" else ctx.thesis.liquidity
            refs |= set(rule_inputs(ctx, section.when, seen | {name}))
            continue
        try:
            other = ctx.thesis.rule(name)
        except KeyError:
            continue
        refs |= set(rule_inputs(ctx, other.when, seen | {name}))
    return sorted(refs)


def last_transition(ctx: Context, rule: str, i: int) -> int | None:
    """The index of the rule's last transition at or before instant ``i`` within the
    evaluated span (None when it has been in its state since before it)."""
    state = ctx.trace(rule).state
    s0 = ctx.start
    seq = prefixed(ctx.memory(rule).state, state[s0 : i + 1])
    where = np.flatnonzero(seq[1:] != seq[:-1])
    return None if not len(where) else s0 + int(where[-1])


def cause_of(ctx: Context, rule: Rule, i: int) -> Cause:
    """Why ``rule`` (one of ``ctx.thesis``'s rules) changed state at instant ``i`` (a
    transition there); computed once per context."""
    key = (rule.name, i)
    hit = ctx.causes.get(key)
    if hit is None:
        hit = ctx.causes[key] = _cause_of(ctx, rule, i)
    return hit  # type: ignore[return-value]


def _cause_of(ctx: Context, rule: Rule, i: int) -> Cause:
    if i == 0:
        return Cause(CauseKind.START, detail=f"the first evaluation, on the data known at {_day(ctx.t[0])}")
    j = i - 1
    trace = ctx.trace(rule.name)
    before, after = int(trace.state[j]), int(trace.state[i])
    cond = ctx.eval(rule.when)
    if before == lifecycle.PENDING and after == lifecycle.FIRING and cond[j] == 1.0:
        if rule.for_.releases:
            return _data(ctx, rule.when, i, j, counted=True) or _time(ctx, rule.when, j)
        active = _day(trace.active_at[i])
        return Cause(CauseKind.TIME, detail=f"time passed: for {_duration(rule.for_.duration)} elapsed since the condition held on {active}")
    if before == lifecycle.FIRING and after != lifecycle.FIRING and cond[j] != 1.0:
        if rule.resolve_when is not None:
            resolve = ctx.eval(rule.resolve_when)
            if resolve[j] != 1.0 and resolve[i] == 1.0:
                return _data(ctx, rule.resolve_when, i, j) or _time(ctx, rule.resolve_when, j)
        held = _duration(rule.keep_firing_for) if rule.keep_firing_for else ""
        if held:
            return Cause(CauseKind.TIME, detail=f"time passed: keep_firing_for {held} ran out")
    return _data(ctx, rule.when, i, j) or _time(ctx, rule.when, j)


def _time(ctx: Context, node: Node, j: int) -> Cause:
    windows = sorted({_duration(n.delta) for n in walk(node) if isinstance(n, Duration)})
    ages = any(isinstance(n, Call) and n.func == "days_since" for n in walk(node))
    what = "; ".join(
        ([f"the {', '.join(windows)} window{'s' if len(windows) > 1 else ''} moved on"] if windows else [])
        + (["the latest period aged"] if ages else [])
    )
    tail = f" ({what})" if what else ""
    return Cause(CauseKind.TIME, detail=f"time passed: no input changed since {_day(ctx.t[j])}{tail}")


def _changes(ctx: Context, refs: list[str], lo: int, hi: int) -> list[tuple[str, int, Change]]:
    """Each version an input gained in ``(lo, hi]`` that changed what it says."""
    out = []
    for ref in refs:
        s = ctx.series(ref)
        rows = s.rows_known_in(lo, hi)
        if not len(rows):
            continue
        olds = s.row_at(np.full(len(rows), lo, np.int64), s.pe[rows]) if not s.events else np.full(len(rows), -1)
        for row, old in zip(rows.tolist(), olds.tolist()):
            new = float(s.v[row])
            prior = float(s.v[old]) if old >= 0 else None
            if prior is not None and (prior == new or (np.isnan(prior) and np.isnan(new))):
                continue  # the same value published again
            change = Change(
                ref=ref,
                period=period_label(s, row),
                period_end=pd.Timestamp(int(s.pe[row])).date(),
                old=None if prior is None or np.isnan(prior) else prior,
                new=None if np.isnan(new) else new,
                known_at=_dt(s.k[row]),
                source_ref=str(s.source_ref[row] or ""),
                basis=str(s.basis[row] or ""),
                event=s.events,
            )
            out.append((ref, row, change))
    # Revisions first (largest first), then new periods, latest period first.
    out.sort(key=lambda c: (not c[2].revision, -abs(c[2].relative or 0.0), -c[1]))
    return out


def _data(ctx: Context, node: Node, i: int, j: int, counted: bool = False) -> Cause | None:
    """The change of an input that made ``node``'s truth change between ``t[j]`` and
    ``t[i]``; None when no input changed or withholding every change leaves the flip."""
    lo, hi = int(ctx.t[j]), int(ctx.t[i])
    changes = _changes(ctx, rule_inputs(ctx, node), lo, hi)
    if not changes:
        return None
    if counted:  # `for: N releases`: the release that was counted caused the firing
        return _cause(changes[0][2], [c for _, _, c in changes[1:]])
    was = ctx.eval(node)[j] == 1.0
    # Rules the condition refers to continue from where they stood at t[j].
    memories = {r.name: _memory_at(ctx, r.name, j) for r in ctx.thesis.rules}

    def undone(withheld: list[tuple[str, int, Change]]) -> bool:
        series = dict(ctx.all_series)
        for ref in {ref for ref, _, _ in withheld}:
            rows = np.array([row for r, row, _ in withheld if r == ref], np.int64)
            series[ref] = ctx.series(ref).without(rows)
        trial = Context(ctx.thesis, series, ctx.t[[j, i]], start=1, memories=memories, functions=ctx.functions)
        return (trial.eval(node)[1] == 1.0) == was

    if not undone(changes):
        return None
    if len(changes) == 1:
        return _cause(changes[0][2], [])
    needed = [c for c in changes[:MAX_TRIALS] if undone([c])]
    if needed:
        return _cause(needed[0][2], [c for _, _, c in needed[1:]])
    revisions = [c for c in changes if c[2].revision]
    news = [c for c in changes if not c[2].revision]
    for group in (revisions, news):
        if group and len(group) < len(changes) and undone(group):
            return _cause(group[0][2], [c for _, _, c in group[1:]])
    return _cause(changes[0][2], [c for _, _, c in changes[1:]])


def _memory_at(ctx: Context, rule: str, j: int) -> lifecycle.Memory:
    """What rule ``rule`` remembered after instant ``j`` (the part a trace keeps)."""
    trace = ctx.trace(rule)
    return lifecycle.Memory(int(trace.state[j]), int(trace.active_at[j]), int(trace.fired_at[j]))


def _cause(change: Change, also: list[Change]) -> Cause:
    kind = CauseKind.REVISION if change.revision else CauseKind.NEW_PERIOD
    return Cause(kind, change, tuple(also))


def thesis_flip(ctx: Context, thesis_state: np.ndarray, since: np.ndarray, i: int) -> Transition | None:
    """The rule transition that put the thesis in its state at instant ``i`` (thesis states
    0 ok, 1 soft warning, 2 kill switch per instant; ``since`` when each was entered), with
    its cause; None when that happened before the evaluated span."""
    m = int(np.searchsorted(ctx.t, since[i]))
    if m < ctx.start or m > i or ctx.t[m] != since[i]:
        return None
    now = int(thesis_state[m])
    was = int(thesis_state[m - 1]) if m > 0 else 0
    if now == was:
        return None
    # Up: a rule of the new state's severity started firing; down: one of the old stopped.
    severity = THESIS_STATES[max(now, was)].value
    for rule in ctx.thesis.rules:
        if rule.severity.value != severity:
            continue
        state = ctx.trace(rule.name).state
        before = int(state[m - 1]) if m > 0 else ctx.memory(rule.name).state
        firing_now, firing_before = state[m] == lifecycle.FIRING, before == lifecycle.FIRING
        if firing_now != firing_before and firing_now == (now > was):
            return Transition(
                _dt(ctx.t[m]), ctx.thesis.id, rule.name, severity,
                RULE_STATES[before], RULE_STATES[int(state[m])], partial(cause_of, ctx, rule, m),
            )
    return None


def edited(ctx: Context, prior: EngineState, status: ThesisStatus, fingerprint: str) -> tuple[list[Transition], ThesisStatus]:
    """A live pass after the thesis was edited: each rule whose state differs from the one
    the previous pass left is one transition, caused by the edit (the history replayed under
    the new thesis is not news); the status says so."""
    cause = Cause(CauseKind.RULE_CHANGE, detail=f"the thesis changed (fingerprint {prior.fingerprint} -> {fingerprint})")
    last = len(ctx.t) - 1
    out = []
    for rule in ctx.thesis.rules:
        before = int(prior.rules.get(rule.name, {}).get("state", lifecycle.INACTIVE))
        after = int(ctx.trace(rule.name).state[last])
        if before != after:
            out.append(
                Transition(status.at, status.thesis, rule.name, rule.severity.value, RULE_STATES[before], RULE_STATES[after], cause)
            )
    changed = {tr.rule for tr in out}
    rules = tuple(replace(r, cause=cause) if r.name in changed else r for r in status.rules)
    flip = status.flip
    was, now = int(prior.memory.get("state", 0)), THESIS_STATES.index(status.state)
    if was != now:
        severity = THESIS_STATES[max(was, now)].value
        flip = next((tr for tr in out if tr.severity == severity and (tr.to_state is RuleState.FIRING) == (now > was)), flip)
    return out, replace(status, rules=rules, flip=flip)


def news(transitions: list[Transition], prior: EngineState | None) -> list[Transition]:
    """A live pass's transitions (fresh from its run, changed in place) with the causes of
    its news computed (those after the previous pass, or each rule's last when there was
    none); a replayed history's are left undetermined, so the evaluation holds no reference
    to the pass's arrays."""
    last = {tr.rule: tr for tr in transitions}
    since = prior.evaluated_at if prior is not None else None
    for tr in transitions:
        fresh = tr.at > since if since else last[tr.rule] is tr
        object.__setattr__(tr, "origin", tr.cause if fresh else None)  # as Transition.cause does
    return transitions
