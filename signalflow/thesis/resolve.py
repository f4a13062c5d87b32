"""Name resolution and type inference over one thesis's expressions.

Bare names become :class:`DerivedRef` (a ``series:`` entry) or :class:`RuleRef` (``growth``,
``liquidity``, a rule); every call is matched against the function table and keeps the
chosen signature's ``impl``. Types are number, boolean, events and duration: a number
compared with a boolean, an event stream used as a number or a duration outside a function
argument are reported with their position. Every problem is collected, none stops the walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from signalflow.errors import Location, ThesisError
from signalflow.thesis.model import LAYERS, Condition, Derived, Rule
from signalflow.thesis.ast import (
    ARITHMETIC,
    COMPARISON,
    Binary,
    Call,
    DerivedRef,
    Duration,
    Name,
    Node,
    Number,
    RuleRef,
    SeriesRef,
    Unary,
    to_text,
    walk,
)
from signalflow.thesis.limits import MAX_COUNT, MAX_EVALUATIONS, MAX_MEAN_COUNT
from signalflow.thesis.functions_spec import (
    FUNCTIONS,
    TICKER,
    ArgKind,
    Signature,
    ValueKind,
    describe,
    expand_ticker,
)
from signalflow.suggest import did_you_mean

CONDITIONS = ("growth", "liquidity")

Kind = ValueKind | None  # None: unknown because of an error already reported


class Resolver:
    """Resolves the expressions of one thesis; ``problems`` collects what is wrong."""

    def __init__(
        self,
        path: Path | str | None,
        derived: Iterable[str],
        rules: Iterable[str],
        hypotheses: Mapping[str, Node] | None = None,
    ) -> None:
        self.path = path
        self.derived = set(derived)
        self.rules = set(rules) | set(CONDITIONS)
        self.hypotheses = dict(hypotheses or {})  # name -> its resolved verify condition
        self.problems: list[ThesisError] = []
        self.fanouts: dict[str, int] = {}  # derived series -> its fan-out, once resolved

    def resolve(self, node: Node, expect: ValueKind, what: str, derived: str | None = None) -> Node:
        """``node`` with names resolved; reports when it does not produce ``expect``."""
        resolved, kind = self._visit(node)
        fanout = self._fanout(resolved)
        if derived is not None:
            self.fanouts[derived] = fanout
        if fanout > MAX_EVALUATIONS:
            self._problem(
                node,
                f"{what} would evaluate its inputs {fanout:,} times per instant (at most {MAX_EVALUATIONS:,})",
                "nested growth, ttm and mean(x, n) multiply: compute inner parts as derived series less deeply",
            )
        if kind is not None and kind is not expect:
            self._problem(
                node,
                f"{what} must be {_article(expect)}, but {to_text(resolved)} is {_article(kind)}",
                _expect_hint(expect, kind),
            )
        return resolved

    def _fanout(self, node: Node) -> int:
        """How many shifted evaluations of its inputs one evaluation of ``node`` costs on
        its worst path: each growth function shifts its argument once more, ``ttm`` four
        times and ``mean(x, n)`` n times, and distinct shifts are evaluated separately."""
        if isinstance(node, Call):
            factor = _FANOUT.get(node.impl or "", 1)
            if node.impl in PER_OBSERVATION_IMPLS and len(node.args) > 1 and isinstance(node.args[1], Number):
                factor = int(node.args[1].value)
            return factor * max((self._fanout(arg) for arg in node.args), default=1)
        if isinstance(node, Binary):
            return max(self._fanout(node.left), self._fanout(node.right))
        if isinstance(node, Unary):
            return self._fanout(node.operand)
        if isinstance(node, DerivedRef):
            return self.fanouts.get(node.name, 1)
        return 1

    def _problem(self, node: Node, problem: str, hint: str | None = None) -> None:
        self.problems.append(ThesisError(Location(self.path, node.pos.line, node.pos.column), problem, hint))

    def _visit(self, node: Node, as_arg: bool = False) -> tuple[Node, Kind]:
        if isinstance(node, Number):
            return node, ValueKind.NUMBER
        if isinstance(node, Duration):
            if not as_arg:
                self._problem(
                    node,
                    f"a duration ({node.text}) is only valid as a function argument",
                    "e.g. change(fred.DGS10, 90d) or count(news.deployment_delay, 30d)",
                )
                return node, None
            return node, ValueKind.DURATION
        if isinstance(node, SeriesRef):
            if node.is_events:
                if not as_arg:
                    self._problem(
                        node,
                        f"{node.ref} is an event stream, not a number",
                        f"count or sum it over a window: count({node.stream}, 30d)",
                    )
                    return node, None
                return node, ValueKind.EVENTS
            return node, ValueKind.NUMBER
        if isinstance(node, (Name, DerivedRef, RuleRef)):
            return self._name(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Unary):
            operand, kind = self._visit(node.operand)
            want = ValueKind.BOOL if node.op == "not" else ValueKind.NUMBER
            if kind is not None and kind is not want:
                what = "'not'" if node.op == "not" else "unary '-'"
                self._problem(node, f"{what} needs {_article(want)}, but {to_text(operand)} is {_article(kind)}")
            return replace(node, operand=operand), want
        if isinstance(node, Binary):
            return self._binary(node)
        raise TypeError(f"not an expression node: {node!r}")

    def _name(self, node: Name | DerivedRef | RuleRef) -> tuple[Node, Kind]:
        name = node.name
        if name in self.derived:
            return DerivedRef(name, pos=node.pos), ValueKind.NUMBER
        if name in self.rules:
            return RuleRef(name, pos=node.pos), ValueKind.BOOL
        if name in FUNCTIONS:
            self._problem(node, f"{name} is a function: call it as {describe(name)}")
            return node, None
        hint = did_you_mean(name, self.derived | self.rules)
        if hint is None:
            hint = "series from sources are dotted (fred.DGS10); define derived series under 'series:'"
        self._problem(node, f"unknown name {name!r}", hint)
        return node, None

    def _binary(self, node: Binary) -> tuple[Node, Kind]:
        left, lkind = self._visit(node.left)
        right, rkind = self._visit(node.right)
        out = replace(node, left=left, right=right)
        if node.op in ARITHMETIC:
            for side, kind in ((left, lkind), (right, rkind)):
                if kind is not None and kind is not ValueKind.NUMBER:
                    self._problem(node, f"'{node.op}' needs numbers, but {to_text(side)} is {_article(kind)}")
            return out, ValueKind.NUMBER
        if node.op in COMPARISON:
            if lkind is not None and rkind is not None and lkind is not rkind:
                self._problem(
                    node,
                    f"a {lkind.value} compared with a {rkind.value}: {to_text(left)} {node.op} {to_text(right)}",
                    "compare numbers with numbers; combine conditions with 'and', 'or', 'not'",
                )
            elif lkind is ValueKind.BOOL and node.op not in ("==", "!="):
                self._problem(node, f"'{node.op}' compares numbers, not true/false conditions")
            return out, ValueKind.BOOL
        for side, kind in ((left, lkind), (right, rkind)):
            if kind is not None and kind is not ValueKind.BOOL:
                self._problem(
                    node,
                    f"'{node.op}' needs conditions on both sides, but {to_text(side)} is {_article(kind)}",
                    f"compare it first, e.g. {to_text(side)} > 0",
                )
        return out, ValueKind.BOOL

    def _call(self, node: Call) -> tuple[Node, Kind]:
        named = [sig for sig in FUNCTIONS.get(node.func, ()) if sig.params and sig.params[0] in NAME_ARGS]
        if named:
            return self._named_call(node, named[0])
        visited = [self._visit(arg, as_arg=True) for arg in node.args]
        args = tuple(arg for arg, _ in visited)
        out = replace(node, args=args)
        signatures = FUNCTIONS.get(node.func)
        if signatures is None:
            self._problem(node, f"unknown function {node.func!r}", did_you_mean(node.func, FUNCTIONS) or _functions_hint())
            return out, None
        if any(kind is None for _, kind in visited):
            return out, None
        fitting = [sig for sig in signatures if sig.accepts_count(len(args))]
        if not fitting:
            self._problem(
                node,
                f"wrong number of arguments: {node.func} got {len(args)}",
                f"{node.func} takes {describe(node.func)}",
            )
            return out, None
        for sig in fitting:
            if all(_fits(_param(sig, i), arg, kind) for i, (arg, kind) in enumerate(visited)):
                n = args[1] if sig.impl in PER_OBSERVATION_IMPLS else None
                if isinstance(n, Number) and n.value > MAX_MEAN_COUNT:
                    # mean(x, n) evaluates x once per observation: bound the work, not just the number.
                    self._problem(n, f"{node.func}: n = {n.text} is more than {MAX_MEAN_COUNT:,} observations")
                    return out, None
                return replace(out, impl=sig.impl), sig.result
        too_many = next((a for a in args if isinstance(a, Number) and a.value > MAX_COUNT), None)
        if too_many is not None and any(ArgKind.COUNT in sig.params for sig in fitting):
            self._problem(too_many, f"{node.func}: n = {too_many.text} is more than {MAX_COUNT:,} observations")
            return out, None
        got = ", ".join(_describe_arg(arg, kind) for arg, kind in visited)
        self._problem(node, f"{node.func}({got}) does not match the function table", f"{node.func} takes {describe(node.func)}")
        return out, None


    def _named_call(self, node: Call, sig: Signature) -> tuple[Node, Kind]:
        """``market_cap(NVDA)``, ``hypothesis(name)``: one bare name, expanded into the
        expressions the call reads so that the engine loads their series (see
        ``functions_spec.expand_ticker``; a hypothesis carries its verify condition)."""
        arg = node.args[0] if len(node.args) == 1 else None
        if not isinstance(arg, Name):
            self._problem(node, f"{node.func} takes one bare {sig.params[0].value} name", f"e.g. {_NAME_EXAMPLES[sig.params[0]]}")
            return node, None
        if sig.params[0] is ArgKind.TICKER:
            if not TICKER.match(arg.name):
                self._problem(arg, f"{arg.name!r} is not a ticker (upper-case letters, digits and _)", f"e.g. {node.func}(NVDA)")
                return node, None
            return replace(node, args=expand_ticker(node.func, arg.name, arg.pos), impl=sig.impl), sig.result
        if sig.params[0] is ArgKind.LAYER:
            if arg.name not in LAYERS:
                self._problem(arg, f"unknown layer {arg.name!r}", did_you_mean(arg.name, LAYERS) or "layers: " + ", ".join(LAYERS))
                return node, None
            return replace(node, impl=sig.impl), sig.result
        verify = self.hypotheses.get(arg.name)
        if verify is None:
            hint = did_you_mean(arg.name, self.hypotheses) or "define it under 'hypotheses:' with a verify: condition"
            self._problem(arg, f"unknown hypothesis {arg.name!r}", hint)
            return node, None
        return replace(node, args=(arg, verify), impl=sig.impl), sig.result


_FANOUT = {
    **dict.fromkeys(("yoy", "qoq", "pct_change", "change"), 2),
    **dict.fromkeys(("zscore", "mean_window", "percentile", "drawdown_window", "pct_above_mean"), 2),
    **dict.fromkeys(("ttm", "ps_ratio", "pe_op"), 4),
}
PER_OBSERVATION_IMPLS = frozenset({"mean_n"})
"""Implementations that evaluate their series once per counted observation."""

_NAME_EXAMPLES = {
    ArgKind.TICKER: "market_cap(NVDA)",
    ArgKind.HYPOTHESIS: "hypothesis(dc_revenue_doubles)",
    ArgKind.LAYER: "layer(power)",
}
NAME_ARGS = frozenset(_NAME_EXAMPLES)


def _param(sig: Signature, index: int) -> ArgKind:
    return sig.params[index] if index < len(sig.params) else sig.rest  # type: ignore[return-value]


def _fits(param: ArgKind, node: Node, kind: ValueKind) -> bool:
    if param is ArgKind.SERIES:
        return kind is ValueKind.NUMBER
    if param is ArgKind.COUNT:
        return isinstance(node, Number) and not node.text.endswith("%") and 1 <= node.value <= MAX_COUNT and node.value.is_integer()
    if param is ArgKind.DURATION:
        return isinstance(node, Duration)
    if param is ArgKind.EVENTS:
        return kind is ValueKind.EVENTS
    return kind is ValueKind.EVENTS and isinstance(node, SeriesRef) and node.field is not None


def _describe_arg(node: Node, kind: ValueKind) -> str:
    if isinstance(node, Number) and node.value.is_integer() and 1 <= node.value <= MAX_COUNT and not node.text.endswith("%"):
        return "n"
    if kind is ValueKind.DURATION:
        return "window"
    if kind is ValueKind.EVENTS:
        return "events.field" if isinstance(node, SeriesRef) and node.field else "events"
    return "series" if kind is ValueKind.NUMBER else kind.value


def _article(kind: ValueKind) -> str:
    return {
        ValueKind.NUMBER: "a number",
        ValueKind.BOOL: "a condition (true/false)",
        ValueKind.EVENTS: "an event stream",
        ValueKind.DURATION: "a duration",
    }[kind]


def _expect_hint(expect: ValueKind, got: ValueKind) -> str | None:
    if expect is ValueKind.BOOL and got is ValueKind.NUMBER:
        return "compare it with a threshold, e.g. ... > 0"
    return None


def _functions_hint() -> str:
    return "known functions: " + ", ".join(sorted(FUNCTIONS))


def references(node: Node, kind: type[DerivedRef] | type[RuleRef]) -> set[str]:
    """The derived-series or rule names an expression uses."""
    return {n.name for n in walk(node) if isinstance(n, kind)}


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One dependency cycle as a path ['a', 'b', 'a'], or None when the graph has none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(graph.get(name, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            return cycle
    return None


def cycle_problems(series: Mapping[str, Derived], conditions: Mapping[str, Condition], rules: Iterable[Rule]) -> list[ThesisError]:
    """A problem for a cycle among derived series and one for a cycle among conditions
    (growth, liquidity, rules referring to each other)."""
    problems: list[ThesisError] = []
    if cycle := find_cycle({name: references(d.expr, DerivedRef) for name, d in series.items()}):
        problems.append(
            ThesisError(series[cycle[0]].location, "derived series refer to each other in a cycle: " + " -> ".join(cycle))
        )
    locations: dict[str, Location] = {name: c.location for name, c in conditions.items()}
    deps: dict[str, set[str]] = {name: references(c.when, RuleRef) for name, c in conditions.items()}
    for rule in rules:
        if rule.when is None:
            continue
        locations[rule.name] = rule.location
        deps[rule.name] = references(rule.when, RuleRef)
        if rule.resolve_when is not None:
            deps[rule.name] |= references(rule.resolve_when, RuleRef)
    if cycle := find_cycle(deps):
        problems.append(ThesisError(locations[cycle[0]], "conditions refer to each other in a cycle: " + " -> ".join(cycle)))
    return problems
