"""The comparisons of an expression, read one way for every reader.

A comparison such as ``fred.HY < -10%`` is read with its series side first: the side
``fred.HY``, the operator ``<`` and what it is compared with, ``-10%``, whose text is the
threshold shown next to the input. A literal on the left (``5 < fred.HY``) is turned round
(``fred.HY > 5``); a negative literal (``-10%``) is a literal too. Between two series
(``fred.A > fred.B``) each side is read once, against the other (``> fred.B``, ``< fred.A``).

Explanations (``thesis/explain.py``), alert messages (``alerts/message.py``) and charts
(``viz/chart.py``) all read comparisons here, so they state the same threshold.

    for c in comparisons(parse_expression("fred.HY < -10%")):
        c.side, c.threshold, c.constant    # SeriesRef('fred.HY'), '< -10%', -0.1
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from signalflow.thesis.ast import COMPARISON, Binary, Node, Number, SeriesRef, Unary, to_text, walk

__all__ = ["FLIPPED", "Comparison", "comparisons", "constant", "thresholds"]

FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class Comparison:
    """One comparison read from one of its sides: ``side op other``."""

    node: Binary  # the comparison as written
    side: Node  # the side read as the value being watched
    op: str  # the operator with ``side`` on the left
    other: Node  # what ``side`` is compared with
    text: str  # ``other`` as written: '-10%', '5', 'fred.B'
    constant: float | None = None  # the value of ``other`` when it is a literal number

    @property
    def threshold(self) -> str:
        """The comparison as it reads next to its side's value: '< -10%'."""
        return f"{self.op} {self.text}"

    @property
    def refs(self) -> list[str]:
        """The collected series read directly by the side, in the order written."""
        return list(dict.fromkeys(n.ref for n in walk(self.side) if isinstance(n, SeriesRef)))


def constant(node: Node) -> tuple[float, str] | None:
    """A literal number (``5``, ``25%``, ``-10%``) as its value and its text; None otherwise."""
    if isinstance(node, Number):
        return float(node.value), node.text or f"{node.value:g}"
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Number):
        inner = node.operand
        return -float(inner.value), "-" + (inner.text or f"{inner.value:g}")
    return None


def comparisons(node: Node | None) -> Iterator[Comparison]:
    """Every comparison in ``node`` (parents before children), each read from each of its
    sides that is not a literal; a comparison of two literals is skipped."""
    if node is None:
        return
    for item in walk(node):
        if not (isinstance(item, Binary) and item.op in COMPARISON):
            continue
        left, right = constant(item.left), constant(item.right)
        if left is None:
            yield Comparison(
                item, item.left, item.op, item.right,
                right[1] if right else _text(item.right), right[0] if right else None,
            )
        if right is None:
            yield Comparison(
                item, item.right, FLIPPED[item.op], item.left,
                left[1] if left else _text(item.left), left[0] if left else None,
            )


def thresholds(node: Node | None) -> dict[str, str]:
    """For each series an expression compares, its threshold text ('> 5'); the first
    comparison of a series wins, a comparison with a literal before one with a series."""
    found: dict[str, str] = {}
    ordered = sorted(comparisons(node), key=lambda c: c.constant is None)
    for comparison in ordered:
        for ref in comparison.refs:
            found.setdefault(ref, comparison.threshold)
    return found


def _text(node: Node) -> str:
    text = to_text(node)
    return text[1:-1] if isinstance(node, Binary) else text
