"""Version histories of XBRL facts, and discrete fiscal quarters derived from them.

A *history* is the list of versions of one period's value, in ``known`` (filing date) order,
each value different from the one before: the same value repeated in a later filing (a
comparative) is not a new version; a different value is a restatement.

Flows become discrete quarters:

- a fact whose period lasts about three months (75-105 days) is a quarter as filed;
- facts that share a start date form a year-to-date chain (3M, 6M, 9M, FY): each step of
  about three months between consecutive ends is a derived quarter, later minus earlier
  (Q2 = 6M - 3M, Q3 = 9M - 6M, Q4 = FY - 9M), known when its later-filed part was filed;
- where a quarter is both filed and derivable, the filed value wins from the moment it is
  known.

A derived quarter combines only parts reported on one *basis*. One filing rarely holds both
parts (a 10-K gives the year, never the nine months), so the basis is that of the chain, one
concept in one unit, as its figures are reported over time. Each report of a chain figure
(every filing that states it, comparatives included) carries the basis the chain was on when
it was filed:

- the chain's first report opens basis 0;
- a report that changes a figure already reported on the current basis is a restatement: it
  opens the next basis, for every figure of the chain (a 10-K/A that restates the fiscal year
  restates the nine months in it too, so the nine months reported before it belong to the old
  basis);
- every other report joins the current basis: a figure reported again after a restatement,
  unchanged or not, is that figure on the new basis (Apple's 10-Q of 2010-07-21 reporting the
  nine months of fiscal 2009 as 30,698 M$, after the 10-K/A of 2010-01-25 restated the year).
  A second restatement of a figure not yet reported again cannot be told from this catching
  up; the filings do not say which it is.

At each filing date the quarter is the difference of the latest reports of its two parts when
both are on one basis; otherwise it keeps its previous value (consistent on the old basis)
until both parts are known on one basis. So a restated year is never combined with nine
months of the old basis: Apple's fiscal 2009 Q4 revenue is 36,537 - 26,667 = 9,870 M$ from
the 10-K of 2009-10-27, and 42,905 - 30,698 = 12,207 M$ from 2010-07-21, never 42,905 - 26,667.
Each version names the accessions of both parts, the one that made it known first.

Periods are matched by their dates, never by the ``fy``/``fp`` labels (those label the
filing, not the period, and are null on 8-K recasts). Dates within a few days of each other
are snapped to one boundary, so a 52/53-week filer that tags a period a day differently in a
later filing still lands on the same period.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar
from datetime import date, timedelta

QUARTER_DAYS = (75, 105)
YEAR_DAYS = (350, 380)
SNAP_DAYS = 6
ONE_DAY = timedelta(days=1)

Period = tuple[date, date]


_Known = TypeVar("_Known", bound="Version | Report")


@dataclass(frozen=True, slots=True)
class Version:
    """One value of a period, known from ``known`` (the filing date) on, made known by the
    filing ``accn``; a derived quarter also names the filing of its other part."""

    known: date
    value: float
    accn: str
    other_accns: tuple[str, ...] = ()

    @property
    def accns(self) -> tuple[str, ...]:
        """Every filing the value came from, the one that made it known first."""
        return (self.accn, *self.other_accns)


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


Entry = tuple[date, str, float]  # (filed, accn, value): one filing's value of one period


def reports(entries: Iterable[Entry]) -> list[Entry]:
    """One entry per filing date, in date order: of two filings on one day, the later
    accession number stands."""
    by_day: dict[date, Entry] = {}
    for entry in sorted(entries, key=lambda e: (e[0], e[1])):
        by_day[entry[0]] = entry
    return list(by_day.values())


def history(entries: Iterable[Entry]) -> History:
    """Versions from ``(filed, accn, value)`` entries of one period, in any order."""
    out: History = []
    for filed, accn, value in reports(entries):
        if not out or out[-1].value != value:
            out.append(Version(filed, value, accn))
    return out


@dataclass(frozen=True, slots=True)
class Report:
    """One filing's value of one figure of a year-to-date chain, on the chain's basis
    ``basis`` (see the module docstring)."""

    known: date
    value: float
    accn: str
    basis: int


def chain_reports(members: dict[date, list[Entry]]) -> dict[date, list[Report]]:
    """Every report of each figure of one chain (keyed by its end date), with its basis."""
    by_day: dict[date, list[tuple[date, Entry]]] = defaultdict(list)
    for end, entries in members.items():
        for entry in reports(entries):
            by_day[entry[0]].append((end, entry))
    out: dict[date, list[Report]] = defaultdict(list)
    current: dict[date, Report] = {}
    basis = 0
    for day in sorted(by_day):
        found = by_day[day]
        if any(
            end in current and current[end].basis == basis and current[end].value != value
            for end, (_, _, value) in found
        ):
            basis += 1
        for end, (filed, accn, value) in found:
            current[end] = Report(filed, value, accn, basis)
            out[end].append(current[end])
    return out


def _value(x: float) -> float:
    # Differences of float facts (e.g. 81.5M - 36.5M) must compare equal to the filed slice.
    return round(x, 6) if isinstance(x, float) else x


def latest_pairs(a: Sequence[_Known], b: Sequence[_Known]) -> Iterator[tuple[date, _Known, _Known]]:
    """At every instant either of two histories (each sorted by ``known``) changes, once both
    have something known: that instant and the latest item of each."""
    i = j = -1
    for t in sorted({x.known for x in a} | {x.known for x in b}):
        while i + 1 < len(a) and a[i + 1].known <= t:
            i += 1
        while j + 1 < len(b) and b[j + 1].known <= t:
            j += 1
        if i >= 0 and j >= 0:
            yield t, a[i], b[j]


def difference(later: Sequence[Report], earlier: Sequence[Report]) -> History:
    """``later - earlier`` at every filing date of either, wherever their latest reports are
    on one basis; in between, the previous value stands."""
    out: History = []
    for t, x, y in latest_pairs(later, earlier):
        if x.basis != y.basis:
            continue
        value = _value(x.value - y.value)
        if not out or out[-1].value != value:
            newest, other = (x, y) if x.known >= y.known else (y, x)
            out.append(Version(t, value, newest.accn, () if other.accn == newest.accn else (other.accn,)))
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
            out.append(Version(t, chosen.value, chosen.accn, chosen.other_accns))
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

    direct: dict[Period, History] = {}
    years: dict[Period, History] = {}
    chains: dict[date, dict[date, list[Entry]]] = defaultdict(dict)
    for (start, end), found in entries.items():
        days = (end - start).days + 1
        if _is_quarter(days):
            direct[(start, end)] = hist[(start, end)]
        elif _is_year(days):
            years[(start, end)] = hist[(start, end)]
        if days <= YEAR_DAYS[1]:
            chains[start][end] = found

    derived: dict[Period, list[History]] = defaultdict(list)
    for start in sorted(chains):
        chain = chain_reports(chains[start])
        ends = sorted(chain)
        for earlier, later in zip(ends, ends[1:]):
            if _is_quarter((later - earlier).days):
                derived[(earlier + ONE_DAY, later)].append(difference(chain[later], chain[earlier]))
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
