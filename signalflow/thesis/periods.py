"""Arithmetic on a series' sorted period ends: moving from a period to an earlier one
(:class:`Shift`), and how long a series may go without a new period before it is stale.

    from signalflow.thesis.periods import YEAR, Shift
    YEAR                 # the period nearest 12 months earlier, within 16 days
    Shift(lag=1)         # the period before
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalflow.thesis.arrays import DAY, NAT

@dataclass(frozen=True)
class Shift:
    """Move from a period to an earlier one: ``lag`` periods back, to the period nearest
    ``months`` calendar months earlier (within ``tolerance``), or to the latest period ending
    at least ``window`` before."""

    lag: int = 0
    months: int = 0
    tolerance: int = 0
    window: int = 0


YEAR = Shift(months=12, tolerance=16 * DAY)
QUARTER = Shift(months=3, tolerance=16 * DAY)


STALE_DAYS = {"hourly": 2, "daily": 7, "weekly": 21, "monthly": 75, "quarterly": 135, "annual": 500}


def _infer_frequency(periods: np.ndarray) -> str:
    if len(periods) < 2:
        return ""
    step = float(np.median(np.diff(periods))) / DAY
    for name, upto in (("hourly", 0.5), ("daily", 4), ("weekly", 10), ("monthly", 45), ("quarterly", 140)):
        if step <= upto:
            return name
    return "annual"


def months_back(period: np.ndarray, months: int) -> np.ndarray:
    """Each period end (none NAT) moved ``months`` calendar months earlier, the day of the
    month kept or cut to the month's last, the time of day kept (``pd.DateOffset(months=)``,
    in numpy: pandas' offsets cost more than the lookups of a live pass)."""
    days = period // DAY
    time_of_day = period - days * DAY
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    day_of_month = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month - months
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return (first + np.minimum(day_of_month, length - 1)).astype(np.int64) * DAY + time_of_day


def _shift_in(periods: np.ndarray, period: np.ndarray, shift: Shift, back: np.ndarray | None = None) -> np.ndarray:
    """``shift`` applied within one sorted list of period ends (``back``: ``months_back``
    of ``period`` where it is not NAT, when the caller computed it for many lists at once)."""
    out = np.full(len(period), NAT, dtype=np.int64)
    ok = period != NAT
    if not ok.any() or not len(periods):
        return out
    p = period[ok]
    if shift.lag:
        idx = np.searchsorted(periods, p, side="right") - 1 - shift.lag
        good = idx >= 0
        res = np.full(len(p), NAT, dtype=np.int64)
        res[good] = periods[idx[good]]
    elif shift.months:
        target = months_back(p, shift.months) if back is None else back[ok]
        right = np.clip(np.searchsorted(periods, target), 0, len(periods) - 1)
        left = np.clip(right - 1, 0, len(periods) - 1)
        dl, dr = np.abs(periods[left] - target), np.abs(periods[right] - target)
        best = np.where(dl <= dr, left, right)
        dist = np.minimum(dl, dr)
        res = np.where(dist <= shift.tolerance, periods[best], NAT)
    else:
        idx = np.searchsorted(periods, p - shift.window, side="right") - 1
        good = idx >= 0
        res = np.full(len(p), NAT, dtype=np.int64)
        res[good] = periods[idx[good]]
    out[ok] = res
    return out
