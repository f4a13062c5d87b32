"""The syntax tree of thesis expressions.

The parser (``thesis/parser.py``) produces these nodes; the checker resolves names; the
evaluator walks them once per thesis over whole timelines (vectorized), never per date.
Every node keeps its position in the expression text (1-based line and column, already
shifted to the thesis file when the loader knows where the expression sits).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from signalflow.series import event_stream


@dataclass(frozen=True, slots=True)
class Pos:
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class Node:
    pos: Pos = field(default=Pos(), compare=False, kw_only=True)
    # The node's hash once computed (0: not yet): nodes key every value an evaluation
    # keeps, and a tree's hash walks the whole tree.
    _hash: int = field(default=0, init=False, repr=False, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float
    text: str = ""  # as written: '25%', '1.2e9'


@dataclass(frozen=True, slots=True)
class Duration(Node):
    """'30d', '12w', '1y': a time window (only valid as a function argument)."""

    delta: timedelta
    text: str = ""


@dataclass(frozen=True, slots=True)
class SeriesRef(Node):
    """A collected series: ``fred.DGS10``, ``sec.MSFT.capex``, ``news.power_contract.mw``,
    ``news.power_contract[MSFT]``. ``source`` is the first dotted part."""

    ref: str

    @property
    def source(self) -> str:
        return self.ref.split(".", 1)[0]

    @property
    def company(self) -> str | None:
        """The company filter of an event stream: 'MSFT' in ``news.power_contract[MSFT].mw``."""
        if "[" not in self.ref:
            return None
        return self.ref[self.ref.index("[") + 1 : self.ref.index("]")]

    @property
    def is_events(self) -> bool:
        """True for an event stream (``news.X``, ``grid.ISO.cod_slip``, ``dc.site_added``)."""
        return event_stream(self.ref) is not None

    @property
    def stream(self) -> str:
        """The event stream without filter or field: ``news.power_contract``,
        ``grid.ercot.cod_slip``."""
        found = event_stream(self.ref)
        if found is not None:
            return found
        head = self.ref.split("[", 1)[0]
        return ".".join(head.split(".")[:2])

    @property
    def field(self) -> str | None:
        """The numeric field of an event stream: 'mw' in ``news.power_contract[MSFT].mw`` and
        in ``grid.ercot.cod_slip.mw``."""
        if "[" in self.ref:
            tail = self.ref.split("]", 1)[1]
            return tail[1:] or None
        parts = self.ref.split(".")
        depth = len(self.stream.split("."))
        return ".".join(parts[depth:]) or None


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A bare name before resolution: a derived series, ``growth``, ``liquidity`` or a rule."""

    name: str


@dataclass(frozen=True, slots=True)
class DerivedRef(Node):
    """A name from the thesis's ``series:`` section."""

    name: str


@dataclass(frozen=True, slots=True)
class RuleRef(Node):
    """The boolean outcome of ``growth``, ``liquidity`` or a named rule."""

    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call from the function table. ``impl`` is the :class:`Signature.impl` the loader
    resolved it to (``mean_n`` or ``mean_window``...); empty before resolution."""

    func: str
    args: tuple[Node, ...]
    impl: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # '-' or 'not'
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # + - * / < <= > >= == != and or
    left: Node
    right: Node


def _keep_hash(cls: type) -> None:
    """Make ``cls`` remember its hash (computed as the dataclass computes it) in ``_hash``,
    forgotten when unpickled (a text's hash differs from one process to the next)."""
    computed, restore = cls.__hash__, cls.__setstate__

    def __hash__(self) -> int:
        h = self._hash
        if not h:
            h = computed(self)
            object.__setattr__(self, "_hash", h)
        return h

    def __setstate__(self, state) -> None:
        restore(self, state)
        object.__setattr__(self, "_hash", 0)

    cls.__hash__, cls.__setstate__ = __hash__, __setstate__


for _cls in (Number, Duration, SeriesRef, Name, DerivedRef, RuleRef, Call, Unary, Binary):
    _keep_hash(_cls)


ARITHMETIC = frozenset({"+", "-", "*", "/"})
COMPARISON = frozenset({"<", "<=", ">", ">=", "==", "!="})
LOGIC = frozenset({"and", "or"})


def children(node: Node) -> tuple[Node, ...]:
    """The direct operands of ``node``: a call's arguments, a unary's operand, a binary's
    two sides; none for a leaf."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def layers_called(exprs: Iterable[Node]) -> set[str]:
    """The layer names ``exprs`` read with ``layer(NAME)``."""
    return {
        n.args[0].name
        for expr in exprs
        for n in walk(expr)
        if isinstance(n, Call) and n.impl == "layer" and n.args and isinstance(n.args[0], Name)
    }


def series_refs(node: Node) -> set[str]:
    """The collected series an expression reads directly (not through derived names)."""
    return {n.ref for n in walk(node) if isinstance(n, SeriesRef)}


def to_text(node: Node) -> str:
    """Canonical text of an expression, used in explanations and alerts."""
    if isinstance(node, Number):
        return node.text or f"{node.value:g}"
    if isinstance(node, Duration):
        return node.text
    if isinstance(node, SeriesRef):
        return node.ref
    if isinstance(node, (Name, DerivedRef, RuleRef)):
        return node.name
    if isinstance(node, Call):
        return f"{node.func}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, Unary):
        return f"not {to_text(node.operand)}" if node.op == "not" else f"-{to_text(node.operand)}"
    if isinstance(node, Binary):
        return f"({to_text(node.left)} {node.op} {to_text(node.right)})"
    raise TypeError(f"not an expression node: {node!r}")
