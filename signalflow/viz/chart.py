"""What a thesis chart shows, computed before anything is drawn: the inputs over time
(point in time: the value known at each instant of a backtest), their thresholds, the
pending / Soft Warning / Kill Switch periods and the instants filings or news landed.

Nothing is loaded or evaluated again here: the instants, the values of the compared
expressions and the input frames all come from the engine's :class:`Backtest`.

Thresholds come from :func:`signalflow.thesis.comparisons.comparisons` over each ``when``
(and the growth and liquidity conditions), the reading explanations and alerts use: a
comparison whose one side is a number constant (``yoy(x) > 25%``, ``qoq(x) < -10%``) is
drawn as that side's series with a horizontal line at the constant.
Comparisons between two series (``count(a, 30d) > count(b, 30d)``), boolean rule
references and thresholds computed from other series (``x < lag(x, 1) - 20%``) are not
drawn as thresholds; their series still appear when another comparison plots them.

A line ends where its data ends: its last value is drawn for one release interval of its
inputs (the time they usually take to publish again), and a series that stopped before the
chart does shows a gap there instead of a flat line. An expression with no value anywhere in
the range (its inputs are not in the store, or not yet long enough) gets no panel: it is
listed in :attr:`ChartData.left_out` with the inputs that had no data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from signalflow.thesis.ast import Call, DerivedRef, Name, Node, SeriesRef, to_text
from signalflow.thesis.comparisons import comparisons as read_comparisons
from signalflow.thesis.context import node_refs
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import Backtest
from signalflow.series import SeriesFrame, SeriesKind, default_frequency

MARKER_SOURCES = ("sec", "news")
# Functions whose value is a ratio (0.25 = 25%): their panels read in percent whatever the threshold.
RATIO_FUNCTIONS = frozenset({"yoy", "qoq", "pct_change", "percentile", "drawdown", "pct_above_mean"})


@dataclass(frozen=True)
class Threshold:
    value: float
    op: str  # the operator with the series on the left: `series op value`
    text: str  # the constant as written: '25%'; ``op text`` is the threshold alerts show
    owner: str  # the rule name, or growth / liquidity
    severity: str  # soft_warning | kill_switch | growth | liquidity

    @property
    def threshold(self) -> str:
        """The threshold as alerts and explanations state it: '< -10%'."""
        return f"{self.op} {self.text}"


@dataclass(frozen=True)
class Panel:
    """One plotted series: an expression's value at every instant of the backtest."""

    label: str
    times: np.ndarray  # datetime64[ns]
    values: np.ndarray  # float, NaN = unknown, and after ``data_end``
    thresholds: tuple[Threshold, ...]
    last_release: datetime | None = None  # the last release of the input that stops first
    data_end: datetime | None = None  # set when the data stop before the chart does: the gap's start
    ratio: bool = False  # the expression is a ratio function (yoy, qoq, drawdown...)

    @property
    def percent(self) -> bool:
        """A ratio function, or thresholds written as percentages (a bare 0 goes with them):
        a percent axis."""
        texts = [t.text for t in self.thresholds]
        if self.ratio and all(x.endswith("%") or t.value == 0 for x, t in zip(texts, self.thresholds)):
            return True
        return any(x.endswith("%") for x in texts) and all(x.endswith("%") or t.value == 0 for x, t in zip(texts, self.thresholds))


@dataclass(frozen=True)
class Band:
    kind: str  # pending | soft_warning | kill_switch
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Marker:
    ref: str
    at: datetime
    kind: str  # filing | news | release


@dataclass(frozen=True)
class LeftOut:
    """A compared expression that has no value anywhere in the chart's range."""

    label: str
    owners: tuple[str, ...]  # the rules (or growth / liquidity) that compare it
    missing: tuple[str, ...]  # its inputs with no data at all
    last_release: datetime | None = None

    def reason(self) -> str:
        if self.missing:
            return f"no data for {', '.join(self.missing)}"
        return "no value in this range" + (f" (its data end {self.last_release:%Y-%m-%d})" if self.last_release else "")


