"""The chart takes its frames and values from the engine's backtest: it loads nothing and
evaluates nothing again, and what it draws is what the engine evaluated."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import yaml

from signalflow.series import SeriesFrame
from signalflow.thesis.ast import to_text
from signalflow.thesis.engine import backtest
from signalflow.thesis.loader import load_thesis

from .conftest import SPREAD

END = datetime(2025, 4, 30)


class RecordingProvider:
    """A provider that remembers every load it serves."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.loads: list[tuple[str, ...]] = []

    def load(self, keys, until=None) -> dict[str, SeriesFrame]:
        self.loads.append(tuple(sorted(keys)))
        return self.inner.load(keys, until=until)


def _spread(tmp_path: Path):
    path = tmp_path / "spread.yaml"
    path.write_text(yaml.safe_dump(SPREAD, sort_keys=False))
    return load_thesis(path)


def _store(viz_env: Path):
    from signalflow.store import Store

    return Store.open(f"sqlite:///{viz_env / 'sf.db'}")


def test_plotting_reads_each_series_once(viz_env: Path) -> None:
    from signalflow.viz.plot import plot_thesis

    store = _store(viz_env)
    try:
        provider = RecordingProvider(store)
        _, data = plot_thesis(_spread(viz_env), provider, datetime(2025, 1, 1), END, viz_env / "spread.png")
    finally:
        store.close()
    assert provider.loads == [("fred.HY", "sec.ACME.revenue")]  # the backtest's load, and no other
    assert len(data.panels) == 3 and data.markers


def test_the_backtest_carries_the_frames_it_read_and_its_values(viz_env: Path) -> None:
    from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
    from signalflow.thesis.context import Context
    from signalflow.thesis.frames import PitSeries
    from signalflow.viz.chart import chart_data, comparisons

    thesis = _spread(viz_env)
    store = _store(viz_env)
    try:
        bt = backtest(thesis, store, datetime(2025, 1, 1), END)
        loaded = store.load(["fred.HY", "sec.ACME.revenue"], until=END)
    finally:
        store.close()
    assert set(bt.inputs) == {"fred.HY", "sec.ACME.revenue"}
    for ref, frame in bt.inputs.items():
        assert frame.data["known_at"].tolist() == loaded[ref].data["known_at"].tolist()
    # An independent evaluation over the same instants gives what the backtest hands out.
    t = bt.timeline.index.as_unit("ns").asi8
    fresh = Context(thesis, {ref: PitSeries(f) for ref, f in loaded.items()}, t, functions=BUILTIN_FUNCTIONS)
    data = chart_data(thesis, bt, END)
    panels = {p.label: p for p in data.panels}
    for node, _ in comparisons(thesis):
        np.testing.assert_array_equal(bt.values(node), fresh.eval(node))
        np.testing.assert_array_equal(panels[to_text(node)].values, fresh.eval(node))
    hy = panels["fred.HY"].values
    assert np.isnan(hy[0]) and hy[1] == 4 and hy[-1] == 6  # Jan 1's value is known on Jan 2


def test_a_thesis_with_no_data_gets_no_empty_panel_and_says_what_is_left_out(viz_env: Path) -> None:
    from signalflow.series import MemoryProvider
    from signalflow.viz.chart import chart_data
    from signalflow.viz.plot import figure

    thesis = _spread(viz_env)
    bt = backtest(thesis, MemoryProvider(), datetime(2025, 1, 1), datetime(2025, 1, 3))
    assert {ref: len(f.data) for ref, f in bt.inputs.items()} == {"fred.HY": 0, "sec.ACME.revenue": 0}
    data = chart_data(thesis, bt, datetime(2025, 1, 3))
    assert data.markers == [] and data.panels == []
    left = {x.label: x for x in data.left_out}
    assert sorted(left) == ["fred.HY", "qoq(sec.ACME.revenue)", "yoy(sec.ACME.revenue)"]
    assert set(left["fred.HY"].owners) == {"liquidity", "spread_widening", "credit_stress"}
    assert left["yoy(sec.ACME.revenue)"].missing == ("sec.ACME.revenue",)
    assert left["fred.HY"].reason() == "no data for fred.HY"
    # Only the quadrant strip (unknown throughout) is drawn: no axes without data.
    fig = figure(data)
    assert [[p.get_gid() for p in ax.patches] for ax in fig.axes] == [["quadrant:unknown"]]


def test_lines_end_one_release_interval_after_their_last_release_and_the_gap_is_drawn(viz_env: Path) -> None:
    """fred.HY is daily up to the value of Apr 30 (known May 1); ACME files quarterly, last on
    Apr 25 (filings 91, 91, 109 and 74 days apart: a median of 91). Charted to the end of the
    year, no line is drawn flat through the months after."""
    from datetime import timedelta

    from signalflow.viz.chart import chart_data
    from signalflow.viz.plot import figure

    from .conftest import ACME

    end = datetime(2025, 12, 31)
    store = _store(viz_env)
    try:
        bt = backtest(_spread(viz_env), store, datetime(2025, 1, 1), end)
    finally:
        store.close()
    data = chart_data(_spread(viz_env), bt, end)
    last_hy, last_acme = datetime(2025, 5, 1), ACME[-1][3]
    expected = {
        "fred.HY": (last_hy, last_hy + timedelta(days=1)),
        "yoy(sec.ACME.revenue)": (last_acme, last_acme + timedelta(days=91)),
        "qoq(sec.ACME.revenue)": (last_acme, last_acme + timedelta(days=91)),
    }
    assert {p.label: (p.last_release, p.data_end) for p in data.panels} == expected
    for p in data.panels:
        drawn = p.times[~np.isnan(p.values)]
        assert drawn.max() <= np.datetime64(p.data_end, "ns")
        assert drawn.max() >= np.datetime64(p.last_release, "ns")  # the last value is drawn
        assert bt.timeline.index[-1] == end  # the backtest itself runs on to the end
    fig = figure(data)
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if (ln.get_gid() or "").startswith("input:")]
        if not lines:
            continue
        (line,) = lines
        label = line.get_gid().removeprefix("input:")
        y = np.asarray(line.get_ydata(), float)
        x = np.asarray(line.get_xdata(), "datetime64[ns]")
        assert x[~np.isnan(y)].max() <= np.datetime64(expected[label][1], "ns")
        assert [p.get_gid() for p in ax.patches if p.get_gid() == f"gap:{label}"] == [f"gap:{label}"]
