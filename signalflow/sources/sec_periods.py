"""Version histories of XBRL facts, and discrete fiscal quarters derived from them.

A *history* is the list of versions of one period's value, in ``known`` (filing date) order,
each value different from the one before: the same value repeated in a later filing (a
comparative) is not a new version; a different value is a restatement.

Flows become discrete quarters:

- a fact whose period lasts about three months (75-105 days) is a quarter as filed;
- facts that share a start date form a year-to-date chain (3M, 6M, 9M, FY): each step of
  about three months between consecutive ends is a derived quarter, later minus earlier
  (Q2 = 6M - 3M, Q3 = 9M - 6M, Q4 = FY - 9M). The derived value is known when its later
  input was filed, and is re-derived (a new version) whenever either input is restated.
  One guard keeps bases consistent: after the earlier input is restated, the quarter keeps
  its previous value until the later input is reported again (even unchanged), because a
  filing that restates the 6-month figure does not carry the 9-month comparative, and
  old 9M minus restated 6M is no quarter anyone reported;
- where a quarter is both filed and derivable, the filed value wins from the moment it is
  known.

Periods are matched by their dates, never by the ``fy``/``fp`` labels (those label the
filing, not the period, and are null on 8-K recasts). Dates within a few days of each other
are snapped to one boundary, so a 52/53-week filer that tags a period a day differently in a
later filing still lands on the same period.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

QUARTER_DAYS = (75, 105)
YEAR_DAYS = (350, 380)
SNAP_DAYS = 6
ONE_DAY = timedelta(days=1)

Period = tuple[date, date]


@dataclass(frozen=True, slots=True)
class Version:
    """One value of a period, known from ``known`` (the filing date) on, filed in ``accn``."""

    known: date
    value: float
    accn: str


History = list[Version]


def _is_quarter(days: int) -> bool:
    return QUARTER_DAYS[0] <= days <= QUARTER_DAYS[1]


def _is_year(days: int) -> bool:
    return YEAR_DAYS[0] <= days <= YEAR_DAYS[1]


class DateParser:
    """``date.fromisoformat`` with a cache: a companyfacts file repeats each date many times."""

    def __init__(self) -> None:
        self._cache: dict[str, date] = {}

    def __call__(self, text: str) -> date:
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = date.fromisoformat(text)
        return found


def history(entries: Iterable[tuple[date, str, float]]) -> History:
    """Versions from ``(filed, accn, value)`` entries of one period, in any order."""
    out: History = []
    for filed, accn, value in sorted(entries, key=lambda e: (e[0], e[1])):
        if out and out[-1].known == filed:
            # Two filings on one day: the later accession number stands.
            out.pop()
        if not out or out[-1].value != value:
            out.append(Version(filed, value, accn))
    return out


def _value(x: float) -> float:
    # Differences of float facts (e.g. 81.5M - 36.5M) must compare equal to the filed slice.
    return round(x, 6) if isinstance(x, float) else x


def difference(
    later: History, earlier: History, later_reported: Sequence[tuple[date, str]] = ()
) -> History:
    """``later - earlier`` at every instant either changes; known when both are known.

    ``later_reported`` are all the ``(filed, accn)`` of the later period (comparatives too);
    a restated version of ``earlier`` is used only once ``later`` has been reported since it."""
    reported = sorted(set(later_reported) | {(v.known, v.accn) for v in later})
    times = sorted({t for t, _ in reported} | {v.known for v in earlier})
    out: History = []
    i = j = r = -1
    for t in times:
        while i + 1 < len(later) and later[i + 1].known <= t:
            i += 1
        while j + 1 < len(earlier) and earlier[j + 1].known <= t:
            j += 1
        while r + 1 < len(reported) and reported[r + 1][0] <= t:
            r += 1
        if i < 0 or j < 0 or (j > 0 and reported[r][0] < earlier[j].known):
            continue
        value = _value(later[i].value - earlier[j].value)
        accn = reported[r][1] if reported[r][0] == t else earlier[j].accn
        if not out or out[-1].value != value:
            out.append(Version(t, value, accn))
    return out


def prefer(histories: Sequence[History]) -> History:
    """At every instant, the latest version of the first history that has one by then."""
    live = [h for h in histories if h]
    if len(live) == 1:
        return live[0]
    times = sorted({v.known for h in live for v in h})
    pos = [-1] * len(live)
    out: History = []
    for t in times:
        chosen: Version | None = None
        for k, h in enumerate(live):
            while pos[k] + 1 < len(h) and h[pos[k] + 1].known <= t:
                pos[k] += 1
            if chosen is None and pos[k] >= 0:
                chosen = h[pos[k]]
        if chosen is not None and (not out or out[-1].value != chosen.value):
            out.append(Version(t, chosen.value, chosen.accn))
    return out


def snap_map(dates: Iterable[date]) -> dict[date, date]:
    """Each date to the most common date within ``SNAP_DAYS`` of its cluster's first date."""
    counts = Counter(dates)
    mapping: dict[date, date] = {}
    cluster: list[date] = []

    def flush() -> None:
        canon = max(cluster, key=lambda d: (counts[d], -d.toordinal()))
        for d in cluster:
            mapping[d] = canon

    for d in sorted(counts):
        if cluster and (d - cluster[0]).days > SNAP_DAYS:
            flush()
            cluster = []
        cluster.append(d)
    if cluster:
        flush()
    return mapping