@dataclass
class ChartData:
    thesis: str
    title: str
    start: datetime | None
    end: datetime
    panels: list[Panel] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    quadrants: list[Band] = field(default_factory=list)  # kind: a Quadrant value
    # Where an input of growth or liquidity stops (its last release plus its usual interval)
    # before the chart does: from there the quadrant holds that input's last value.
    quadrant_held: tuple[datetime, str] | None = None  # (from, the input)
    left_out: list[LeftOut] = field(default_factory=list)


def comparisons(thesis: Thesis) -> Iterator[tuple[Node, Threshold]]:
    """Every (series side, threshold) pair of the thesis's conditions and rules."""
    sections: list[tuple[Node, str, str]] = [
        (thesis.growth.when, "growth", "growth"),
        (thesis.liquidity.when, "liquidity", "liquidity"),
    ]
    sections += [(r.when, r.name, r.severity.value) for r in thesis.rules]
    for root, owner, severity in sections:
        for c in read_comparisons(root):
            if c.constant is not None:
                yield c.side, Threshold(c.constant, c.op, c.text, owner, severity)


def chart_data(
    thesis: Thesis,
    bt: Backtest,
    end: datetime,
    marker_sources: Sequence[str] = MARKER_SOURCES,
) -> ChartData:
    """Everything the chart of ``bt`` shows, taken from the backtest: its instants, the
    values its engine computed there (each with only what was known at that instant) and
    the input frames it read."""
    tl = bt.timeline
    start = tl.index[0].to_pydatetime() if len(tl) else None
    data = ChartData(thesis.id, thesis.title, start, end)
    if tl.empty:
        return data
    grouped: dict[str, tuple[Node, list[Threshold]]] = {}
    for node, threshold in comparisons(thesis):
        grouped.setdefault(to_text(node), (node, []))[1].append(threshold)
    if not grouped:
        for ref in sorted(bt.inputs):
            if ref.split(".", 1)[0] != "news":
                grouped[ref] = (SeriesRef(ref), [])
    times = tl.index.as_unit("ns").to_numpy()
    releases = last_releases(bt.inputs)
    for text, (node, thresholds) in grouped.items():
        label = _label(thesis, node, text)
        values = np.asarray(bt.values(node), float).copy()
        refs = sorted(node_refs(thesis, node))
        # The input that stops first ends the line: its last release plus its usual interval.
        last, step = min((releases[r] for r in refs if r in releases), key=lambda e: e[0] + e[1], default=(None, None))
        data_end = last + step if last is not None else None
        if data_end is not None:
            values[times > np.datetime64(data_end, "ns")] = np.nan
        if np.isnan(values).all():
            missing = tuple(r for r in refs if r not in bt.inputs or bt.inputs[r].data.empty)
            owners = tuple(dict.fromkeys(t.owner for t in thresholds))
            data.left_out.append(LeftOut(label, owners, missing, last))
            continue
        gap = data_end if data_end is not None and data_end < end else None
        data.panels.append(Panel(label, times, values, tuple(thresholds), last, gap, _is_ratio(thesis, node)))
    data.bands = bands(tl, end)
    data.quadrants = quadrant_runs(tl, end)
    conditions = node_refs(thesis, thesis.growth.when) | node_refs(thesis, thesis.liquidity.when)
    held = sorted((last + step, ref) for ref, (last, step) in releases.items() if ref in conditions and last + step < end)
    data.quadrant_held = held[0] if held else None
    data.markers = markers(bt.inputs, start, end, marker_sources)
    return data


def _is_ratio(thesis: Thesis, node: Node) -> bool:
    for _ in range(len(thesis.series) + 1):  # through derived series (the loader refuses cycles)
        if not (isinstance(node, (DerivedRef, Name)) and node.name in thesis.series):
            break
        node = thesis.series[node.name].expr
    return isinstance(node, Call) and node.func in RATIO_FUNCTIONS


