"""The function registry: which implementation evaluates each ``impl`` of the function table.

A thesis function is a plain callable ``impl(ctx, call, shifts) -> values``: it reads its
arguments through the evaluation context ``ctx`` (anything shaped like :class:`EvalContext`)
and returns one float per instant of ``ctx.t`` (NaN = unknown). The engine hands a
:class:`FunctionRegistry` to the context, so the context never imports the function modules
and the function modules never import the context::

    registry = FunctionRegistry({"double": lambda ctx, call, sh: 2 * ctx.eval(call.args[0], sh)})
    Context(thesis, series, t, functions=BUILTIN_FUNCTIONS | registry)

The built-in table is :data:`signalflow.thesis.builtin_functions.BUILTIN_FUNCTIONS`; the
names, arities and argument kinds the checker accepts are in ``functions_spec.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

import numpy as np

from signalflow.thesis.arrays import td_ns
from signalflow.thesis.ast import Call, Duration, Node, Number, SeriesRef
from signalflow.thesis.frames import PitSeries, Shift
from signalflow.thesis.model import Thesis


class EvalContext(Protocol):
    """What a thesis function may ask of the evaluation context (``thesis/context.py``)."""

    thesis: Thesis
    t: np.ndarray  # the instants, int64 ns
    step: int  # the thesis's regular grid step, ns

    def eval(self, node: Node, sh: tuple[Shift, ...] = ()) -> np.ndarray:
        """``node``'s value at each instant, every series it reads moved by the shifts ``sh``."""
        ...

    def series(self, ref: str) -> PitSeries: ...

    def period_of(self, ref: str, sh: tuple[Shift, ...] = ()) -> np.ndarray: ...

    def refs_of(self, node: Node) -> list[str]: ...

    def on_grid(self, node: Node, sh: tuple[Shift, ...], window: int) -> tuple[np.ndarray, np.ndarray]: ...

    def at(self, t: np.ndarray) -> EvalContext:
        """The same thesis, series and functions evaluated at other instants."""
        ...


Impl = Callable[[EvalContext, Call, tuple[Shift, ...]], np.ndarray]


class FunctionRegistry(Mapping[str, Impl]):
    """Implementations by ``impl`` name; ``a | b`` is a registry with ``b``'s entries added."""

    def __init__(self, *tables: Mapping[str, Impl]) -> None:
        self._impls: dict[str, Impl] = {}
        for table in tables:
            self._impls.update(table)

    def __getitem__(self, name: str) -> Impl:
        return self._impls[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._impls)

    def __len__(self) -> int:
        return len(self._impls)

    def __or__(self, other: Mapping[str, Impl]) -> FunctionRegistry:
        return FunctionRegistry(self._impls, other)

    def impl_of(self, ctx: EvalContext, call: Call) -> Impl:
        """The implementation the loader chose, or (for hand-built trees) the one the argument
        kinds imply."""
        name = call.impl
        if not name:
            name = call.func
            second = call.args[1] if len(call.args) > 1 else None
            first_events = isinstance(call.args[0], SeriesRef) and ctx.series(call.args[0].ref).events
            if call.func == "mean":
                name = "mean_window" if isinstance(second, Duration) else "mean_n"
            elif call.func == "sum" and first_events and isinstance(second, Duration):
                name = "sum_events"
            elif call.func == "days_since" and first_events:
                name = "days_since_events"
            elif call.func == "abs":
                name = "abs"
        try:
            return self._impls[name]
        except KeyError:
            raise KeyError(call.func) from None


def count_arg(node: Node) -> int:
    """An ``n`` argument (the checker let only a whole positive number through)."""
    assert isinstance(node, Number)
    return int(node.value)


def window_arg(node: Node) -> int:
    """A ``window`` argument in nanoseconds."""
    assert isinstance(node, Duration)
    return td_ns(node.delta)


def event_ref(node: Node) -> str:
    """An ``events`` argument: the reference of the stream."""
    assert isinstance(node, SeriesRef)
    return node.ref
