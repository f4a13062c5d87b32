"""Point-in-time series algebra over whole timelines, with array operations.

A :class:`PitSeries` holds every version of every period of one series. Its methods answer,
for a whole array of instants ``T`` at once, questions such as "which period is the latest
known at T", "what value of period p was known at T" or "what is the sum of the values of
the periods in a window, each as known at T". Instants and period ends are ``int64``
nanoseconds since the epoch (naive UTC); ``arrays.NAT`` marks "no such period" (the time
and array helpers themselves are in ``arrays.py``; shifts between periods and staleness
limits in ``periods.py``).

The key fact that keeps this vectorized: the latest period known at T is a cumulative
maximum of ``period_end`` over the rows sorted by ``known_at``, and the version of period p
known at T is found with one ``searchsorted`` on a (period rank, known_at rank) key. The only
per-instant loop is the exact fallback for series whose older periods were filed after newer
ones (late filings), where "the n-th previous period known at T" is not a prefix of the
period list.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from signalflow.series import SeriesFrame, SeriesKind
from signalflow.thesis.arrays import DAY, NAT, sorted_unique, to_ns, window_moments
from signalflow.thesis.periods import QUARTER, STALE_DAYS, YEAR, Shift, _infer_frequency, _shift_in  # noqa: F401

MEMO_ENTRIES = 12  # lookups remembered per series: a few names, each at a few instant arrays


class PitSeries:
    """Every version of one series, indexed for point-in-time lookups.

    Lookups at the array of instants a context evaluates are memoized per array (by
    identity), since every expression of a thesis asks them at the same instants."""

    def __init__(self, frame: SeriesFrame) -> None:
        data = frame.data
        n = len(data)
        self._build(
            frame,
            [data] if n else [],
            to_ns(data["period_end"]) if n else np.empty(0, np.int64),
            to_ns(data["known_at"]) if n else np.empty(0, np.int64),
            data["value"].to_numpy(dtype=float) if n else np.empty(0),
        )

    def appended(self, frame: SeriesFrame) -> PitSeries:
        """This series with the rows of ``frame`` (newly read versions) added: only the
        index is rebuilt, from arrays already converted."""
        if not len(frame.data):
            return self
        new = PitSeries(frame)
        out = PitSeries.__new__(PitSeries)
        raw = [np.concatenate([a, b]) for a, b in zip(self._raw, new._raw)]
        out._build(frame, self._parts + new._parts, *raw)
        return out

    def _build(self, frame: SeriesFrame | PitSeries, parts: list[pd.DataFrame], pe, k, v) -> None:
        self.key = frame.key
        self.kind = frame.kind
        self.unit = frame.unit
        self.url = frame.url
        self.frequency = frame.frequency
        # Rows in the order read; provenance columns are converted only when asked for.
        self._parts = parts
        self._raw = (pe, k, v)
        self._ps: np.ndarray | None = None
        self._src: np.ndarray | None = None
        self._basis: np.ndarray | None = None
        n = len(pe)
        self._memo: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        k_in_order = bool(np.all(k[1:] >= k[:-1]))
        # The usual case: one version per period, periods and known_at both ascending.
        self.simple = k_in_order and bool(np.all(pe[1:] > pe[:-1]))
        if self.simple:
            self._order = None
            self.pe, self.k, self.v = pe, k, v
            self.periods, self.period_rank, self.first_known = pe, np.arange(n), k
            self.in_order = True
        else:
            self._order = order = np.lexsort((k, pe))  # by period, then known_at; stable
            self.pe, self.k, self.v = pe[order], k[order], v[order]
            self.periods, first_row = sorted_unique(self.pe)
            self.period_rank = np.searchsorted(self.periods, self.pe)
            # Rows are sorted by (period, known_at): each period's first row is its first version.
            self.first_known = self.k[first_row]
            # Periods known in the order they end: the periods known at T are a prefix of `periods`.
            self.in_order = bool(np.all(np.diff(self.first_known) >= 0))
            k_in_order = bool(np.all(self.k[1:] >= self.k[:-1]))
        self.k_sorted = self.k if k_in_order else np.sort(self.k)
        self.k_unique = sorted_unique(self.k_sorted)[0]
        by_known = np.arange(n) if k_in_order else np.argsort(self.k, kind="stable")
        self._latest_by_known = np.maximum.accumulate(self.pe[by_known]) if n else self.pe
        self._k_by_known = self.k[by_known]
        self._row_key_cache: np.ndarray | None = None
        self._revisions: tuple[np.ndarray, np.ndarray] | None = None
        self._subset: tuple[PitSeries, np.ndarray] | None = None

    def _column(self, name: str, convert) -> np.ndarray:
        if self._subset is not None:  # a series with rows withheld: its parent's rows
            parent, rows = self._subset
            return parent._column(name, convert)[rows]
        parts = [convert(d[name]) for d in self._parts]
        col = np.concatenate(parts) if parts else convert(pd.Series([], dtype=object))
        return col if self._order is None else col[self._order]

    @property
    def ps(self) -> np.ndarray:
        """Period starts (the period end where a row has none), in row order."""
        if self._ps is None:
            ps = self._column("period_start", to_ns) if len(self.pe) else np.empty(0, np.int64)
            self._ps = np.where(ps == NAT, self.pe, ps)
        return self._ps

    @property
    def source_ref(self) -> np.ndarray:
        if self._src is None:
            self._src = self._column("source_ref", lambda c: c.to_numpy(dtype=object))
        return self._src

    @property
    def basis(self) -> np.ndarray:
        """Where each row's ``known_at`` came from (a :class:`KnownAtBasis` value), '' where
        the provider did not say (frames without a ``known_at_basis`` column)."""
        if self._basis is None:
            if self._subset is not None:
                parent, rows = self._subset
                self._basis = parent.basis[rows]
                return self._basis
            parts = [
                d["known_at_basis"].to_numpy(dtype=object) if "known_at_basis" in d else np.full(len(d), "", object)
                for d in self._parts
            ]
            col = np.concatenate(parts) if parts else np.empty(0, object)
            self._basis = col if self._order is None else col[self._order]
        return self._basis

    @property
    def _row_key(self) -> np.ndarray:
        if self._row_key_cache is None:
            k_rank = np.searchsorted(self.k_unique, self.k)
            self._row_key_cache = self.period_rank * (len(self.k_unique) + 1) + k_rank
        return self._row_key_cache

    def __len__(self) -> int:
        return len(self.pe)

    @property
    def previous_version(self) -> np.ndarray:
        """For each row, the version of its period known just before it (the last row of the
        period with an earlier ``known_at``), or -1 for a period's first version."""
        return self._revision_index()[0]

    @property
    def revision_rows(self) -> np.ndarray:
        """The rows that revise a period already known with another value (a version that
        repeats the value it replaces is no revision), ordered by (known_at, period_end)."""
        return self._revision_index()[1]

    def _revision_index(self) -> tuple[np.ndarray, np.ndarray]:
        if self._revisions is None:
            n = len(self.pe)
            prev = np.full(n, -1, np.int64)
            if n and not self.simple and not self.events:
                # Rows are sorted by (period, known_at): a group is one period at one instant.
                new_group = np.r_[True, (self.pe[1:] != self.pe[:-1]) | (self.k[1:] != self.k[:-1])]
                first = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
                before = first - 1
                same = (before >= 0) & (self.pe[np.maximum(before, 0)] == self.pe)
                prev = np.where(same, before, -1)
            last_of_group = np.r_[(self.pe[1:] != self.pe[:-1]) | (self.k[1:] != self.k[:-1]), True] if n else prev >= 0
            old = self.v[np.maximum(prev, 0)] if n else self.v
            differs = ~((old == self.v) | (np.isnan(old) & np.isnan(self.v)))
            rows = np.flatnonzero((prev >= 0) & last_of_group & differs)
            rows = rows[np.lexsort((self.pe[rows], self.k[rows]))]
            self._revisions = (prev, rows)
        return self._revisions

    def revisions_within(self, t: np.ndarray, window: int) -> np.ndarray:
        """How many revisions became known within ``(T - window, T]``, at each instant."""
        k = self.k[self.revision_rows]
        return (np.searchsorted(k, t, "right") - np.searchsorted(k, t - window, "right")).astype(float)

    def latest_revision(self, t: np.ndarray) -> np.ndarray:
        """(new - old) / |old| of the most recent revision known at each instant (the latest
        period's among revisions known at the same instant); NaN before the first or where
        the old value is zero."""
        rows = self.revision_rows
        idx = np.searchsorted(self.k[rows], t, "right") - 1
        out = np.full(len(t), np.nan)
        ok = idx >= 0
        if ok.any():
            r = rows[idx[ok]]
            old = self.v[self.previous_version[r]]
            with np.errstate(all="ignore"):
                out[ok] = np.where(old != 0, (self.v[r] - old) / np.abs(old), np.nan)
        return out

    def rows_known_in(self, lo: int, hi: int) -> np.ndarray:
        """The rows that became known in ``(lo, hi]``, each the version its period kept at
        ``hi`` (earlier versions of the same span are left out)."""
        inside = np.flatnonzero((self.k > lo) & (self.k <= hi))
        if not len(inside):
            return inside
        at = np.full(len(inside), hi, np.int64)
        kept = self.row_at(at, self.pe[inside])
        return np.unique(kept[kept >= 0]) if not self.events else inside

    def without(self, rows: np.ndarray) -> PitSeries:
        """This series with ``rows`` (indexes into ``pe``/``k``/``v``) withheld: what it would
        be had they never been published. Built from the arrays, without reading a frame."""
        keep = np.ones(len(self.pe), bool)
        keep[rows] = False
        kept = np.flatnonzero(keep)
        out = PitSeries.__new__(PitSeries)
        # Rows stay in (period, known_at) order, so the new index keeps them where they are;
        # key, kind, unit, URL and frequency are read from this series as from a frame.
        out._build(self, [], self.pe[kept], self.k[kept], self.v[kept])
        out._subset = (self, kept)
        return out

    @property
    def events(self) -> bool:
        return self.kind is SeriesKind.EVENT

    def _memoized(self, name: str, t: np.ndarray, compute) -> np.ndarray:
        # By instants object: a pass asks at its timeline and at its last instant in turn
        # (the entry holds ``t``, so its id is not reused while it is kept).
        key = (name, id(t))
        hit = self._memo.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        out = compute(t)
        if len(self._memo) >= MEMO_ENTRIES:
            self._memo.clear()
        self._memo[key] = (t, out)
        return out

    def known_count(self, t: np.ndarray) -> np.ndarray:
        """How many rows are known at each instant."""
        return self._memoized("count", t, lambda t: np.searchsorted(self.k_sorted, t, side="right"))

    def latest_period(self, t: np.ndarray) -> np.ndarray:
        """The end of the latest period known at each instant (NAT before the first)."""
        return self._memoized("latest", t, self._latest_period)

    def _latest_period(self, t: np.ndarray) -> np.ndarray:
        idx = self.known_count(t) - 1
        out = np.full(len(t), NAT, dtype=np.int64)
        ok = idx >= 0
        out[ok] = self._latest_by_known[idx[ok]]
        return out

    def latest_row(self, t: np.ndarray) -> np.ndarray:
        """Index of the version of the latest period known at each instant, or -1."""
        if self.simple:
            return self.known_count(t) - 1
        return self.row_at(t, self.latest_period(t))

    def row_at(self, t: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Index of the version of ``period`` known at each instant, or -1."""
        out = np.full(len(t), -1, dtype=np.int64)
        if not len(self.pe):
            return out
        prank = np.searchsorted(self.periods, period)
        valid = (period != NAT) & (prank < len(self.periods))
        valid[valid] &= self.periods[prank[valid]] == period[valid]
        if self.simple:
            valid[valid] &= self.k[prank[valid]] <= t[valid]
            out[valid] = prank[valid]
            return out
        n = len(self.k_unique)
        trank = np.searchsorted(self.k_unique, t, side="right") - 1
        query = prank * (n + 1) + trank
        pos = np.searchsorted(self._row_key, query, side="right") - 1
        valid &= pos >= 0
        valid[valid] &= self.period_rank[pos[valid]] == prank[valid]
        out[valid] = pos[valid]
        return out

    def latest_period_at(self, at: int) -> int:
        """:meth:`latest_period` at the one instant ``at`` (statuses read many series at
        one instant each: arrays of one cost more than the lookup)."""
        idx = int(np.searchsorted(self.k_sorted, at, side="right")) - 1
        return NAT if idx < 0 else int(self._latest_by_known[idx])

    def row_of(self, at: int, period: int) -> int:
        """:meth:`row_at` at the one instant ``at``, for one period."""
        periods = self.periods
        if period == NAT or not len(self.pe):
            return -1
        prank = int(np.searchsorted(periods, period))
        if prank >= len(periods) or periods[prank] != period:
            return -1
        if self.simple:
            return prank if self.k[prank] <= at else -1
        trank = int(np.searchsorted(self.k_unique, at, side="right")) - 1
        pos = int(np.searchsorted(self._row_key, prank * (len(self.k_unique) + 1) + trank, side="right")) - 1
        return pos if pos >= 0 and self.period_rank[pos] == prank else -1

    def values_of(self, rows: np.ndarray) -> np.ndarray:
        """The values of rows (NaN where the row is -1)."""
        out = self.v[np.maximum(rows, 0)] if len(self.v) else np.full(len(rows), np.nan)
        if len(self.v):
            out[rows < 0] = np.nan
        return out

    def value_at(self, t: np.ndarray, period: np.ndarray) -> np.ndarray:
        """The value of ``period`` as known at each instant (NaN if not known)."""
        return self.values_of(self.row_at(t, period))

    def latest_value(self, t: np.ndarray) -> np.ndarray:
        """The value of the latest period as known at each instant (NaN if none)."""
        return self._memoized("value", t, lambda t: self.values_of(self.latest_row(t)))

    def shifted(self, t: np.ndarray, period: np.ndarray, shift: Shift, back: np.ndarray | None = None) -> np.ndarray:
        """The period ``shift`` before ``period``, among the periods known at each instant
        (``back``: see :func:`~signalflow.thesis.periods._shift_in`)."""
        if not len(self.periods):
            return np.full(len(t), NAT, dtype=np.int64)
        if self.in_order:
            return _shift_in(self.periods, period, shift, back)
        # Exact fallback for late-filed older periods: the known periods differ per instant.
        out = np.full(len(t), NAT, dtype=np.int64)
        for i in range(len(t)):
            if period[i] == NAT:
                continue
            known = self.periods[self.first_known <= t[i]]
            out[i] = _shift_in(known, period[i : i + 1], shift)[0]
        return out

    def window_stats(self, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
        """(count, sum, sum of squares) of the values of the periods ending in (lo, hi], each
        as known at T. Values are centred on the series median before squaring, for accuracy;
        the centre is returned as a fourth element. The sums are differences of running sums
        over the whole history, so their round-off scales with that history, not with the
        window: a fifth element gives the scale, (sum of |x|, sum of x * x) of every term the
        running sums up to ``hi`` added, one row each."""
        a_hi = self._dominance(t, hi)
        a_lo = self._dominance(t, lo)
        return tuple(h - l for h, l in zip(a_hi[:3], a_lo[:3])) + (a_hi[3], np.stack(a_hi[4:]))

    def window_moments(self, t: np.ndarray, lo: np.ndarray, hi: np.ndarray, budget: int) -> tuple[np.ndarray, ...] | None:
        """(count, mean, sample variance) of the values of the periods ending in (lo, hi],
        each as known at T, every window summed on its own (:func:`arrays.window_moments`),
        so the result never depends on the instants evaluated; None when the periods were
        not known in the order they end (late filings), where the known periods of a window
        are not a run of consecutive periods, or when the windows hold more than ``budget``
        values in all."""
        if not self.in_order:
            return None
        known = np.searchsorted(self.first_known, t, "right")  # a prefix of `periods`
        a = np.searchsorted(self.periods, lo, "right")
        b = np.where(hi == NAT, a, np.minimum(np.searchsorted(self.periods, hi, "right"), known))
        if int(np.maximum(b - a, 0).sum()) > budget:
            return None
        if self.simple:  # one version per period: a known period's value is its only one
            return window_moments(a, b, lambda i, idx: self.v[idx])
        return window_moments(a, b, lambda i, idx: self.value_at(t[i], self.periods[idx]))

    def _dominance(self, t: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, ...]:
        """(count, sum, sumsq) over versions with known_at <= T and period_end <= bound, each
        version contributing its difference with the previous version of the same period;
        then the centre, and the running sums of |sum| and |sumsq| contributions (the scale
        of their round-off)."""
        finite = np.isfinite(self.v)
        centre = float(np.median(self.v[finite])) if finite.any() else 0.0
        x = np.where(finite, self.v - centre, 0.0)
        contrib = np.stack([finite.astype(float), x, x * x])
        prev = np.zeros_like(contrib)
        same = np.r_[False, self.pe[1:] == self.pe[:-1]] if len(self.pe) else np.zeros(0, bool)
        prev[:, 1:] = contrib[:, :-1]
        delta = contrib - np.where(same, prev, 0.0)
        delta = np.concatenate([delta, np.abs(delta[1:])])
        # NAT is the smallest int64, so it sorts as "before every period".
        if np.all(bound[1:] >= bound[:-1]) and np.all(t[1:] >= t[:-1]):
            first = np.maximum(np.searchsorted(t, self.k, "left"), np.searchsorted(bound, self.pe, "left"))
            out = [np.cumsum(np.bincount(first, weights=d, minlength=len(t) + 1))[: len(t)] for d in delta]
        else:
            # Exact fallback when the bound is not monotone (late filings shifted a period).
            out = [np.zeros(len(t)) for _ in range(len(delta))]
            for i in range(len(t)):
                m = (self.k <= t[i]) & (self.pe <= bound[i]) if bound[i] != NAT else None
                if m is not None:
                    for j in range(len(delta)):
                        out[j][i] = delta[j][m].sum()
        return out[0], out[1], out[2], np.full(len(t), centre), out[3], out[4]

    def staleness_limit(self) -> int | None:
        """Default staleness limit (ns) from the series frequency, or None (events)."""
        if self.events or self.frequency == "irregular":
            return None  # an absence of events (or of splits) is news, not staleness
        if not len(self.periods):
            return 0  # never collected: stale at every instant
        freq = self.frequency or _infer_frequency(self.periods)
        days = STALE_DAYS.get(freq)
        return None if days is None else days * DAY


def first_releases(frame: SeriesFrame) -> SeriesFrame:
    """``frame`` with each period's first version only: the series as first published, every
    later revision left out (events are kept whole)."""
    data = frame.data
    if frame.kind is SeriesKind.EVENT or not len(data):
        return frame
    first = data.groupby(["period_start", "period_end"], dropna=False)["known_at"].transform("min")
    # Rows of one period known at its first instant are its first version.
    data = data[data["known_at"] == first]
    return SeriesFrame(frame.key, data.reset_index(drop=True), frame.kind, frame.unit, frame.frequency, frame.url)
