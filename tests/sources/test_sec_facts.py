"""companyfacts -> discrete quarters: real files from ../shared/data/sec and payloads built here."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pytest

from signalflow.series import Batch, SeriesKind
from signalflow.sources.sec import SecSource, read_payload
from signalflow.sources.sec_concepts import load_metrics
from signalflow.sources.sec_facts import normalize_companyfacts, parse_source_ref
from signalflow.sources.sec_periods import DateParser, FiscalCalendar, flow_periods

COMPANYFACTS = {
    "AAPL": "qihuizzz_sec-xbrl-reports/AAPL_companyfacts_CIK0000320193.json",
    "VRT": "sclaessens_market-scanner/VRT_companyfacts_wrapped.json",
    "IREN": "sclaessens_market-scanner/IREN_companyfacts_wrapped.json",
    "CLS": "sclaessens_market-scanner/CLS_companyfacts_wrapped.json",
    "ASML": "sclaessens_market-scanner/ASML_companyfacts_wrapped.json",
    "TSM": "sclaessens_market-scanner/TSM_companyfacts_wrapped.json",
}
M = 1_000_000


def new_york_day_end(day: date) -> datetime:
    """The first instant after ``day`` in New York, naive UTC: a fact filed that day with no
    acceptance time known is public from then."""
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    local = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@cache
def _load(shared_data: Path, ticker: str) -> dict:
    """The unwrapped payload, parsed once per test session (tests only read it)."""
    return read_payload(shared_data / "sec" / COMPANYFACTS[ticker])[1]


def _latest(batch: Batch, key: str) -> dict[tuple[date, date], float]:
    """Each period's value as finally known (the last version)."""
    out: dict[tuple[date, date], tuple[datetime, float]] = {}
    for o in batch.observations:
        if o.series == key:
            period = (o.period_start, o.period_end)
            if period not in out or o.known_at >= out[period][0]:
                out[period] = (o.known_at, o.value)
    return {p: v for p, (_, v) in out.items()}


def _as_of(batch: Batch, key: str, at: datetime) -> dict[tuple[date, date], float]:
    out: dict[tuple[date, date], tuple[datetime, float]] = {}
    for o in batch.observations:
        if o.series == key and o.known_at <= at:
            period = (o.period_start, o.period_end)
            if period not in out or o.known_at >= out[period][0]:
                out[period] = (o.known_at, o.value)
    return {p: v for p, (_, v) in out.items()}


@pytest.fixture(scope="module")
def metrics():
    return load_metrics()


@pytest.mark.parametrize("ticker", sorted(COMPANYFACTS))
def test_every_real_file_imports(shared_data: Path, settings, ticker: str) -> None:
    batch = SecSource(settings).import_file(shared_data / "sec" / COMPANYFACTS[ticker])
    keys = {s.key for s in batch.series}
    assert f"sec.{ticker}.revenue" in keys and f"sec.{ticker}.capex" in keys
    assert batch.observations
    for o in batch.observations:
        accn, year, _ = parse_source_ref(o.source_ref)
        assert o.series in keys and o.period_start <= o.period_end and o.value == o.value
        assert re.fullmatch(r"\d{10}-\d{2}-\d{6}", accn) and year is not None


