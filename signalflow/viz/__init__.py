"""Seeing it: the status board, thesis charts, the static HTML report and the offline demo.

    from signalflow.viz import board, by_layer, plot_thesis, write_report, run_demo

The names load on first use (PEP 562): ``signalflow status`` reads ``viz.board`` and should
not pay for the demo, the report or matplotlib.
"""

from typing import TYPE_CHECKING

from signalflow.viz.board import BoardRow, InputAge, board, by_layer

if TYPE_CHECKING:
    from signalflow.viz.demo import run_demo
    from signalflow.viz.report import write_report


def plot_thesis(*args, **kwargs):
    """See :func:`signalflow.viz.plot.plot_thesis` (imported lazily: matplotlib is heavy)."""
    from signalflow.viz.plot import plot_thesis as _plot

    return _plot(*args, **kwargs)


__all__ = ["BoardRow", "InputAge", "board", "by_layer", "plot_thesis", "run_demo", "write_report"]


def __getattr__(name: str) -> object:
    if name == "run_demo":
        from signalflow.viz.demo import run_demo as value
    elif name == "write_report":
        from signalflow.viz.report import write_report as value
    else:
        raise AttributeError(f"module 'signalflow.viz' has no attribute {name!r}")
    globals()[name] = value
    return value
