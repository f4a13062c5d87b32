"""Draw a thesis chart with matplotlib (Agg backend: no display needed).

    fig = figure(chart_data(thesis, backtest(thesis, store, start, end), end))
    save(fig, "ai_factory.png")

Every artist carries a ``gid`` naming what it shows (``input:<label>``,
``threshold:<rule>``, ``band:<kind>``, ``marker:<ref>``), so tests and tools can read the
figure back without parsing pixels.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from signalflow.viz.chart import ChartData  # noqa: E402

WIDTH_IN = 11.0
PANEL_IN = 2.0
MARKER_IN = 1.0
DPI = 100

BAND_COLORS = {"pending": "#f2d16b", "soft_warning": "#f39c34", "kill_switch": "#d9342b"}
LINE_COLORS = {"growth": "#2e8b57", "liquidity": "#2f6db3", "soft_warning": "#e67e22", "kill_switch": "#c0392b"}
MARKER_STYLES = {"filing": "|", "news": "o", "release": "|"}


def figure(data: ChartData) -> Figure:
    """The chart as a Figure: one panel per plotted input (with its thresholds and the state
    bands), and a strip of markers where filings or news landed."""
    rows = max(len(data.panels), 1) + (1 if data.markers else 0)
    height = PANEL_IN * max(len(data.panels), 1) + (MARKER_IN if data.markers else 0) + 0.8
    ratios = [PANEL_IN] * max(len(data.panels), 1) + ([MARKER_IN] if data.markers else [])
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios})[:, 0]
    fig.suptitle(f"{data.thesis}: {data.title}", fontsize=11)
    if not data.panels:
        axes[0].text(0.5, 0.5, "no data in this range", ha="center", va="center", transform=axes[0].transAxes)
    for ax, panel in zip(axes, data.panels):
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
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(panel.label, fontsize=9, loc="left")
        ax.grid(True, alpha=0.3)
    for ax in axes[: max(len(data.panels), 1)]:
        _bands(ax, data)
    if data.markers:
        _markers(axes[-1], data)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[-1].xaxis.get_major_locator()))
    if data.start is not None:
        axes[-1].set_xlim(np.datetime64(data.start, "ns"), np.datetime64(data.end, "ns"))
    return fig


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
    ax.set_yticks(range(len(refs)), refs, fontsize=7)
    ax.set_ylim(-0.7, len(refs) - 0.3)
    ax.set_title("filings and news as they landed", fontsize=9, loc="left")


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
