"""Seeing it: the status board, thesis charts, the static HTML report and the offline demo.

    from signalflow.viz import board, by_layer, plot_thesis, write_report, run_demo
"""

from signalflow.viz.board import BoardRow, InputAge, board, by_layer
from signalflow.viz.demo import run_demo
from signalflow.viz.report import write_report


def plot_thesis(*args, **kwargs):
    """See :func:`signalflow.viz.plot.plot_thesis` (imported lazily: matplotlib is heavy)."""
    from signalflow.viz.plot import plot_thesis as _plot

    return _plot(*args, **kwargs)


__all__ = ["BoardRow", "InputAge", "board", "by_layer", "plot_thesis", "run_demo", "write_report"]
