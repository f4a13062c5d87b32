"""Statuses a person can read: each rule's state, inputs with their provenance, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd

from signalflow.thesis import lifecycle
from signalflow.thesis.ast import COMPARISON, Binary, Call, Duration, Node, SeriesRef, to_text, walk
from signalflow.thesis.causes import cause_of, last_transition
from signalflow.thesis.comparisons import comparisons
from signalflow.thesis.context import Context
from signalflow.thesis.arrays import NAT, as_date, as_datetime as _dt
from signalflow.thesis.model import Rule
from signalflow.thesis.registry import window_arg
from signalflow.thesis.results import InputValue, RuleState, RuleStatus, ThesisStatus
from signalflow.thesis.stories import stories_behind

_STATES = (RuleState.INACTIVE, RuleState.PENDING, RuleState.FIRING)


def _fmt(x: float) -> str:
    return "unknown" if np.isnan(x) else f"{x:.4g}"


def _pct(x: float) -> str:
    return "unknown" if np.isnan(x) else f"{x * 100:.4g}%"


def _duration(delta) -> str:
    seconds = int(delta.total_seconds()) if delta else 0
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def why(ctx: Context, rule: Rule, i: int) -> str:
    """One sentence: why ``rule`` is in its state at instant ``i``."""
    return _why(ctx, rule, i, ctx.trace(rule.name), float(ctx.eval(rule.when)[i]))


def _why(ctx: Context, rule: Rule, i: int, trace: lifecycle.Trace, cond: float) -> str:
    """:func:`why`, given the rule's trace and its condition's value at ``i``."""
    state = int(trace.state[i])
    detail = _comparison(ctx, rule, i, cond)
    if state == lifecycle.FIRING:
        fired = _dt(trace.fired_at[i])
        if cond != 1.0:
            held = "resolve_when is not yet true" if rule.resolve_when is not None else "keep_firing_for holds it"
            return f"firing since {fired}: the condition is no longer true ({detail}) but {held}"
        return f"firing since {fired}: {detail}"
    if state == lifecycle.PENDING:
        since = _dt(trace.active_at[i])
        need = f"{rule.for_.releases} releases" if rule.for_.releases else _duration(rule.for_.duration)
        return f"pending since {since}, waiting for {need}: {detail}"
    if np.isnan(cond):
        return f"inactive: the condition is unknown (an input has no value yet): {detail}"
    return f"inactive: {detail}"


def _comparison(ctx: Context, rule: Rule, i: int, holds: float) -> str:
    """The rule's condition with its values (``holds``: its value at ``i``), a comparison
    read series side first (as :func:`~signalflow.thesis.comparisons.comparisons` reads it
    for alerts and charts)."""
    reading = rule.comparison
    if reading is not None:
        first, side = reading
        verdict = "holds" if holds == 1.0 else "unknown" if np.isnan(holds) else "does not hold"
        other = first.text if first.constant is not None else f"{first.text} = {_fmt(ctx.eval(first.other)[i])}"
        # A threshold written as a percent reads against its value as a percent: 59.8% > 40%.
        shown = _pct if first.constant is not None and first.text.endswith("%") else _fmt
        return f"{side} = {shown(ctx.eval(first.side)[i])} {first.op} {other} {verdict}"
    return f"{rule.text} is {_fmt(holds) if np.isnan(holds) else bool(holds)}"


def rule_status(ctx: Context, rule: Rule, i: int, inputs: bool = False) -> RuleStatus:
    trace = ctx.trace(rule.name)
    cond = float(ctx.eval(rule.when)[i])
    return RuleStatus(
        name=rule.name,
        severity=rule.severity.value,
        state=_STATES[int(trace.state[i])],
        condition=None if np.isnan(cond) else bool(cond),
        active_at=_dt(trace.active_at[i]),
        fired_at=_dt(trace.fired_at[i]),
        summary=rule.summary,
        expression=rule.text,
        inputs=input_values(ctx, rule, i) if inputs else (),
        why=_why(ctx, rule, i, trace, cond),
        cause=_last_cause(ctx, rule, i) if inputs else None,
    )


def _last_cause(ctx: Context, rule: Rule, i: int):
    """The cause of the transition that put ``rule`` in its state at instant ``i``."""
    at = last_transition(ctx, rule.name, i)
    return None if at is None else cause_of(ctx, rule, at)


def _limits(ctx: Context) -> dict[str, int | None]:
    """Staleness limit per input: the smallest ``stale_after`` that covers it, else the
    default of its frequency (computed once per context, again if it gained a series)."""
    if ctx.limits is None or ctx.limits[0] != len(ctx.all_series):
        ctx.limits = (len(ctx.all_series), _staleness_limits(ctx))
    return ctx.limits[1]


def _staleness_limits(ctx: Context) -> dict[str, int | None]:
    limits: dict[str, int | None] = {ref: s.staleness_limit() for ref, s in ctx.all_series.items()}
    overrides: list[tuple[object, object]] = [(r.when, r.stale_after) for r in ctx.thesis.rules]
    overrides += [(d.expr, d.stale_after) for d in ctx.thesis.series.values()]
    for node, after in overrides:
        if after is None:
            continue
        ns = int(pd.Timedelta(after).value)
        for ref in ctx.refs_of(node):
            limits[ref] = ns if limits.get(ref) is None else min(ns, limits[ref])
    return limits


def stale_inputs(ctx: Context, i: int) -> tuple[str, ...]:
    """Inputs whose latest period ended longer ago than their staleness limit at instant i
    (an input with no value at all is stale too)."""
    out = []
    at = ctx.instant(i)
    for ref, limit in sorted(_limits(ctx).items()):
        if limit is None:
            continue
        end = int(ctx.series(ref).latest_period(at)[0])
        if end == NAT or int(at[0]) - end > limit:
            out.append(ref)
    return tuple(out)


def input_values(ctx: Context, rule: Rule, i: int) -> tuple[InputValue, ...]:
    """Each series ``rule`` reads, as known at instant ``i``: value, period, when and on what
    basis it became known, where it came from, and the rule's threshold for it."""
    limits = _limits(ctx)
    texts = rule.thresholds
    out = []
    at = int(ctx.t[i])
    for ref in ctx.refs_of(rule.when):
        s = ctx.series(ref)
        end = s.latest_period_at(at)
        row = s.row_of(at, end)
        limit = limits.get(ref)
        stale = limit is not None and (end == NAT or at - end > limit)
        threshold = texts.get(ref, "")
        if row < 0:
            out.append(InputValue(ref=ref, value=None, unit=s.unit, url=s.url, stale=stale, threshold=threshold))
            continue
        value = float(s.v[row])
        news = s.events and ref.startswith("news.")  # the news source's streams hold stories
        stories = stories_behind(s, at, _window(rule.when, ref)) if news else ()
        out.append(
            InputValue(
                ref=ref,
                value=None if np.isnan(value) else value,
                period_start=as_date(s.ps[row]),
                period_end=as_date(s.pe[row]),
                known_at=_dt(s.k[row]),
                source_ref=str(s.source_ref[row] or ""),
                unit=s.unit,
                url=s.url,
                stale=stale,
                basis=str(s.basis[row] or ""),
                threshold=threshold,
                stories=stories,
            )
        )
    return tuple(out)


