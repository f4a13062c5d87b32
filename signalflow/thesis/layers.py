"""``layer(NAME)``: a thesis reading the states of a bottleneck layer's theses.

    layer_refs(thesis)            # {"layer.power"} when it reads layer(power)
    layer_order(theses)           # the theses, each after the layers it reads
    layer_cycle(theses)           # ["a", "b", "a"] when a reads b's layer and b reads a's

``layer(power)`` at instant T is the share (0 to 1) of the theses whose ``layer:`` is
``power`` that are in Soft Warning or Kill Switch at T. The engine reads it as the series
``layer.power``, which the caller supplies (``thesis/cascade.py`` builds it from the member
theses' backtests); without it the value is unknown. Nothing collects a ``layer.*`` series.

Dependency order: a thesis reading ``layer(X)`` is evaluated after every thesis of layer X,
so a thesis of layer X cannot read ``layer(X)``, and no chain of layer reads may lead back to
the thesis that starts it (:func:`layer_cycle`, reported by ``check``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from signalflow.errors import Location, ThesisError
from signalflow.thesis.ast import Call, Name, Node, layers_called, walk
from signalflow.thesis.model import Thesis

if TYPE_CHECKING:  # the loader checks layer loops without the evaluation's libraries
    import numpy as np

    from signalflow.thesis.frames import Shift
    from signalflow.thesis.registry import EvalContext, Impl

PREFIX = "layer."


def layer_key(name: str) -> str:
    """The series ``layer(name)`` is read from."""
    return PREFIX + name


def layers_read(thesis: Thesis) -> set[str]:
    """The layer names ``thesis`` reads with ``layer(NAME)`` (``Thesis.layer_names``)."""
    return set(thesis.layer_names)


def layer_call(thesis: Thesis, name: str) -> Call | None:
    """The first ``layer(name)`` call of ``thesis`` (for its position in the file)."""
    for expr in thesis.expressions():
        for n in walk(expr):
            if isinstance(n, Call) and n.impl == "layer" and n.args and getattr(n.args[0], "name", None) == name:
                return n
    return None


def layer_refs(thesis: Thesis) -> set[str]:
    """The ``layer.*`` series ``thesis`` reads (never collected: computed from theses)."""
    return {layer_key(name) for name in layers_read(thesis)}


def _graph(theses: Sequence[Thesis]) -> dict[str, list[str]]:
    """thesis id -> the ids of the theses it reads through ``layer()``."""
    members: dict[str, list[str]] = {}
    for th in theses:
        if th.layer:
            members.setdefault(th.layer, []).append(th.id)
    return {th.id: sorted({m for name in layers_read(th) for m in members.get(name, [])}) for th in theses}


def layer_cycle(theses: Sequence[Thesis]) -> list[str] | None:
    """A loop of layer reads (thesis ids, the first repeated at the end), or None."""
    graph = _graph(theses)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for dep in graph.get(node, []):
            found = visit(dep, path + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def describe_cycle(theses: Sequence[Thesis], cycle: list[str]) -> str:
    """``a (layer power) reads layer(compute), which holds b; b ... reads layer(power), which holds a``."""
    by_id = {th.id: th for th in theses}
    steps = []
    for a, b in zip(cycle, cycle[1:]):
        steps.append(f"{a} reads layer({by_id[b].layer}), which holds {b}")
    return "; ".join(steps)


def layer_cycle_problems(theses: Sequence[Thesis]) -> tuple[list[ThesisError], list[Thesis]]:
    """One error per loop of ``layer()`` reads, at the call that starts it, and the theses
    outside every loop (those in one cannot be evaluated)."""
    problems: list[ThesisError] = []
    kept = list(theses)
    while (cycle := layer_cycle(kept)) is not None:
        by_id = {th.id: th for th in kept}
        first = by_id[cycle[0]]
        call = layer_call(first, by_id[cycle[1]].layer)
        location = first.location
        if call is not None:
            location = Location(first.location.path, call.pos.line, call.pos.column)
        problems.append(
            ThesisError(
                location,
                "layer() reads go round in a circle: " + describe_cycle(kept, cycle),
                "a thesis cannot read the layer it belongs to, directly or through other theses' layer() reads",
            )
        )
        kept = [th for th in kept if th.id not in cycle]
    return problems, kept


def layer_order(theses: Iterable[Thesis]) -> list[Thesis]:
    """``theses`` in an order where each comes after the theses of the layers it reads (the
    given order otherwise). Raises ValueError on a cycle (``check`` reports it first)."""
    theses = list(theses)
    graph = _graph(theses)
    by_id = {th.id: th for th in theses}
    out: list[Thesis] = []
    placed: set[str] = set()

    def place(tid: str, path: tuple[str, ...]) -> None:
        if tid in placed:
            return
        if tid in path:
            raise ValueError("layer reads go round in a circle: " + " -> ".join(path + (tid,)))
        for dep in graph[tid]:
            place(dep, path + (tid,))
        placed.add(tid)
        out.append(by_id[tid])

    for th in theses:
        place(th.id, ())
    return out


def layer(ctx: EvalContext, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    name = call.args[0]
    assert isinstance(name, Name)
    return ctx.series(layer_key(name.name)).latest_value(ctx.t)


IMPLEMENTATIONS: dict[str, Impl] = {"layer": layer}