@dataclass
class FlowPeriods:
    """The quarters and fiscal years of one concept in one unit, each with its history."""

    quarters: dict[Period, History]
    years: dict[Period, History]


def flow_periods(rows: Iterable[dict], parse: DateParser) -> FlowPeriods:
    """Discrete quarters (filed or derived) and fiscal years from companyfacts unit rows."""
    parsed: list[tuple[date, date, date, str, float]] = []
    for r in rows:
        start = r.get("start")
        if start is None:
            continue
        parsed.append((parse(start), parse(r["end"]), parse(r["filed"]), r["accn"], r["val"]))
    snap = snap_map([p[0] for p in parsed] + [p[1] + ONE_DAY for p in parsed])
    entries: dict[Period, list[tuple[date, str, float]]] = defaultdict(list)
    for start, end, filed, accn, value in parsed:
        entries[(snap[start], snap[end + ONE_DAY] - ONE_DAY)].append((filed, accn, value))
    hist = {period: history(e) for period, e in entries.items()}
    reported = {period: [(e[0], e[1]) for e in found] for period, found in entries.items()}

    direct: dict[Period, History] = {}
    years: dict[Period, History] = {}
    chains: dict[date, list[date]] = defaultdict(list)
    for (start, end), h in hist.items():
        days = (end - start).days + 1
        if _is_quarter(days):
            direct[(start, end)] = h
        elif _is_year(days):
            years[(start, end)] = h
        if days <= YEAR_DAYS[1]:
            chains[start].append(end)

    derived: dict[Period, list[History]] = defaultdict(list)
    for start in sorted(chains):
        ends = sorted(chains[start])
        for earlier, later in zip(ends, ends[1:]):
            if _is_quarter((later - earlier).days):
                derived[(earlier + ONE_DAY, later)].append(
                    difference(hist[(start, later)], hist[(start, earlier)], reported[(start, later)])
                )
    quarters = {
        q: prefer([direct.get(q, []), *derived.get(q, [])]) for q in set(direct) | set(derived)
    }
    return FlowPeriods({q: quarters[q] for q in one_per_end(quarters) if quarters[q]}, years)


def one_per_end(periods: Iterable[Period]) -> list[Period]:
    """The longest period for each end date: a stub (a company's first weeks, 2018-04-10 to
    2018-06-30) never stands beside the full quarter that ends on the same day."""
    longest: dict[date, Period] = {}
    for start, end in periods:
        if end not in longest or start < longest[end][0]:
            longest[end] = (start, end)
    return sorted(longest.values())


def instant_periods(rows: Iterable[dict], parse: DateParser) -> dict[Period, History]:
    """Period-end values (balances such as rpo), one history per end date."""
    entries: dict[date, list[tuple[date, str, float]]] = defaultdict(list)
    for r in rows:
        if r.get("start") is not None:
            continue
        entries[parse(r["end"])].append((parse(r["filed"]), r["accn"], r["val"]))
    return {(end, end): history(e) for end, e in entries.items()}


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """Names periods by fiscal year and quarter from one known fiscal year end.

    A fiscal year is named by the calendar year it ends in (NVIDIA's year ending January
    2026 is FY2026); a period ending up to a week after the anniversary of the year end
    (52/53-week years) still belongs to the year that ends there.
    """

    year_end: date = date(2000, 12, 31)

    @classmethod
    def from_year_ends(cls, ends: Iterable[date]) -> FiscalCalendar:
        ends = list(ends)
        return cls(max(ends)) if ends else cls()

    def _end_in(self, year: int) -> date:
        month = self.year_end.month
        day = min(self.year_end.day, calendar.monthrange(year, month)[1])
        return date(year, month, day)

    def label(self, end: date) -> tuple[int, int]:
        """(fiscal year, quarter 1-4) of a quarter, or of the balance date ``end``."""
        year = end.year
        if end > self._end_in(year) + timedelta(days=7):
            year += 1
        months = (end - self._end_in(year - 1)).days / 91.31
        return year, min(4, max(1, round(months)))
