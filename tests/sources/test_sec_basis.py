"""Derived quarters on one basis: a restated year is never combined with nine months of the
old basis. The Apple fiscal 2009 case from the real file, every version of every quarter of
AAPL, VRT, IREN and CLS checked against the raw facts of the filings it names, and payloads
built here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import pytest
from zoneinfo import ZoneInfo

from signalflow.series import Batch, SeriesKind
from signalflow.sources.sec import read_payload
from signalflow.sources.sec_concepts import load_metrics
from signalflow.sources.sec_facts import normalize_companyfacts, parse_source_ref, source_accessions

from .test_sec_facts import new_york_day_end

NEW_YORK = ZoneInfo("America/New_York")

COMPANYFACTS = {
    "AAPL": "qihuizzz_sec-xbrl-reports/AAPL_companyfacts_CIK0000320193.json",
    "VRT": "sclaessens_market-scanner/VRT_companyfacts_wrapped.json",
    "IREN": "sclaessens_market-scanner/IREN_companyfacts_wrapped.json",
    "CLS": "sclaessens_market-scanner/CLS_companyfacts_wrapped.json",
}
M = 1_000_000
APPLE_10Q_2009Q3 = "0001193125-09-153165"  # 2009-07-22: nine months 26,667 (old basis)
APPLE_10K_2009 = "0001193125-09-214859"  # 2009-10-27: fiscal 2009 36,537 (old basis)
APPLE_10KA_2009 = "0001193125-10-012091"  # 2010-01-25: fiscal 2009 restated to 42,905
APPLE_10Q_2010Q3 = "0001193125-10-162840"  # 2010-07-21: nine months of 2009 now 30,698
APPLE_10K_2010 = "0001193125-10-238044"  # 2010-10-27: the quarter as filed, 12,207


@cache
def _payload(shared_data: Path, ticker: str) -> dict:
    return read_payload(shared_data / "sec" / COMPANYFACTS[ticker])[1]


def _filed(known_at: datetime) -> date:
    """The New York day a value was published on: with no acceptance time at hand, a filing is
    known at the end of its filing day there (signalflow.sources.sec_facts)."""
    return (known_at - timedelta(microseconds=1)).replace(tzinfo=timezone.utc).astimezone(NEW_YORK).date()


@cache
def _batch(shared_data: Path, ticker: str) -> Batch:
    return normalize_companyfacts(_payload(shared_data, ticker), ticker, load_metrics())


def _versions(batch: Batch, key: str, end: date) -> list:
    return sorted((o for o in batch.observations if o.series == key and o.period_end == end), key=lambda o: o.known_at)


def _as_of(batch: Batch, key: str, end: date, at: datetime) -> float | None:
    known = [o for o in _versions(batch, key, end) if o.known_at <= at]
    return known[-1].value if known else None


def test_apple_fiscal_2009_q4_revenue_is_never_a_restated_year_minus_old_nine_months(shared_data: Path) -> None:
    batch = _batch(shared_data, "AAPL")
    key, end = "sec.AAPL.revenue", date(2009, 9, 26)
    versions = _versions(batch, key, end)
    assert [(o.period_start, o.value, _filed(o.known_at)) for o in versions] == [
        (date(2009, 6, 28), (36_537 - 26_667) * M, date(2009, 10, 27)),
        (date(2009, 6, 28), (42_905 - 30_698) * M, date(2010, 7, 21)),
    ]
    assert [source_accessions(o.source_ref) for o in versions] == [
        (APPLE_10K_2009, APPLE_10Q_2009Q3),
        (APPLE_10Q_2010Q3, APPLE_10KA_2009),
    ]
    assert [parse_source_ref(o.source_ref) for o in versions] == [
        (APPLE_10K_2009, 2009, 4),
        (APPLE_10Q_2010Q3, 2009, 4),
    ]
    assert all(o.value != (42_905 - 26_667) * M for o in batch.observations if o.series == key)
    # Between the 10-K/A and the 10-Q of July 2010 the quarter is the old basis, and the 10-K
    # that files the quarter itself (12,207) leaves it as it is.
    assert _as_of(batch, key, end, datetime(2010, 1, 25, 23)) == 9_870 * M
    assert _as_of(batch, key, end, datetime(2010, 7, 20, 23)) == 9_870 * M
    assert _as_of(batch, key, end, new_york_day_end(date(2010, 7, 21))) == 12_207 * M
    assert _as_of(batch, key, end, datetime(2010, 10, 27, 23)) == 12_207 * M


def test_apple_fiscal_2008_q4_stays_on_the_old_basis(shared_data: Path) -> None:
    """The 10-K/A restated fiscal 2008 too (32,479 -> 37,491 M$); no filing reports the nine
    months of 2008 again, so no quarter on the new basis can be computed."""
    batch = _batch(shared_data, "AAPL")
    versions = _versions(batch, "sec.AAPL.revenue", date(2008, 9, 27))
    assert [(o.value, _filed(o.known_at)) for o in versions] == [((32_479 - 24_584) * M, date(2009, 10, 27))]


# Checking every version against the raw facts, apart from the normalizer.

ONE_DAY = timedelta(days=1)
SLACK = 6  # days: a 52/53-week filer tags one boundary a few days apart in different filings


def _near(a: date, b: date) -> bool:
    return abs((a - b).days) <= SLACK


def _days(start: date, end: date) -> int:
    return (end - start).days + 1


class Facts:
    """One concept's raw facts in one unit, as (start, end, filed, accn, value)."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = [
            (date.fromisoformat(r["start"]), date.fromisoformat(r["end"]), date.fromisoformat(r["filed"]), r["accn"], r["val"])
            for r in rows
            if "start" in r
        ]
        self.by_accn: dict[str, list[tuple]] = defaultdict(list)
        for row in self.rows:
            self.by_accn[row[3]].append(row)

    def reports(self, start: date, end: date) -> list[tuple]:
        return [r for r in self.rows if _near(r[0], start) and _near(r[1], end)]

    def agree(self, accns: tuple[str, ...]) -> bool:
        """The filings give the same value for every period of this concept they all report."""
        values: dict[tuple[date, date], set] = defaultdict(set)
        periods: dict[tuple[date, date], set] = defaultdict(set)
        for a in accns:
            for r in self.by_accn.get(a, []):
                values[(r[0], r[1])].add(r[4])
                periods[(r[0], r[1])].add(a)
        return all(len(values[p]) == 1 for p, found in periods.items() if len(found) == len(accns))


