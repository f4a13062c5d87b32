"""Period bounds by frequency: a first-of-month date starts its period, a month-end date
ends it, any other day lies in the calendar period holding it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from signalflow.sources.frequency import Frequency, period_bounds, period_bounds_frame

M, Q, A, W, D = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.ANNUAL, Frequency.WEEKLY, Frequency.DAILY


@pytest.mark.parametrize(
    ("day", "frequency", "bounds"),
    [
        (date(2024, 1, 1), M, (date(2024, 1, 1), date(2024, 1, 31))),
        (date(2024, 1, 31), M, (date(2024, 1, 1), date(2024, 1, 31))),  # not Jan 31 .. Feb 29
        (date(2024, 2, 29), M, (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2023, 2, 28), M, (date(2023, 2, 1), date(2023, 2, 28))),
        (date(2024, 1, 15), M, (date(2024, 1, 1), date(2024, 1, 31))),
        (date(2024, 4, 1), Q, (date(2024, 4, 1), date(2024, 6, 30))),
        (date(2024, 3, 31), Q, (date(2024, 1, 1), date(2024, 3, 31))),
        (date(2024, 2, 29), Q, (date(2023, 12, 1), date(2024, 2, 29))),  # a fiscal quarter's end
        (date(2024, 5, 10), Q, (date(2024, 4, 1), date(2024, 6, 30))),
        (date(2024, 1, 1), A, (date(2024, 1, 1), date(2024, 12, 31))),
        (date(2023, 12, 31), A, (date(2023, 1, 1), date(2023, 12, 31))),
        (date(2024, 1, 28), A, (date(2024, 1, 1), date(2024, 12, 31))),
        (date(2024, 3, 31), Frequency.SEMIANNUAL, (date(2023, 10, 1), date(2024, 3, 31))),
        (date(2024, 7, 1), Frequency.SEMIANNUAL, (date(2024, 7, 1), date(2024, 12, 31))),
        (date(2024, 1, 31), W, (date(2024, 1, 25), date(2024, 1, 31))),  # weekly dates end the week
        (date(2024, 1, 31), D, (date(2024, 1, 31), date(2024, 1, 31))),
    ],
)
def test_period_bounds(day: date, frequency: Frequency, bounds: tuple[date, date]) -> None:
    assert period_bounds(day, frequency) == bounds
    start, end = period_bounds_frame(pd.Series(pd.to_datetime([day])), frequency)
    assert (start.iloc[0].date(), end.iloc[0].date()) == bounds


def test_empty_series_has_no_bounds() -> None:
    start, end = period_bounds_frame(pd.Series(pd.to_datetime([])), Frequency.MONTHLY)
    assert len(start) == len(end) == 0
