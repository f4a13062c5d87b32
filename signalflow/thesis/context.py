"""The evaluation context of one thesis over an array of instants.

Function calls are evaluated by the :class:`~signalflow.thesis.registry.FunctionRegistry`
the caller hands in (the engine: ``builtin_functions.BUILTIN_FUNCTIONS``).

:meth:`Context.eval` walks an expression once and returns one float per instant: numbers as
they are, booleans as 1.0 / 0.0, unknown as NaN. Comparisons with an unknown side are
unknown; ``and`` / ``or`` follow three-valued (Kleene) logic: ``false and unknown`` is false,
``true or unknown`` is true. A rule name used in an expression means "that rule is firing".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from signalflow.series import SeriesFrame
from signalflow.thesis import lifecycle
from signalflow.thesis.arrays import NAT, grid_points, ratio, td_ns
from signalflow.thesis.ast import (
    Binary, Call, DerivedRef, Duration, Name, Node, Number, RuleRef, SeriesRef, Unary, children,
)
from signalflow.thesis.data import default_kind
from signalflow.thesis.frames import PitSeries, Shift
from signalflow.thesis.model import Thesis, node_refs, thesis_refs  # noqa: F401  (both importable from here too)
from signalflow.thesis.registry import FunctionRegistry

CONDITIONS = ("growth", "liquidity")


class Context:
    """Expression values, rule traces and input lookups for one thesis at instants ``t``.

    Instants before ``start`` were evaluated by an earlier pass: the lifecycle starts at
    ``start`` from ``memories`` (rule name -> :class:`lifecycle.Memory`). Calls are
    evaluated by ``functions``."""

    def __init__(
        self,
        thesis: Thesis,
        series: dict[str, PitSeries],
        t: np.ndarray,
        start: int = 0,
        memories: dict[str, lifecycle.Memory] | None = None,
        *,
        functions: FunctionRegistry,
        shared: SharedValues | None = None,
    ) -> None:
        self.thesis = thesis
        self.shared = shared
        self.functions = functions
        self.all_series = series
        self.t = t
        self.start = start
        self.memories = memories or {}
        self._values: dict[tuple[Node, tuple[Shift, ...]], np.ndarray] = {}
        self._traces: dict[str, lifecycle.Trace] = {}
        self._instants: dict[int, np.ndarray] = {}
        # Values computed elsewhere for this context's nodes (a stacked evaluation of its
        # for_each group: ``stacked.Part``), asked before computing one: None when it has none.
        self.borrowed: Callable[[Node, tuple[Shift, ...]], np.ndarray | None] | None = None
        # Causes of transitions by (rule name, instant index), computed once: a pass asks
        # for the cause of a rule's last transition as news and again for its status.
        self.causes: dict[tuple[str, int], object] = {}
        self.limits: tuple[int, dict[str, int | None]] | None = None  # (series count, staleness limits)
        self.step = td_ns(thesis.every)
        self.first = int(t[0]) if len(t) else NAT  # where the timeline began (for EngineState)

    def instant(self, i: int) -> np.ndarray:
        """``t[i : i + 1]``, one array object per instant (series remember lookups by the
        instants object, so the inputs, staleness and memory of a status share them)."""
        out = self._instants.get(i)
        if out is None:
            out = self._instants[i] = self.t[i : i + 1]
        return out

    def series(self, ref: str) -> PitSeries:
        s = self.all_series.get(ref)
        if s is None:
            s = self.all_series[ref] = PitSeries(SeriesFrame.empty(ref, default_kind(ref)))
        return s

    def memory(self, rule: str) -> lifecycle.Memory:
        return self.memories.get(rule) or lifecycle.Memory()

    def eval(self, node: Node, sh: tuple[Shift, ...] = ()) -> np.ndarray:
        key = (node, sh)
        out = self._values.get(key)
        if out is None:
            out = self.borrowed(node, sh) if self.borrowed is not None else None
            if out is None:
                shared = self.shared.lookup(node) if self.shared is not None else None
                out = self._eval(node, sh) if shared is None else shared.get(self, node, sh)
            self._values[key] = out
        return out

    def _eval(self, node: Node, sh: tuple[Shift, ...]) -> np.ndarray:
        n = len(self.t)
        if isinstance(node, Number):
            return np.full(n, float(node.value))
        if isinstance(node, SeriesRef):
            s = self.series(node.ref)
            if not sh or s.events:
                return s.latest_value(self.t)
            return s.value_at(self.t, self.period_of(node.ref, sh))
        if isinstance(node, Name):
            node = self._resolve(node)
        if isinstance(node, DerivedRef):
            return self.eval(self.thesis.series[node.name].expr, sh)
        if isinstance(node, RuleRef):
            if node.name in CONDITIONS:
                return self.condition(node.name)
            return (self.trace(node.name).state == lifecycle.FIRING).astype(float)
        if isinstance(node, Call):
            return self.functions.impl_of(self, node)(self, node, sh)
        if isinstance(node, Unary):
            x = self.eval(node.operand, sh)
            return 1.0 - x if node.op == "not" else -x
        if isinstance(node, Binary):
            return _binary(node.op, self.eval(node.left, sh), self.eval(node.right, sh))
        raise KeyError(f"cannot evaluate {type(node).__name__} here")

    def _resolve(self, node: Name) -> Node:
        if node.name in self.thesis.series:
            return DerivedRef(node.name, pos=node.pos)
        return RuleRef(node.name, pos=node.pos)

    def period_of(self, ref: str, sh: tuple[Shift, ...] = ()) -> np.ndarray:
        """The period of ``ref`` that an expression under shifts ``sh`` reads at each instant."""
        s = self.series(ref)
        p = s.latest_period(self.t)
        if not s.events:
            for shift in sh:
                p = s.shifted(self.t, p, shift)
        return p

    def refs_of(self, node: Node) -> list[str]:
        """Series references read by ``node``, through derived series (not through rules),
        sorted (remembered by the thesis: :meth:`Thesis.refs_of`)."""
        return list(self.thesis.refs_of(node))

    def condition(self, name: str) -> np.ndarray:
        section = self.thesis.growth if name == "growth" else self.thesis.liquidity
        return self.eval(section.when)

    def trace(self, name: str) -> lifecycle.Trace:
        """The lifecycle of rule ``name`` over the instants (computed once)."""
        trace = self._traces.get(name)
        if trace is None:
            rule = self.thesis.rule(name)
            cond = self.eval(rule.when)
            resolve = self.eval(rule.resolve_when) if rule.resolve_when is not None else None
            releases = self.new_observations(self.refs_of(rule.when))
            trace = self._traces[name] = self._lifecycle(name, cond, resolve, releases)
        return trace

    def _lifecycle(
        self, name: str, cond: np.ndarray, resolve: np.ndarray | None, releases: np.ndarray
    ) -> lifecycle.Trace:
        """Rule ``name``'s lifecycle given its condition, resolve condition and releases at
        each instant, from its memory at ``start``."""
        s0 = self.start
        part = lifecycle.run(
            self.t[s0:],
            cond[s0:],
            self.spec(name),
            releases[s0:],
            None if resolve is None else resolve[s0:],
            self.memories.get(name),
        )
        return headed(part, self.memory(name), len(self.t) - len(part.state))

    def spec(self, name: str) -> lifecycle.Spec:
        """The lifecycle parameters of rule ``name``."""
        rule = self.thesis.rule(name)
        return lifecycle.Spec(
            for_ns=td_ns(rule.for_.duration) if rule.for_.duration else 0,
            for_releases=rule.for_.releases or 0,
            keep_ns=td_ns(rule.keep_firing_for) if rule.keep_firing_for else 0,
        )

    def new_observations(self, refs: list[str]) -> np.ndarray:
        """True at each instant where one of ``refs`` gained a row since the previous instant."""
        out = np.zeros(len(self.t), bool)
        for ref in refs:
            count = self.series(ref).known_count(self.t)
            out[0] |= count[0] > 0
            out[1:] |= count[1:] > count[:-1]
        if self.start:
            out[: self.start] = False
        return out

    def on_grid(self, node: Node, sh: tuple[Shift, ...], window: int) -> tuple[np.ndarray, np.ndarray]:
        """``node`` evaluated on the regular grid covering ``(t[0] - window, t[-1]]``."""
        lo = int(self.t[0]) - window
        first = -(-lo // self.step) * self.step
        grid = grid_points(first, int(self.t[-1]), self.step)
        return grid, self.at(grid).eval(node, sh)

    def at(self, t: np.ndarray) -> Context:
        """The same thesis, series and functions evaluated at other instants ``t``."""
        return Context(self.thesis, self.all_series, t, functions=self.functions)


def headed(part: lifecycle.Trace, memory: lifecycle.Memory, head: int) -> lifecycle.Trace:
    """``part`` (the lifecycle after the first ``head`` instants) preceded by those instants,
    which an earlier pass evaluated and left in ``memory``."""
    state, active_at, fired_at = head_of(memory)
    return lifecycle.Trace(
        np.concatenate([np.full(head, state, np.int8), part.state]),
        np.concatenate([np.full(head, active_at, np.int64), part.active_at]),
        np.concatenate([np.full(head, fired_at, np.int64), part.fired_at]),
        part.memory,
    )


def head_of(memory: lifecycle.Memory) -> tuple[int, int, int]:
    """A rule's state, active_at and fired_at at an instant an earlier pass evaluated, from
    the ``memory`` it left."""
    return (
        memory.state,
        memory.active_at if memory.state else NAT,
        memory.fired_at if memory.state == lifecycle.FIRING else NAT,
    )


class SharedNodes:
    """The expressions whose value is provably the same in each of a group of theses (the
    expansions of a ``for_each`` file), found once for the group: whoever evaluates the
    group pass after pass keeps this and gives each pass a new :class:`SharedValues`.

    An expression is shared when two or more of ``theses`` contain it and it reads only
    collected series, numbers, durations and function calls over them (no derived series,
    rule or condition names, which each thesis resolves on its own). The group holds its
    theses, so no node id in it is reused while it lives."""

    def __init__(self, theses: Sequence[Thesis]) -> None:
        self.theses = tuple(theses)
        # id -> (node, the first equal node, the series it reads)
        self.by_id = _shared_nodes(self.theses)


class SharedValues:
    """Values of the expressions of :class:`SharedNodes`, shared by the contexts of a group
    of theses during one pass.

    The value of a shared expression is a function of the node, the shifts, the instants,
    the series objects it reads, the grid step and the function registry, and all of them
    are in the key. :meth:`timeline` makes equal timelines one array, so expansions on the
    same calendar share values. Entries hold their objects, so no id in a key is reused
    while this lives; shared arrays are read-only. A pass reads new series objects, so each
    pass takes a new one."""

    def __init__(self, nodes: SharedNodes) -> None:
        self._nodes = nodes.by_id
        self._values: dict[tuple, tuple[tuple, np.ndarray]] = {}
        self._timelines: dict[tuple[int, bytes], np.ndarray] = {}

    def timeline(self, t: np.ndarray) -> np.ndarray:
        """``t``, or an equal timeline seen before (the same array object)."""
        return self._timelines.setdefault((len(t), t.tobytes()), t)

    def lookup(self, node: Node) -> SharedValues | None:
        """This cache when ``node``'s value is shared, else None."""
        hit = self._nodes.get(id(node))
        return self if hit is not None and hit[0] is node else None

    def get(self, ctx: Context, node: Node, sh: tuple[Shift, ...]) -> np.ndarray:
        _, canonical, refs = self._nodes[id(node)]
        read = tuple(ctx.all_series.get(ref) for ref in refs)
        key = (id(canonical), sh, id(ctx.t), ctx.step, id(ctx.functions), tuple(id(s) for s in read))
        hit = self._values.get(key)
        if hit is not None:
            return hit[1]
        out = ctx._eval(node, sh)
        out.flags.writeable = False
        self._values[key] = ((canonical, ctx.t, ctx.functions, read), out)
        return out