def _label(thesis: Thesis, node: Node, text: str) -> str:
    if isinstance(node, (DerivedRef, Name)) and node.name in thesis.series:
        return f"{node.name} = {thesis.series[node.name].text}"
    return text.removeprefix("(").removesuffix(")") if text.startswith("(") else text


def bands(timeline: pd.DataFrame, end: datetime) -> list[Band]:
    """Runs of Kill Switch and Soft Warning thesis states, and of any rule pending, each
    from its first instant to the instant after its last (``end`` for an open run)."""
    rules = [c for c in timeline.columns if c not in ("state", "quadrant", "growth", "liquidity")]
    masks = {
        "pending": timeline[rules].eq("pending").any(axis=1).to_numpy() if rules else np.zeros(len(timeline), bool),
        "soft_warning": timeline["state"].eq("soft_warning").to_numpy(),
        "kill_switch": timeline["state"].eq("kill_switch").to_numpy(),
    }
    index = timeline.index
    out = []
    for kind, mask in masks.items():
        edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
        for lo, hi in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            stop = index[hi].to_pydatetime() if hi < len(index) else max(end, index[-1].to_pydatetime())
            out.append(Band(kind, index[lo].to_pydatetime(), stop))
    return out


def quadrant_runs(timeline: pd.DataFrame, end: datetime) -> list[Band]:
    """The Growth x Liquidity quadrant over time: one run per stretch in one quadrant."""
    if timeline.empty or "quadrant" not in timeline:
        return []
    q = timeline["quadrant"].astype(str).to_numpy()
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    index = timeline.index
    out = []
    for i, lo in enumerate(starts):
        hi = starts[i + 1] if i + 1 < len(starts) else None
        stop = index[hi].to_pydatetime() if hi is not None else max(end, index[-1].to_pydatetime())
        out.append(Band(str(q[lo]), index[lo].to_pydatetime(), stop))
    return out


def last_releases(frames: dict[str, SeriesFrame]) -> dict[str, tuple[datetime, timedelta]]:
    """Per input that is published on a schedule (not events, not splits): its latest release
    instant and its usual release interval (the median time between releases; zero for a
    series released once)."""
    out = {}
    for ref, frame in frames.items():
        if frame.data.empty or frame.kind is SeriesKind.EVENT or (frame.frequency or default_frequency(ref)) == "irregular":
            continue
        known = np.unique(frame.data["known_at"].to_numpy(dtype="datetime64[ns]"))
        step = np.median(np.diff(known)) if len(known) > 1 else np.timedelta64(0, "ns")
        out[ref] = (pd.Timestamp(known[-1]).to_pydatetime(), pd.Timedelta(step).to_pytimedelta())
    return out


def markers(frames: dict[str, SeriesFrame], start: datetime | None, end: datetime, sources: Sequence[str]) -> list[Marker]:
    """Instants at which a filing (sec.*), a news event (news.*) or another release of a
    listed source became known, within the chart's range."""
    out: set[Marker] = set()
    lo = np.datetime64(start, "ns") if start else None
    hi = np.datetime64(end, "ns")
    for ref, frame in frames.items():
        source = ref.split(".", 1)[0]
        if source not in sources or frame.data.empty:
            continue
        kind = {"sec": "filing", "news": "news"}.get(source, "release")
        label = ".".join(ref.split("[", 1)[0].split(".")[:2]) if source == "news" else ref
        known = np.unique(frame.data["known_at"].to_numpy(dtype="datetime64[ns]"))
        for k in known[(known <= hi) & ((known >= lo) if lo is not None else True)]:
            out.add(Marker(label, pd.Timestamp(k).to_pydatetime(), kind))
    return sorted(out, key=lambda m: (m.ref, m.at))