def _window(node: Node, ref: str) -> int | None:
    """The widest window (ns) over which ``node`` reads the event stream ``ref``
    (``count(news.X, 30d)``: 30 days); None when it reads only the latest event."""
    windows = [
        window_arg(n.args[1])
        for n in walk(node)
        if isinstance(n, Call) and len(n.args) > 1 and isinstance(n.args[0], SeriesRef)
        and n.args[0].ref == ref and isinstance(n.args[1], Duration)
    ]  # fmt: skip
    return max(windows) if windows else None


def explained(ctx: Context, status: ThesisStatus, i: int) -> ThesisStatus:
    """``status`` with every rule's inputs filled in."""
    rules = tuple(rule_status(ctx, ctx.thesis.rule(r.name), i, inputs=True) for r in status.rules)
    return replace(status, rules=rules)


def backtest_summary(bt, end: datetime) -> dict:
    """A backtest in JSON-ready form: transitions, days spent in each state, the
    notifications that would have been sent (a firing Kill Switch suppresses the same
    thesis's Soft Warnings), and the Growth x Liquidity quadrant over time."""
    tl = bt.timeline
    out: dict = {"thesis": bt.thesis, "transitions": [], "days_in_state": {}, "notifications": [], "quadrants": []}
    if tl.empty:
        return out
    index = tl.index
    nxt = index[1:].append(pd.DatetimeIndex([pd.Timestamp(end)]))
    days = (nxt - index) / pd.Timedelta(days=1)
    out["days_in_state"] = {k: round(float(v), 3) for k, v in pd.Series(days, index=tl["state"].to_numpy()).groupby(level=0).sum().items()}
    changes = tl["quadrant"].ne(tl["quadrant"].shift())
    out["quadrants"] = [{"from": at.isoformat(), "quadrant": q} for at, q in tl.loc[changes, "quadrant"].items()]
    for tr in bt.transitions:
        out["transitions"].append(tr.to_json())
    out["notifications"] = _notifications(bt.transitions)
    return out


