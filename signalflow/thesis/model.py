"""A thesis as loaded from its file: values, not dicts.

The loader (``thesis/loader.py``) builds these from YAML, parses every expression into the
AST (``thesis/ast.py``) and records where in the file each piece came from, so every later
error can name file, line and column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, timedelta
from pathlib import Path

from signalflow.errors import Location
from signalflow.store.enums import Severity
from signalflow.thesis.ast import DerivedRef, Name, Node, SeriesRef, layers_called, to_text, walk
from signalflow.thesis.comparisons import Comparison, comparisons, thresholds

LAYERS = ("compute", "memory", "networking", "packaging", "systems", "power", "training", "inference")


@dataclass(frozen=True)
class For:
    """How long a condition must hold before a rule fires: a duration or N releases."""

    duration: timedelta | None = None
    releases: int | None = None

    @property
    def zero(self) -> bool:
        return not self.releases and (self.duration is None or self.duration == timedelta(0))


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    when: Node
    when_text: str
    location: Location
    for_: For = For()
    keep_firing_for: timedelta | None = None
    resolve_when: Node | None = None
    resolve_when_text: str = ""
    stale_after: timedelta | None = None
    summary: str = ""

    @cached_property
    def thresholds(self) -> dict[str, str]:
        """:func:`~signalflow.thesis.comparisons.thresholds` of ``when``, computed once (each
        status of a firing rule shows them beside its inputs). Read only."""
        return thresholds(self.when)

    @cached_property
    def comparison(self) -> tuple[Comparison, str] | None:
        """When ``when`` is itself a comparison: the first way
        :func:`~signalflow.thesis.comparisons.comparisons` reads it (series side first) and
        that side's text, which every status of the rule states; else None. Read only."""
        node = self.when
        first = next(comparisons(node), None)
        return (first, to_text(first.side)) if first is not None and first.node is node else None

    @cached_property
    def text(self) -> str:
        """``when`` as written (its canonical text when it was not read from a file)."""
        return self.when_text or to_text(self.when)


@dataclass(frozen=True)
class Condition:
    """``growth`` or ``liquidity``: a reason in words and a condition in the language."""

    reason: str
    when: Node
    when_text: str
    location: Location


@dataclass(frozen=True)
class Derived:
    name: str
    expr: Node
    text: str
    location: Location
    stale_after: timedelta | None = None


@dataclass(frozen=True)
class Hypothesis:
    """A statement by an industry leader (``hypotheses:``): who said what, when, where, and
    the condition that verifies it by when (decided over time in ``functions_hypotheses.py``)."""

    name: str
    claim: str
    verify: Node
    verify_text: str
    by: date
    location: Location
    who: str = ""
    said: date | None = None
    source: str = ""


@dataclass(frozen=True)
class Expansion:
    """Where an expanded thesis came from: the ``for_each`` template ``template`` (its id
    without the value) with ``variable`` bound to ``value`` (``capex[MSFT]``)."""

    template: str
    variable: str
    value: str


@dataclass(frozen=True)
class Add:
    """One add of a tranche plan: a size (percent of the intended position) and the
    condition, in the thesis language, under which the plan says to take it."""

    number: int  # 1, 2, ... in file order: `signalflow tranche THESIS add N`
    size: float  # percent of the intended position
    when: Node
    when_text: str
    location: Location


@dataclass(frozen=True)
class Plan:
    """``plan:``: the first tranche's size, the adds, when the price counts as stretched
    (adds are withheld then) and what to do on a Soft Warning and on a Kill Switch."""

    first: float  # percent of the intended position
    on_soft_warning: str
    on_kill_switch: str
    location: Location
    adds: tuple[Add, ...] = ()
    stretched: Node | None = None
    stretched_text: str = ""

    def instruction(self, severity: str) -> str:
        """What the plan says to do on a rule of ``severity`` ('' for any other)."""
        return {"soft_warning": self.on_soft_warning, "kill_switch": self.on_kill_switch}.get(str(severity), "")

    def add(self, number: int) -> Add:
        for add in self.adds:
            if add.number == number:
                return add
        raise KeyError(number)


