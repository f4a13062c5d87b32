"""Frequencies of time series: inferred from the spacing of dates, turned into period bounds,
and a default staleness limit for each.

Conventions (FRED's, used for every source that does not say otherwise):

- a date names the *start* of its period: ``2026-06-01`` monthly is June 2026, ending
  2026-06-30; quarterly and annual periods end the day before the next period starts;
- but a month-end date names the period it *ends*, as many spreadsheets and APIs date
  them: ``2024-01-31`` monthly is January 2024, ``2024-03-31`` quarterly is 2024Q1 (and a
  fiscal quarter dated ``2024-02-29`` is December..February); any other day of a month is
  the calendar month, quarter, half or year holding it (``2024-01-15`` monthly is January);
- except weekly and biweekly series, whose date is the *last* day of the period: FRED
  publishes weekly series as "Weekly, Ending Wednesday" (WTREGEN) or "as of Wednesday"
  (WALCL) and dates each observation with that Wednesday, so ``2026-08-05`` weekly is the
  week 2026-07-30 .. 2026-08-05;
- daily periods are the day itself.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class Frequency(str, enum.Enum):
    """How often a series has a period; the value is the word stored in ``SeriesInfo``."""

    DAILY = "daily"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    IRREGULAR = "irregular"

    @classmethod
    def parse(cls, text: str | Frequency | None) -> Frequency | None:
        """A frequency from its word, its FRED short code (D, W, BW, M, Q, SA, A) or FRED's
        long label ("Weekly, Ending Wednesday"); None for empty or unknown text."""
        if text is None or isinstance(text, Frequency):
            return text
        word = text.strip().lower()
        if not word:
            return None
        short = {"d": "daily", "w": "weekly", "bw": "biweekly", "m": "monthly", "q": "quarterly",
                 "sa": "semiannual", "a": "annual", "y": "annual", "yearly": "annual"}
        word = short.get(word, word)
        for member in cls:
            if word.startswith(member.value):
                return member
        if word.startswith("semi"):
            return cls.SEMIANNUAL
        return None


# Median spacing in days -> frequency; business-day series have weekend gaps of 3 days.
_SPACING = [
    (4.5, Frequency.DAILY),
    (10.5, Frequency.WEEKLY),
    (20.0, Frequency.BIWEEKLY),
    (45.0, Frequency.MONTHLY),
    (135.0, Frequency.QUARTERLY),
    (250.0, Frequency.SEMIANNUAL),
    (400.0, Frequency.ANNUAL),
]

_STALE_AFTER = {
    Frequency.DAILY: timedelta(days=7),
    Frequency.WEEKLY: timedelta(days=21),
    Frequency.BIWEEKLY: timedelta(days=35),
    Frequency.MONTHLY: timedelta(days=75),
    Frequency.QUARTERLY: timedelta(days=200),
    Frequency.SEMIANNUAL: timedelta(days=300),
    Frequency.ANNUAL: timedelta(days=500),
    Frequency.IRREGULAR: timedelta(days=400),
}


def infer_frequency(dates: Iterable[date]) -> Frequency:
    """The frequency whose spacing matches the median gap between consecutive dates;
    IRREGULAR when there are fewer than two distinct dates or no spacing fits."""
    ordered = sorted(set(dates))
    if len(ordered) < 2:
        return Frequency.IRREGULAR
    gaps = sorted((b - a).days for a, b in zip(ordered, ordered[1:]))
    median = gaps[len(gaps) // 2] if len(gaps) % 2 else (gaps[len(gaps) // 2 - 1] + gaps[len(gaps) // 2]) / 2
    for limit, frequency in _SPACING:
        if median <= limit:
            return frequency
    return Frequency.IRREGULAR


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.SEMIANNUAL: 6, Frequency.ANNUAL: 12}


def period_bounds(day: date, frequency: Frequency) -> tuple[date, date]:
    """``(period_start, period_end)`` of the period a series dates ``day`` (see the module
    docstring for the conventions)."""
    import pandas as pd

    start, end = period_bounds_frame(pd.Series([pd.Timestamp(day)]), frequency)
    return start.iloc[0].date(), end.iloc[0].date()


def period_bounds_frame(days: pd.Series, frequency: Frequency) -> tuple[pd.Series, pd.Series]:
    """:func:`period_bounds` over a ``datetime64`` Series, vectorized."""
    import pandas as pd

    if frequency is Frequency.WEEKLY:
        return days - pd.Timedelta(days=6), days
    if frequency is Frequency.BIWEEKLY:
        return days - pd.Timedelta(days=13), days
    if frequency not in _MONTHS:
        return days, days
    months = _MONTHS[frequency]
    span = pd.DateOffset(months=months)
    if not len(days):
        return days, days
    # the calendar period holding the day (for a date inside a month)
    holding = pd.to_datetime(
        pd.DataFrame({"year": days.dt.year, "month": (days.dt.month - 1) // months * months + 1, "day": 1}),
        errors="coerce",
    )
    ending = days + pd.Timedelta(days=1) - span  # the period a month-end date closes
    start = days.where(days.dt.day == 1, holding.where(~days.dt.is_month_end, ending))
    return start, start + span - pd.Timedelta(days=1)


def default_stale_after(frequency: Frequency | str | None) -> timedelta:
    """How long after its latest period end a series of this frequency counts as stale,
    allowing for the usual publication lag (weekends for daily series, about a month for
    monthly ones)."""
    parsed = Frequency.parse(frequency) if not isinstance(frequency, Frequency) else frequency
    return _STALE_AFTER[parsed or Frequency.IRREGULAR]
