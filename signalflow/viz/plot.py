"""Draw a thesis chart with matplotlib (Agg backend: no display needed).

    fig = figure(chart_data(thesis, backtest(thesis, store, start, end), end))
    save(fig, "ai_factory.png")

Every artist carries a ``gid`` naming what it shows (``input:<label>``,
``threshold:<rule>``, ``band:<kind>``, ``gap:<label>``, ``quadrant:<quadrant>``,
``marker:<ref>``), so tests and tools can read the figure back without parsing pixels. Every
axes drawn shows data: expressions without a value get no panel (``ChartData.left_out``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from signalflow.viz.chart import ChartData  # noqa: E402

WIDTH_IN = 11.0
PANEL_IN = 2.0
MARKER_IN = 1.0
QUADRANT_IN = 0.7
DPI = 100
# Margins in inches, fixed: a constrained layout measured every label of every axes before
# drawing (most of a chart's drawing time) for margins that barely change from one chart
# to the next. Left fits tick labels such as 125% or 9.12B; gaps fit a panel's title.
LEFT_IN, RIGHT_IN, TOP_IN, BOTTOM_IN, GAP_IN = 0.75, 0.25, 0.55, 0.6, 0.45

BAND_COLORS = {"pending": "#f2d16b", "soft_warning": "#f39c34", "kill_switch": "#d9342b"}
LINE_COLORS = {"growth": "#2e8b57", "liquidity": "#2f6db3", "soft_warning": "#e67e22", "kill_switch": "#c0392b"}
MARKER_STYLES = {"filing": "|", "news": "o", "release": "|"}
QUADRANT_COLORS = {
    "growth and liquidity": "#2e8b57",
    "growth only": "#9ccc65",
    "liquidity only": "#6fa8dc",
    "neither": "#d9342b",
    "unknown": "#d9d9d9",
}


def figure(data: ChartData) -> Figure:
    """The chart as a Figure: one panel per plotted input (with its thresholds, the state
    bands and, where its data stop early, the gap), a strip with the Growth x Liquidity
    quadrant over time, and a strip of markers where filings or news landed."""
    heights = [PANEL_IN] * len(data.panels)
    heights += [QUADRANT_IN] if data.quadrants else []
    heights += [MARKER_IN] if data.markers else []
    if not heights:
        fig = Figure(figsize=(WIDTH_IN, 1.6), dpi=DPI)
        fig.suptitle(f"{data.thesis}: {data.title}", fontsize=11)
        fig.text(0.5, 0.4, "no data in this range", ha="center", va="center")
        return fig
    gaps = GAP_IN * (len(heights) - 1)
    height = sum(heights) + gaps + TOP_IN + BOTTOM_IN
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    fig.suptitle(f"{data.thesis}: {data.title}", fontsize=11, y=1 - 0.12 / height, va="top")
    axes = list(fig.subplots(len(heights), 1, sharex=True, squeeze=False, gridspec_kw={
        "height_ratios": heights,
        "left": LEFT_IN / WIDTH_IN, "right": 1 - RIGHT_IN / WIDTH_IN,
        "top": 1 - TOP_IN / height, "bottom": BOTTOM_IN / height,
        # hspace is a fraction of the mean axes height
        "hspace": GAP_IN / (sum(heights) / len(heights)),
    })[:, 0])
    for ax, panel in zip(axes, data.panels):
        _panel(ax, panel, data.end)
        _bands(ax, data)
    rest = axes[len(data.panels):]
    if data.quadrants:
        _quadrants(rest.pop(0), data)
    if data.markers:
        _markers(rest.pop(0), data)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[-1].xaxis.get_major_locator()))
    if data.start is not None:
        axes[-1].set_xlim(np.datetime64(data.start, "ns"), np.datetime64(data.end, "ns"))
    return fig


def _panel(ax, panel, end) -> None:
    line = ax.plot(panel.times, panel.values, drawstyle="steps-post", color="#222222", linewidth=1.3)[0]
    line.set_gid(f"input:{panel.label}")
    labels: dict[float, list[str]] = {}
    for th in panel.thresholds:
        hl = ax.axhline(th.value, color=LINE_COLORS.get(th.severity, "#777777"), linestyle="--", linewidth=1)
        hl.set_gid(f"threshold:{th.owner}")
        labels.setdefault(th.value, []).append(f"{th.owner} {th.threshold}")
    for value, texts in labels.items():
        ax.annotate(
            "; ".join(texts),
            xy=(1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 2),
            textcoords="offset points",
            ha="right",
            fontsize=7,
            color="#555555",
        )
    if panel.data_end is not None:
        gap = ax.axvspan(np.datetime64(panel.data_end, "ns"), np.datetime64(end, "ns"), facecolor="none", edgecolor="#999999",
                         hatch="//", linewidth=0)
        gap.set_gid(f"gap:{panel.label}")
        # Upright inside the gap: it fits a gap a few pixels wide and never covers the data.
        ax.annotate(f"no data after {panel.last_release:%Y-%m-%d}", xy=(np.datetime64(panel.data_end, "ns"), 0.5),
                    xycoords=("data", "axes fraction"), xytext=(2, 0), textcoords="offset points", fontsize=7,
                    color="#555555", va="center", ha="left", rotation=90)
    if panel.percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(compact))
    ax.set_title(panel.label, fontsize=9, loc="left")
    ax.grid(True, alpha=0.3)


def _quadrants(ax, data: ChartData) -> None:
    shown = {}
    for run in data.quadrants:
        span = ax.axvspan(np.datetime64(run.start, "ns"), np.datetime64(run.end, "ns"),
                          color=QUADRANT_COLORS.get(run.kind, "#d9d9d9"), linewidth=0)
        span.set_gid(f"quadrant:{run.kind}")
        shown.setdefault(run.kind, span)
    if data.quadrant_held is not None:
        since, ref = data.quadrant_held
        held = ax.axvspan(np.datetime64(since, "ns"), np.datetime64(data.end, "ns"), facecolor="none",
                          edgecolor="#555555", hatch="//", linewidth=0)
        held.set_gid(f"held:{ref}")
        ax.annotate(f"{ref} ended: its last value held", xy=(np.datetime64(since, "ns"), 0.5),
                    xycoords=("data", "axes fraction"), xytext=(-4, 0), textcoords="offset points", fontsize=7,
                    color="#222222", va="center", ha="right")
    ax.set_yticks([])
    ax.set_title("Growth × Liquidity", fontsize=9, loc="left")
    ax.legend(list(shown.values()), list(shown), loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(shown),
              fontsize=7, frameon=False, borderaxespad=0.2)


def _bands(ax, data: ChartData) -> None:
    for band in data.bands:
        span = ax.axvspan(
            np.datetime64(band.start, "ns"), np.datetime64(band.end, "ns"),
            color=BAND_COLORS[band.kind], alpha=0.18 if band.kind == "pending" else 0.28, linewidth=0,
        )
        span.set_gid(f"band:{band.kind}")


def _markers(ax, data: ChartData) -> None:
    refs = sorted({m.ref for m in data.markers})
    for y, ref in enumerate(refs):
        points = [m for m in data.markers if m.ref == ref]
        kind = points[0].kind
        (line,) = ax.plot(
            [np.datetime64(m.at, "ns") for m in points], [y] * len(points),
            linestyle="none", marker=MARKER_STYLES[kind], markersize=9, color="#444444",
        )
        line.set_gid(f"marker:{ref}")
    # Names inside the strip, over their row: a long XBRL concept would not fit the margin.
    for y, ref in enumerate(refs):
        ax.text(0.003, y + 0.12, ref, transform=ax.get_yaxis_transform(), fontsize=7, color="#444444", va="bottom")
    ax.set_yticks([])
    ax.set_ylim(-0.5, len(refs) - 0.2)
    ax.set_title("filings and news as they landed", fontsize=9, loc="left")


def compact(value: float, _pos=None) -> str:
    """A tick label without an offset: 9.1B, 250M, 12k, 4.5."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= scale:
            div = 1e3 if suffix == "k" else scale
            return f"{value / div:.4g}{suffix}"
    return f"{value:.4g}"


def save(fig: Figure, path: Path | str) -> Path:
    """Write the figure as PNG at its own size (WIDTH_IN x height at DPI)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI)
    return path


def plot_thesis(thesis, provider, start, end, path: Path | str, marker_sources=None) -> tuple[Path, ChartData]:
    """Backtest ``thesis`` over [start, end] and write its chart to ``path``."""
    from signalflow.thesis.engine import backtest
    from signalflow.viz.chart import MARKER_SOURCES, chart_data

    bt = backtest(thesis, provider, start, end)
    data = chart_data(thesis, bt, end, marker_sources or MARKER_SOURCES)
    return save(figure(data), path), data