def _shared_nodes(theses: Sequence[Thesis]) -> dict[int, tuple[Node, Node, tuple[str, ...]]]:
    """id -> (node, the first equal node, the series it reads) for every node object of a
    value-free expression two or more of ``theses`` contain."""
    seen: dict[Node, int] = {}
    canonical: dict[Node, Node] = {}
    memo: dict[int, tuple[Node, frozenset[str] | None]] = {}
    for thesis in theses:
        mine: dict[Node, frozenset[str]] = {}
        for expr in thesis.expressions():
            _value_free(expr, memo, mine)
        for node in mine:
            seen[node] = seen.get(node, 0) + 1
            canonical.setdefault(node, node)
    out = {}
    for node, refs in memo.values():
        if refs and seen.get(node, 0) > 1:
            out[id(node)] = (node, canonical[node], tuple(sorted(refs)))
    return out


def _value_free(node: Node, memo: dict[int, tuple[Node, frozenset[str] | None]], out: dict[Node, frozenset[str]]) -> frozenset[str] | None:
    """The series ``node`` reads when its value depends on nothing but them (see
    :class:`SharedNodes`), else None; each such node reading a series is added to ``out``
    (``memo``: by node object, holding it)."""
    hit = memo.get(id(node))
    if hit is not None and hit[0] is node:  # seen in another thesis: add its parts to out
        refs = hit[1]
        for child in children(node):
            _value_free(child, memo, out)
    else:
        if isinstance(node, SeriesRef):
            refs = frozenset((node.ref,))
        elif isinstance(node, (Number, Duration)):
            refs = frozenset()
        elif isinstance(node, (Unary, Binary, Call)):
            parts = [_value_free(child, memo, out) for child in children(node)]
            refs = None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        else:
            refs = None
        memo[id(node)] = (node, refs)
    if refs:
        out[node] = refs
    return refs


def _binary(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if op == "and":
        return np.where((a == 0) | (b == 0), 0.0, np.where((a == 1) & (b == 1), 1.0, np.nan))
    if op == "or":
        return np.where((a == 1) | (b == 1), 1.0, np.where((a == 0) & (b == 0), 0.0, np.nan))
    with np.errstate(all="ignore"):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return ratio(a, b)
        unknown = np.isnan(a) | np.isnan(b)
        cmp = {
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
            "==": np.equal,
            "!=": np.not_equal,
        }[op](a, b)
    return np.where(unknown, np.nan, cmp.astype(float))