@dataclass(frozen=True)
class Thesis:
    id: str
    title: str
    path: Path
    location: Location
    growth: Condition
    liquidity: Condition
    soft_warning: tuple[Rule, ...]
    kill_switch: tuple[Rule, ...]
    series: dict[str, Derived] = field(default_factory=dict)
    owner: str = ""
    layer: str = ""
    review_by: date | None = None
    links: tuple[str, ...] = ()
    position: dict[str, str] = field(default_factory=dict)
    notify: tuple[str, ...] = ()
    every: timedelta = timedelta(days=1)
    hypotheses: tuple[Hypothesis, ...] = ()
    expansion: Expansion | None = None  # set on the theses a ``for_each`` file expands into
    plan: Plan | None = None

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Kill Switch rules first: they decide the state before Soft Warnings do."""
        return self.kill_switch + self.soft_warning

    def expressions(self) -> Iterator[Node]:
        """Every expression of the thesis: derived series, growth, liquidity, rule conditions,
        the plan's add and stretched conditions."""
        for derived in self.series.values():
            yield derived.expr
        yield self.growth.when
        yield self.liquidity.when
        for rule in self.rules:
            yield rule.when
            if rule.resolve_when is not None:
                yield rule.resolve_when
        if self.plan is not None:
            for add in self.plan.adds:
                yield add.when
            if self.plan.stretched is not None:
                yield self.plan.stretched

    def hypothesis(self, name: str) -> Hypothesis:
        for hyp in self.hypotheses:
            if hyp.name == name:
                return hyp
        raise KeyError(name)

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)

    # Theses are not modified once loaded, so what is derived from one is computed once and
    # kept on it: not a field, so equality, hashing, repr and ``replace`` ignore it.

    @cached_property
    def fingerprint(self) -> str:
        """A hash of everything in the thesis that changes its evaluation."""
        parts = [self.id, str(self.every), to_text(self.growth.when), to_text(self.liquidity.when)]
        for name, d in sorted(self.series.items()):
            parts.append(f"{name}={to_text(d.expr)}|{d.stale_after}")
        for r in self.rules:
            resolve = to_text(r.resolve_when) if r.resolve_when is not None else ""
            parts.append(f"{r.name}|{r.severity.value}|{to_text(r.when)}|{r.for_}|{r.keep_firing_for}|{resolve}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    @cached_property
    def layer_names(self) -> frozenset[str]:
        """The layer names the thesis reads with ``layer(NAME)``, found once (a pass asks
        for every thesis, several times)."""
        return frozenset(layers_called(self.expressions()))

    def refs_of(self, node: Node) -> tuple[str, ...]:
        """:func:`node_refs` of ``node``, sorted, remembered per node object (a pass asks for a
        rule's inputs several times: lifecycle, causes, inputs, staleness)."""
        memo = self._refs
        hit = memo.get(id(node))
        # The entry holds the node, so its id is not reused while the entry exists.
        if hit is None or hit[0] is not node:
            if len(memo) > 10_000:  # nodes from outside the thesis (extra conditions) come and go
                memo.clear()
            hit = memo[id(node)] = (node, tuple(sorted(node_refs(self, node))))
        return hit[1]

    @cached_property
    def _refs(self) -> dict[int, tuple[Node, tuple[str, ...]]]:
        return {}


def thesis_refs(thesis: Thesis) -> set[str]:
    """Every collected series a thesis reads, through its derived series and rules: what the
    engine loads and what makes the daemon collect it."""
    return {n.ref for expr in thesis.expressions() for n in walk(expr) if isinstance(n, SeriesRef)}


def node_refs(thesis: Thesis, node: Node, seen: frozenset[str] = frozenset()) -> set[str]:
    """Series references read by ``node``, through the thesis's derived series (not through
    rules)."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, SeriesRef):
            out.add(n.ref)
        elif isinstance(n, (DerivedRef, Name)) and n.name in thesis.series and n.name not in seen:
            out |= node_refs(thesis, thesis.series[n.name].expr, seen | {n.name})
    return out