def _one_basis(facts: Facts, later: tuple, earlier: tuple) -> bool:
    """Neither part was reported with another value between the two filings: no restatement of
    the year (or of the nine months) separates the figure subtracted from the one it is
    subtracted from. (The filings must also agree on every period of the concept both report,
    :meth:`Facts.agree`; other concepts are not compared: a stock split or a reclassified
    balance-sheet line changes them without touching this figure.)"""
    low, high = sorted((later[2], earlier[2]))
    for used in (later, earlier):
        for r in facts.reports(used[0], used[1]):
            same_day_earlier_filing = r[2] == used[2] and r[3] < used[3]
            if low <= r[2] <= high and r[4] != used[4] and not same_day_earlier_filing:
                return False
    return True


def _explanations(facts: Facts, start: date, end: date, value: float, accns: tuple[str, ...]) -> list[str]:
    """How ``value`` for the quarter ``start..end`` follows from the facts of ``accns``: as
    filed, or a later year-to-date figure minus an earlier one of the same chain, on one basis."""

    def close(x: float) -> bool:
        return x == pytest.approx(value, rel=1e-9, abs=1e-6)

    rows = [r for a in accns for r in facts.by_accn.get(a, [])]
    found = []
    if len(accns) == 1:
        found += [f"as filed in {r[3]}" for r in rows if _near(r[0], start) and _near(r[1], end) and close(r[4])]
    for later in rows:
        if not _near(later[1], end) or _days(later[0], later[1]) <= 110:
            continue
        for earlier in rows:
            if not (_near(earlier[0], later[0]) and _near(earlier[1], start - ONE_DAY)):
                continue
            if {later[3], earlier[3]} != set(accns) or not close(later[4] - earlier[4]):
                continue
            if _one_basis(facts, later, earlier) and facts.agree(accns):
                found.append(f"{later[4]} ({later[3]}) - {earlier[4]} ({earlier[3]})")
    return found


@pytest.mark.parametrize("ticker", sorted(COMPANYFACTS))
def test_every_quarter_version_is_filed_or_computed_from_one_basis(shared_data: Path, ticker: str) -> None:
    """Every version of every quarter of every flow series is a 3-month fact of the filing it
    names, or the difference of two year-to-date facts of the two filings it names, on one
    basis, known when the later of the two was filed."""
    payload = _payload(shared_data, ticker)
    batch = _batch(shared_data, ticker)
    metrics = load_metrics()
    series = {s.key: s for s in batch.series if s.kind is SeriesKind.FLOW and s.frequency == "quarterly"}
    derived = 0
    for key, info in series.items():
        metric = metrics.get(key.split(".")[2])
        if metric is None:
            continue
        concepts = [
            Facts(payload["facts"][c.taxonomy][c.name]["units"][info.unit])
            for c in metric.concepts
            if info.unit in payload["facts"].get(c.taxonomy, {}).get(c.name, {}).get("units", {})
        ]
        for o in batch.observations:
            if o.series != key:
                continue
            accns = source_accessions(o.source_ref)
            assert 1 <= len(accns) <= 2, o
            ways = [w for facts in concepts for w in _explanations(facts, o.period_start, o.period_end, o.value, accns)]
            if not ways and key.endswith(".gross_profit"):
                # Untagged gross profit is revenue - cost of revenue (sec_derived): each of
                # those parts is checked by this test on its own; here the difference must
                # be that of two of their versions of the same quarter known by then.
                assert _is_revenue_minus_cost(batch, o), o
                continue
            assert ways, (key, o.period_start, o.period_end, o.value, o.known_at, o.source_ref)
            filed = {r[2] for facts in concepts for a in accns for r in facts.by_accn.get(a, [])}
            assert _filed(o.known_at) == max(filed), o
            derived += len(accns) == 2
    assert derived > 0