def _notifications(transitions) -> list[dict]:
    """The notifications the live alert path would send for ``transitions``: a Soft Warning
    that fires while a Kill Switch of the thesis fires is not announced until no Kill Switch
    fires (if it still fires then), and its resolution is announced only if its firing was."""
    out: list[dict] = []
    firing: dict[str, str] = {}  # rule -> severity, as of the instant processed
    announced: set[str] = set()
    by_instant: dict[datetime, list] = {}
    for tr in transitions:
        by_instant.setdefault(tr.at, []).append(tr)

    def note(at: datetime, rule: str, severity: str, event: str) -> None:
        out.append({"at": at.isoformat(), "rule": rule, "severity": severity, "event": event})

    for at, group in by_instant.items():
        for tr in group:
            if tr.to_state is RuleState.FIRING:
                firing[tr.rule] = tr.severity
            elif tr.from_state is RuleState.FIRING:
                firing.pop(tr.rule, None)
        kill = any(sev == "kill_switch" for sev in firing.values())
        for tr in group:  # resolutions first, as the live path reconciles them first
            if tr.from_state is RuleState.FIRING and tr.to_state is not RuleState.FIRING and tr.rule in announced:
                announced.discard(tr.rule)
                if tr.severity != "soft_warning" or not kill:
                    note(at, tr.rule, tr.severity, "resolved")
        for tr in sorted(group, key=lambda t: t.severity != "kill_switch"):
            if tr.to_state is RuleState.FIRING and not (tr.severity == "soft_warning" and kill):
                announced.add(tr.rule)
                note(at, tr.rule, tr.severity, "firing")
        if not kill:  # Soft Warnings held back by a Kill Switch that stopped firing
            for rule, severity in firing.items():
                if rule not in announced:
                    announced.add(rule)
                    note(at, rule, severity, "firing")
    return out


def revision_effect(as_known: dict, first_release: dict) -> dict:
    """What revisions did to a backtest: the transitions (at, rule, from, to) of the as-known
    replay missing from the replay on first releases, and the other way round."""

    def key(tr: dict) -> tuple:
        return tr["at"], tr["rule"], tr["from"], tr["to"]

    known = {key(tr) for tr in as_known["transitions"]}
    first = {key(tr) for tr in first_release["transitions"]}
    return {
        "only_as_known": [tr for tr in as_known["transitions"] if key(tr) not in first],
        "only_first_release": [tr for tr in first_release["transitions"] if key(tr) not in known],
    }
