"""Array helpers shared by the evaluator, the thesis functions and the engine.

Instants and period ends are ``int64`` nanoseconds since the epoch (naive UTC), with
:data:`NAT` for "none"; values are ``float64`` with NaN for "unknown"::

    from signalflow.thesis.arrays import DAY, ns, ratio
    ns(date(2025, 3, 1)) + DAY          # the end of that day
    ratio(np.array([1.0, 1.0]), np.array([2.0, 0.0]))   # [0.5, nan]: no infinities
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min
DAY = 86_400 * 10**9


def ns(when: date | datetime) -> int:
    """A date (its midnight) or a naive UTC datetime as int64 nanoseconds."""
    return int(pd.Timestamp(when).as_unit("ns").value)


def to_ns(values) -> np.ndarray:
    """Datetimes (any pandas/numpy resolution, naive UTC) as int64 ns; NaT as :data:`NAT`."""
    if isinstance(values, pd.Series) and values.dtype == "datetime64[ns]":
        return values.values.view("int64")  # no copy: callers never write to it
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.dtype.kind != "M":
        arr = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy()
    return arr.astype("datetime64[ns]", copy=False).view("int64")


_EPOCH = datetime(1970, 1, 1)
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def as_datetime(ns_: int) -> datetime | None:
    """int64 nanoseconds as a naive UTC datetime, nanoseconds dropped (what
    ``pd.Timestamp(ns_).to_pydatetime()`` gives, without a Timestamp: statuses convert
    thousands of instants a pass); None for :data:`NAT`."""
    ns_ = int(ns_)
    return None if ns_ == NAT else _EPOCH + timedelta(microseconds=ns_ // 1000)


def as_date(ns_: int) -> date:
    """The day int64 nanoseconds (not :data:`NAT`) fall on, as ``pd.Timestamp(ns_).date()``."""
    return date.fromordinal(_EPOCH_DAY + int(ns_) // DAY)


def td_ns(delta: timedelta) -> int:
    return int(delta / timedelta(microseconds=1)) * 1000


def prefixed(first: object, rest: np.ndarray) -> np.ndarray:
    """``first`` then ``rest``, in ``rest``'s dtype: ``np.r_[first, rest]`` without its cost
    (parsing its arguments takes longer than the arrays of a live pass)."""
    out = np.empty(len(rest) + 1, rest.dtype)
    out[0] = first
    out[1:] = rest
    return out


def sorted_unique(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and the index of each one's first occurrence
    (cheaper than ``np.unique``, which sorts or hashes again)."""
    first = prefixed(True, sorted_values[1:] != sorted_values[:-1]) if len(sorted_values) else np.zeros(0, bool)
    idx = np.flatnonzero(first)
    return sorted_values[idx], idx


def grid_points(first: int, last: int, step: int) -> np.ndarray:
    """``first, first + step, ...`` up to ``last`` inclusive, in exact integer arithmetic
    (``np.arange`` computes its length in floating point and can drop the last point)."""
    if last < first:
        return np.empty(0, np.int64)
    return first + step * np.arange((last - first) // step + 1, dtype=np.int64)


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with NaN wherever the quotient is not finite (a zero or unknown divisor)."""
    with np.errstate(all="ignore"):
        out = a / b
    out[~np.isfinite(out)] = np.nan
    return out


WINDOW_CHUNK = 1 << 20  # window elements gathered at once (8 MiB per float array)


def window_moments(lo: np.ndarray, hi: np.ndarray, gather) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, sample variance) of the finite values in each window ``[lo_i, hi_i)``
    (empty when ``hi_i <= lo_i``; NaN mean when empty, NaN variance below two values), each window summed on its own, element by element in
    index order: the result of a window depends on its values only, never on what else was
    evaluated (a backtest and a live pass agree to the last bit). ``gather(i, idx)`` gives
    the values at positions ``idx`` for the windows of instants ``i``. Windows are
    gathered in chunks of about :data:`WINDOW_CHUNK` elements."""
    m = len(lo)
    sizes = np.maximum(hi - lo, 0)
    cnt, mean, var = np.zeros(m), np.full(m, np.nan), np.full(m, np.nan)
    ends = np.cumsum(sizes)
    first = 0
    while first < m:
        base = ends[first] - sizes[first]
        last = max(first + 1, int(np.searchsorted(ends, base + WINDOW_CHUNK, "right")))
        part = slice(first, last)
        n = sizes[part]
        seg = np.repeat(np.arange(last - first), n)
        starts = np.repeat(ends[part] - n - base, n)
        idx = np.arange(int(n.sum())) - starts + np.repeat(lo[part], n)
        g = gather(seg + first, idx)
        finite = np.isfinite(g)
        c = np.bincount(seg, weights=finite, minlength=last - first)  # sequential per window
        with np.errstate(all="ignore"):
            mu = np.bincount(seg, weights=np.where(finite, g, 0.0), minlength=last - first) / c
            dev = np.where(finite, g - mu[seg], 0.0)
            v = np.bincount(seg, weights=dev * dev, minlength=last - first) / (c - 1)
        v[c < 2] = np.nan
        cnt[part], mean[part], var[part] = c, mu, v
        first = last
    return cnt, mean, var
