"""A stored series keeps its frequency unless the writer asks to change it."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from signalflow.errors import FrequencyChanged, StoreError
from signalflow.series import Batch, Observation, SeriesInfo


def batch(frequency: str, day: date, value: float) -> Batch:
    return Batch(
        series=[SeriesInfo("fred.DGS10", "fred", unit="%", frequency=frequency)],
        observations=[Observation("fred.DGS10", day, day, value, datetime(2024, 2, 1), "%", "t")],
    )


def test_a_frequency_change_is_refused_whole_unless_allowed(store) -> None:
    store.add_batch(batch("daily", date(2024, 1, 2), 3.95))
    with pytest.raises(FrequencyChanged) as info:
        store.add_batch(batch("monthly", date(2024, 1, 1), 4.06))
    assert isinstance(info.value, StoreError)
    assert (info.value.series, info.value.old, info.value.new) == ("fred.DGS10", "daily", "monthly")
    assert "--allow-frequency-change" in str(info.value)
    assert store.series_info("fred.DGS10").frequency == "daily"
    assert list(store.as_of("fred.DGS10")["value"]) == [3.95]  # nothing of the refused batch

    result = store.add_batch(batch("monthly", date(2024, 1, 1), 4.06), allow_frequency_change=True)
    assert result.frequency_changes == [("fred.DGS10", "daily", "monthly")]
    assert store.series_info("fred.DGS10").frequency == "monthly"


def test_same_or_unstated_frequency_is_no_change(store) -> None:
    store.add_batch(batch("daily", date(2024, 1, 2), 3.95))
    assert store.add_batch(batch("daily", date(2024, 1, 3), 3.91)).frequency_changes == []
    assert store.add_batch(batch("", date(2024, 1, 4), 3.99)).observations_added == 1
    assert store.series_info("fred.DGS10").frequency == "daily"