@pytest.mark.parametrize(
    "ticker, key, period, value, accn",
    [
        # Apple FY2025 capex: Q1 3-month as filed; Q2, Q3 from year-to-date; Q4 = FY - 9M.
        ("AAPL", "capex", ("2024-09-29", "2024-12-28"), 2_940 * M, "0000320193-25-000008"),
        ("AAPL", "capex", ("2024-12-29", "2025-03-29"), (6_011 - 2_940) * M, "0000320193-25-000057"),
        ("AAPL", "capex", ("2025-03-30", "2025-06-28"), (9_473 - 6_011) * M, "0000320193-25-000073"),
        ("AAPL", "capex", ("2025-06-29", "2025-09-27"), (12_715 - 9_473) * M, "0000320193-25-000079"),
        # Vertiv Q2 2025 capex: the 3-month slice it tags (45.0M) = 81.5M YTD - 36.5M Q1.
        ("VRT", "capex", ("2025-04-01", "2025-06-30"), 45.0 * M, "0001674101-25-000008"),
        # Vertiv Q4 2025 capex: FY 220.0M - 9M 126.7M.
        ("VRT", "capex", ("2025-10-01", "2025-12-31"), 220.0 * M - 126.7 * M, "0001674101-26-000008"),
    ],
)
def test_stated_quarters(shared_data: Path, metrics, ticker, key, period, value, accn) -> None:
    batch = normalize_companyfacts(_load(shared_data, ticker), ticker, metrics)
    start, end = date.fromisoformat(period[0]), date.fromisoformat(period[1])
    found = [o for o in batch.observations if o.series == f"sec.{ticker}.{key}" and o.period_end == end]
    assert [(o.period_start, o.value) for o in found][:1] == [(start, pytest.approx(value))]
    assert parse_source_ref(found[0].source_ref)[0] == accn