def _is_revenue_minus_cost(batch: Batch, o) -> bool:
    prefix = o.series.rsplit(".", 1)[0]

    def versions(name: str) -> list[float]:
        return [
            r.value
            for r in batch.observations
            if r.series == f"{prefix}.{name}"
            and (r.period_start, r.period_end) == (o.period_start, o.period_end)
            and r.known_at <= o.known_at
        ]

    return any(abs(rev - cost - o.value) < 0.5 for rev in versions("revenue") for cost in versions("cost_of_revenue"))


# Payloads built here: (start, end, value, accession, filed) facts of one concept, and the
# versions of one quarter, (value, known, accessions that made it).

A1, A2, A3, A4, A5, A6 = (f"0000000009-2{i}-00000{i}" for i in range(1, 7))
Q4_2023 = ("2023-10-01", "2023-12-31")
BASIS_CASES = {
    "a restated year waits for the nine months of the new basis": (
        [
            ("2023-01-01", "2023-09-30", 300, A1, "2023-10-30"),
            ("2023-01-01", "2023-12-31", 400, A2, "2024-02-20"),
            ("2023-01-01", "2023-12-31", 440, A3, "2024-03-15"),  # 10-K/A
            ("2023-01-01", "2023-09-30", 320, A4, "2024-10-30"),  # next year's 10-Q
        ],
        Q4_2023,
        [(100, "2024-02-20", (A2, A1)), (120, "2024-10-30", (A4, A3))],
    ),
    "restated nine months first, then the year": (
        [
            ("2023-01-01", "2023-09-30", 300, A1, "2023-10-30"),
            ("2023-01-01", "2023-12-31", 400, A2, "2024-02-20"),
            ("2023-01-01", "2023-09-30", 330, A3, "2024-10-30"),
            ("2023-01-01", "2023-12-31", 450, A4, "2025-02-20"),
        ],
        Q4_2023,
        [(100, "2024-02-20", (A2, A1)), (120, "2025-02-20", (A4, A3))],
    ),
    "a restated six months: year and nine months both reported again": (
        [
            ("2023-01-01", "2023-06-30", 200, A1, "2023-07-30"),
            ("2023-01-01", "2023-09-30", 300, A2, "2023-10-30"),
            ("2023-01-01", "2023-12-31", 400, A3, "2024-02-20"),
            ("2023-01-01", "2023-06-30", 210, A4, "2024-07-30"),
            ("2023-01-01", "2023-12-31", 400, A5, "2024-08-15"),  # unchanged on the new basis
            ("2023-01-01", "2023-09-30", 305, A6, "2024-10-30"),
        ],
        Q4_2023,
        [(100, "2024-02-20", (A3, A2)), (95, "2024-10-30", (A6, A5))],
    ),
    "a recast that gives both parts": (
        [
            ("2024-01-01", "2024-03-31", 100, A1, "2024-04-25"),
            ("2024-01-01", "2024-06-30", 250, A2, "2024-07-25"),
            ("2024-01-01", "2024-06-30", 270, A3, "2025-09-02"),  # 8-K recast
            ("2024-01-01", "2024-03-31", 100, A3, "2025-09-02"),
        ],
        ("2024-04-01", "2024-06-30"),
        [(150, "2024-07-25", (A2, A1)), (170, "2025-09-02", (A3,))],
    ),
    "a filed quarter wins over the difference": (
        [
            ("2023-01-01", "2023-09-30", 300, A1, "2023-10-30"),
            ("2023-01-01", "2023-12-31", 440, A2, "2024-02-20"),
            ("2023-01-01", "2023-12-31", 460, A3, "2024-03-15"),
            ("2023-10-01", "2023-12-31", 150, A3, "2024-03-15"),
        ],
        Q4_2023,
        [(140, "2024-02-20", (A2, A1)), (150, "2024-03-15", (A3,))],
    ),
}


@pytest.mark.parametrize("facts, quarter, expected", BASIS_CASES.values(), ids=BASIS_CASES.keys())
def test_quarter_versions_on_one_basis(facts, quarter, expected) -> None:
    rows = [
        {"start": start, "end": end, "val": val, "accn": accn, "filed": filed, "form": "10-Q"}
        for start, end, val, accn, filed in facts
    ]
    payload = {"cik": 9, "entityName": "Example Nine", "facts": {"us-gaap": {"Revenues": {"units": {"USD": rows}}}}}
    batch = normalize_companyfacts(payload, "EXN", load_metrics())
    start, end = (date.fromisoformat(d) for d in quarter)
    found = _versions(batch, "sec.EXN.revenue", end)
    assert {o.period_start for o in found} == {start}
    assert [(o.value, o.known_at, source_accessions(o.source_ref)) for o in found] == [
        (value, new_york_day_end(date.fromisoformat(known)), accns) for value, known, accns in expected
    ]
