"""The one in-memory SeriesProvider (signalflow.series.MemoryProvider): what rule test files,
bundled facts, tests and benchmarks all serve their series through."""

from __future__ import annotations

import importlib
from datetime import date, datetime

import pandas as pd
import pytest

from signalflow.series import MemoryProvider, SeriesFrame, SeriesKind, SeriesProvider
from signalflow.thesis.data import LiteralProvider, frame_from_points

POINTS = [(date(2025, 1, 1), 1.0, None), (date(2025, 2, 1), 2.0, None), (date(2025, 1, 1), 1.5, datetime(2025, 3, 1))]


def _frame(key: str = "fred.X") -> SeriesFrame:
    return frame_from_points(key, POINTS, unit="pct", frequency="monthly")


def test_there_is_one_in_memory_provider() -> None:
    assert LiteralProvider is MemoryProvider
    for old in ("signalflow.viz.facts", "signalflow.viz.vrt_facts", "signalflow.viz.valuation_facts"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(old)


def test_it_is_a_series_provider() -> None:
    provider: SeriesProvider = MemoryProvider({"fred.X": _frame()})
    assert set(provider.load({"fred.X"})) == {"fred.X"}


@pytest.mark.parametrize(
    ("until", "known"),
    [
        (None, [1.0, 2.0, 1.5]),
        (datetime(2025, 1, 31), [1.0]),
        (datetime(2025, 2, 1), [1.0, 2.0]),  # a row known exactly at `until` is known
        (datetime(2025, 3, 1), [1.0, 2.0, 1.5]),
        (datetime(2024, 12, 31), []),
    ],
)
def test_load_serves_the_rows_known_at_until(until: datetime | None, known: list[float]) -> None:
    frame = MemoryProvider({"fred.X": _frame()}).load(["fred.X"], until=until)["fred.X"]
    assert frame.data["value"].tolist() == known
    assert (frame.key, frame.kind, frame.unit, frame.frequency) == ("fred.X", SeriesKind.LEVEL, "pct", "monthly")


def test_a_cut_is_a_copy_and_the_held_frame_stays_whole() -> None:
    held = _frame()
    provider = MemoryProvider({"fred.X": held})
    provider.load(["fred.X"], until=datetime(2025, 1, 31))
    assert provider.frames["fred.X"] is held and len(held.data) == 3
    assert provider.load(["fred.X"])["fred.X"] is held  # nothing to cut: no copy


def test_rows_held_out_of_known_at_order_are_still_cut_point_in_time() -> None:
    data = _frame().data.iloc[[1, 2, 0]].reset_index(drop=True)  # the last row is known first
    provider = MemoryProvider([SeriesFrame("fred.X", data)])
    frame = provider.load(["fred.X"], until=datetime(2025, 1, 31))["fred.X"]
    assert frame.data["value"].tolist() == [1.0]
    assert (frame.data["known_at"] <= pd.Timestamp(2025, 1, 31)).all()


def test_a_key_it_does_not_hold_is_left_out_and_frames_can_be_added() -> None:
    provider = MemoryProvider()
    assert provider.load(["fred.X", "fred.Y"]) == {}
    provider.add(_frame("fred.Y"))
    assert set(provider.load(["fred.X", "fred.Y"])) == {"fred.Y"}