def test_vertiv_revenue_continues_across_the_concept_switch(shared_data: Path, metrics) -> None:
    payload = _load(shared_data, "VRT")
    batch = normalize_companyfacts(payload, "VRT", metrics)
    quarters = _latest(batch, "sec.VRT.revenue")
    old = payload["facts"]["us-gaap"]["Revenues"]["units"]["USD"]
    new = payload["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]["units"]["USD"]
    last_old = max(date.fromisoformat(r["end"]) for r in old)
    first_new = min(date.fromisoformat(r["end"]) for r in new)
    ends = sorted(end for _, end in quarters)
    assert ends[0] < first_new <= last_old < ends[-1]
    # No gap at the switch: consecutive quarters follow each other through 2017-2021.
    span = [p for p in sorted(quarters) if date(2017, 1, 1) <= p[0] <= date(2021, 12, 31)]
    assert len(span) >= 16
    assert all((b[0] - a[1]).days == 1 for a, b in zip(span, span[1:]))
    info = next(s for s in batch.series if s.key == "sec.VRT.revenue")
    assert "us-gaap:Revenues" in info.title and "RevenueFromContractWithCustomer" in info.title


def _three_month_facts(rows, parse):
    chain_starts = {r["start"] for r in rows if "start" in r and (parse(r["end"]) - parse(r["start"])).days > 120}
    return [
        r
        for r in rows
        if "start" in r
        and 75 <= (parse(r["end"]) - parse(r["start"])).days + 1 <= 105
        and r["start"] not in chain_starts  # Q1 of a year-to-date chain is never derived
    ]


# A filer inconsistency, not a derivation error: IREN's 6-K of 2024-05-15 reports 9M revenue
# 47,668,000 and 6M 29,967,000 (difference 17,701,000) but the quarter as 16,382,000.
KNOWN_FILER_INCONSISTENCIES = {("IREN", "Revenue", "2023-01-01", "2023-03-31")}


# (ticker, metric, whether the file has cases to compare): Apple tags no 3-month capex slice
# after Q1 (its cash-flow statement is year-to-date only), nor does IREN one we can derive.
COMPARABLE = [
    ("AAPL", "revenue", True),
    ("AAPL", "capex", False),
    ("VRT", "revenue", True),
    ("VRT", "capex", True),
    ("CLS", "revenue", True),
    ("CLS", "capex", True),
    ("IREN", "revenue", True),
    ("IREN", "capex", False),
]


@pytest.mark.parametrize("ticker, metric, comparable", COMPARABLE)
def test_derived_quarters_agree_with_every_three_month_fact(
    shared_data: Path, metrics, ticker, metric, comparable
) -> None:
    payload = _load(shared_data, ticker)
    parse = DateParser()
    checked = 0
    for concept in metrics[metric].concepts:
        units = payload["facts"].get(concept.taxonomy, {}).get(concept.name, {}).get("units", {})
        for rows in units.values():
            direct = _three_month_facts(rows, parse)
            # Derive from the year-to-date facts alone, then compare with what was filed.
            derived = flow_periods([r for r in rows if r not in direct], parse).quarters
            latest_filed: dict[tuple[date, date], tuple[date, float]] = {}
            for r in direct:
                period = (parse(r["start"]), parse(r["end"]))
                if period not in latest_filed or parse(r["filed"]) >= latest_filed[period][0]:
                    latest_filed[period] = (parse(r["filed"]), r["val"])
            for period, (_, filed_value) in latest_filed.items():
                if period not in derived:
                    continue
                if (ticker, concept.name, str(period[0]), str(period[1])) in KNOWN_FILER_INCONSISTENCIES:
                    assert derived[period][-1].value != filed_value
                    continue
                # Filers round each figure (Vertiv to 0.1M), so a difference carries it twice.
                assert derived[period][-1].value == pytest.approx(filed_value, rel=1e-3, abs=2e5), (
                    concept,
                    period,
                )
                checked += 1
    assert (checked > 0) is comparable


@pytest.mark.parametrize("ticker", ["AAPL", "VRT", "IREN", "CLS"])
@pytest.mark.parametrize("metric", ["capex", "revenue"])
def test_series_shows_each_three_month_fact_when_filed(shared_data: Path, metrics, ticker, metric) -> None:
    """As of the end of a 3-month fact's filing day, the canonical series has that value for
    its quarter (or the value of another filing of the same day)."""
    payload = _load(shared_data, ticker)
    batch = normalize_companyfacts(payload, ticker, metrics)
    key = f"sec.{ticker}.{metric}"
    parse = DateParser()
    concept = next(
        c for c in metrics[metric].concepts if payload["facts"].get(c.taxonomy, {}).get(c.name, {}).get("units")
    )
    rows = next(iter(payload["facts"][concept.taxonomy][concept.name]["units"].values()))
    checked = 0
    for r in rows:
        if "start" not in r or not 75 <= (parse(r["end"]) - parse(r["start"])).days + 1 <= 105:
            continue
        at = new_york_day_end(parse(r["filed"]))
        view = _as_of(batch, key, at)
        same_day = {r2["val"] for r2 in rows if r2["filed"] == r["filed"] and r2["end"] == r["end"]}
        period = (parse(r["start"]), parse(r["end"]))
        if period in view:
            assert view[period] in same_day or view[period] == pytest.approx(r["val"], rel=1e-3)
            checked += 1
    assert checked > 0


# Apple's 10-K/A of 2010-01-25 restated fiscal 2008 revenue (32,479 -> 37,491 M$) and no later
# filing reports the nine months of 2008 again (24,584 M$ on the old basis): the quarter stays
# 32,479 - 24,584, never the restated year minus the old nine months.
OLD_BASIS_Q4 = {("AAPL", "SalesRevenueNet", "2008-09-27"): (32_479 - 24_584) * M}


@pytest.mark.parametrize("ticker", ["AAPL", "VRT", "CLS", "IREN"])
@pytest.mark.parametrize("metric", ["capex", "revenue"])
def test_every_derived_q4_is_fy_minus_9m(shared_data: Path, metrics, ticker, metric) -> None:
    """Every Q4 not filed as a 3-month fact is the fiscal year minus its nine months (on the old
    basis where the year was restated and the nine months never reported again)."""
    payload = _load(shared_data, ticker)
    parse = DateParser()
    checked = 0
    for concept in metrics[metric].concepts:
        units = payload["facts"].get(concept.taxonomy, {}).get(concept.name, {}).get("units", {})
        for rows in units.values():
            quarters = flow_periods(rows, parse).quarters
            by_period: dict[tuple[date, date], tuple[date, float]] = {}
            for r in rows:
                if "start" in r:
                    period = (parse(r["start"]), parse(r["end"]))
                    if period not in by_period or parse(r["filed"]) >= by_period[period][0]:
                        by_period[period] = (parse(r["filed"]), r["val"])
            for (start, end), (_, fy_value) in by_period.items():
                if not 350 <= (end - start).days + 1 <= 380:
                    continue
                nine = [(s, e) for (s, e) in by_period if s == start and 260 <= (e - s).days + 1 <= 285]
                q4 = next(((s, e) for (s, e) in quarters if e == end and (e - s).days < 110), None)
                if not nine or q4 is None or q4[0] != nine[0][1].fromordinal(nine[0][1].toordinal() + 1):
                    continue
                has_direct = (q4[0], end) in by_period
                if not has_direct:
                    expected = OLD_BASIS_Q4.get((ticker, concept.name, str(end)), fy_value - by_period[nine[0]][1])
                    assert quarters[q4][-1].value == pytest.approx(expected)
                    checked += 1
    assert checked > 0


def test_restatement_is_a_new_version_and_comparatives_are_not(metrics) -> None:
    """A 10-Q, then the same value again in next year's 10-Q (a comparative), then an 8-K
    recast (fy/fp null) with a different year-to-date figure."""

    def fact(start, end, val, accn, filed, form="10-Q", fy=2024, fp="Q2"):
        return {"start": start, "end": end, "val": val, "accn": accn, "fy": fy, "fp": fp, "form": form, "filed": filed}

    rows = [
        fact("2024-01-01", "2024-03-31", 100, "0000000001-24-000001", "2024-04-25", fp="Q1"),
        fact("2024-01-01", "2024-06-30", 250, "0000000001-24-000002", "2024-07-25"),
        fact("2024-01-01", "2024-06-30", 250, "0000000001-25-000002", "2025-07-24", fy=2025),
        fact("2024-01-01", "2024-06-30", 270, "0000000001-25-000009", "2025-09-02", form="8-K", fy=None, fp=None),
    ]
    payload = {"cik": 1, "entityName": "Example Corp", "facts": {"us-gaap": {"PaymentsToAcquirePropertyPlantAndEquipment": {"units": {"USD": rows}}}}}
    batch = normalize_companyfacts(payload, "EXM", metrics)
    q2 = [o for o in batch.observations if o.series == "sec.EXM.capex" and o.period_end == date(2024, 6, 30)]
    # The recast restates the six months but does not report the three months again: 270 - 100
    # would mix a restated total with a part of the old basis, so Q2 keeps 150 (one basis).
    assert [(o.period_start, o.value, o.known_at) for o in q2] == [
        (date(2024, 4, 1), 150.0, new_york_day_end(date(2024, 7, 25))),
    ]
    assert [parse_source_ref(o.source_ref) for o in q2] == [
        ("0000000001-24-000002", 2024, 2),
    ]


def test_restatement_round_trips_through_the_store(store, metrics) -> None:
    rows = [
        {"start": "2024-10-01", "end": "2024-12-31", "val": 40.0, "accn": "0000000002-25-000001", "filed": "2025-02-10", "form": "10-K"},
        {"start": "2024-10-01", "end": "2024-12-31", "val": 42.5, "accn": "0000000002-25-000007", "filed": "2025-05-01", "form": "10-K/A"},
        {"start": "2025-01-01", "end": "2025-03-31", "val": 44.0, "accn": "0000000002-25-000008", "filed": "2025-05-01", "form": "10-Q"},
    ]
    payload = {"cik": 2, "entityName": "Example Two", "facts": {"us-gaap": {"Revenues": {"units": {"USD": rows}}}}}
    store.add_batch(normalize_companyfacts(payload, "EXT", metrics))
    assert store.add_batch(normalize_companyfacts(payload, "EXT", metrics)).observations_added == 0
    before = store.as_of("sec.EXT.revenue", datetime(2025, 4, 30))
    after = store.as_of("sec.EXT.revenue", new_york_day_end(date(2025, 5, 1)))
    assert list(before["value"]) == [40.0]
    assert list(after["value"]) == [42.5, 44.0]
    assert parse_source_ref(after["source_ref"].iloc[0])[0] == "0000000002-25-000007"


def test_currencies_are_never_mixed(shared_data: Path, metrics) -> None:
    """Among monetary series, one currency per series; share counts are in shares; the
    computed margins (sec_derived) are ratios of two amounts in one currency."""
    batch = normalize_companyfacts(_load(shared_data, "TSM"), "TSM", metrics)
    units = {s.key: (s.unit, s.frequency) for s in batch.series}
    assert units["sec.TSM.revenue"] == ("TWD", "annual")
    assert units["sec.TSM.revenue.USD"] == ("USD", "annual")
    shares = "sec.TSM.EntityCommonStockSharesOutstanding"
    assert units[shares][0] == "shares"
    ratios = {f"sec.TSM.{m}" for m in ("gross_margin", "operating_margin", "capex_to_revenue")}
    for o in batch.observations:
        if o.series == shares:
            assert o.unit == "shares"
        elif o.series in ratios:
            assert o.unit == "ratio"
        else:
            assert o.unit == ("USD" if o.series.endswith(".USD") else "TWD")
    asml = normalize_companyfacts(_load(shared_data, "ASML"), "ASML", metrics)
    by_unit: dict[str, set[str]] = {}
    for o in asml.observations:
        by_unit.setdefault(o.unit, set()).add(o.series)
    assert by_unit.pop("ratio") <= {f"sec.ASML.{m}" for m in ("gross_margin", "operating_margin", "capex_to_revenue")}
    assert by_unit == {"shares": {"sec.ASML.EntityCommonStockSharesOutstanding"}, "EUR": by_unit["EUR"]}
    assert "sec.ASML.revenue" in by_unit["EUR"]


def test_instants_are_period_end_values(shared_data: Path, metrics) -> None:
    batch = normalize_companyfacts(_load(shared_data, "IREN"), "IREN", metrics)
    rpo = [o for o in batch.observations if o.series == "sec.IREN.rpo"]
    assert rpo and all(o.period_start == o.period_end for o in rpo)
    info = next(s for s in batch.series if s.key == "sec.IREN.rpo")
    assert info.kind is SeriesKind.INSTANT


def test_concepts_by_name_and_user_metrics(tmp_path: Path, shared_data: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text('[metrics.ppe_payments]\nkind = "flow"\ntitle = "PP&E"\nconcepts = ["us-gaap:PaymentsToAcquireProductiveAssets"]\n')
    metrics = load_metrics(extra)
    batch = normalize_companyfacts(_load(shared_data, "CLS"), "CLS", metrics, ["PaymentsToAcquireProductiveAssets"])
    a = _latest(batch, "sec.CLS.ppe_payments")
    b = _latest(batch, "sec.CLS.PaymentsToAcquireProductiveAssets")
    assert a and a == b


@pytest.mark.parametrize(
    "year_end, period_end, label",
    [
        (date(2025, 9, 27), date(2024, 12, 28), (2025, 1)),  # Apple
        (date(2025, 9, 27), date(2023, 9, 30), (2023, 4)),  # a 53-week year
        (date(2026, 1, 25), date(2025, 4, 27), (2026, 1)),  # NVIDIA: FY2026 ends January 2026
        (date(2026, 1, 25), date(2024, 1, 28), (2024, 4)),
        (date(2025, 12, 31), date(2025, 6, 30), (2025, 2)),
        (date(2025, 6, 30), date(2025, 9, 30), (2026, 1)),  # IREN: year ends June
    ],
)
def test_fiscal_labels(year_end: date, period_end: date, label: tuple[int, int]) -> None:
    assert FiscalCalendar(year_end).label(period_end) == label
