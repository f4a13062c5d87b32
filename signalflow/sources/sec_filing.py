"""One filing's XBRL -> customer concentration and contract duration series, point in time.

Series (``T`` the ticker; every value is known at the filing's acceptance time):

- ``sec.T.customer_share[CustomerA]``: the share of revenue of each customer the filing names
  (the member's local name without ``Member``). A filing's "Customer A" is not the next
  filing's: each observation's ``source_ref`` names its filing, and the series only says what
  each filing called Customer A;
- ``sec.T.top_customer_share``: the largest direct customer's share of revenue;
- ``sec.T.customers_over_10pct``: how many direct customers reached 10% of revenue;
- ``sec.T.rpo_within_12m``: the share of remaining performance obligations the filer expects
  to recognise within twelve months, at the balance-sheet date.

Shares are for the shortest period the filing reports that ends at its balance-sheet date (the
quarter where a 10-Q gives the quarter and the year to date; the year in a 10-K); comparative
periods are earlier filings' business. A customer the text calls indirect (an estimate of a
buyer through distributors) has its own ``customer_share`` series but is not counted among
direct customers. A filing that tags no customer revenue share for its period yields no
concentration observation at all: silence is not zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from signalflow.series import Batch, Observation, SeriesInfo, SeriesKind
from signalflow.sources.sec_xbrl import Fact, XbrlDocument, duration_months, local

SHARE = "ConcentrationRiskPercentage1"
RPO = "RevenueRemainingPerformanceObligation"
RPO_PERCENT = "RevenueRemainingPerformanceObligationPercentage"
RPO_PERIOD = "RevenueRemainingPerformanceObligationExpectedTimingOfSatisfactionPeriod1"
RPO_START_AXIS = "RevenueRemainingPerformanceObligationExpectedTimingOfSatisfactionStartDateAxis"
CUSTOMER_AXIS = "MajorCustomersAxis"
BENCHMARK_AXIS = "ConcentrationRiskByBenchmarkAxis"
TYPE_AXIS = "ConcentrationRiskByTypeAxis"
# A customer share may also name the segment it sells to; any other axis (geography, product)
# makes the row a group of customers.
ALLOWED_AXES = {CUSTOMER_AXIS, BENCHMARK_AXIS, TYPE_AXIS, "StatementBusinessSegmentsAxis"}
REVENUE_BENCHMARK = re.compile(r"^(Sales)?Revenue")
SNAP_DAYS = 6
FILING_SERIES = ("customer_share", "top_customer_share", "customers_over_10pct", "rpo_within_12m")


@dataclass(frozen=True, slots=True)
class CustomerShare:
    """One customer's share of revenue over ``start``..``end`` as one filing tags it."""

    member: str  # the member's local name without "Member": CustomerA
    start: date
    end: date
    value: float
    indirect: bool = False


def is_revenue_share(fact: Fact) -> bool:
    """A single customer's share of revenue (not of receivables, not a region's customers)."""
    dims = fact.context.dims
    if fact.concept != SHARE or CUSTOMER_AXIS not in dims or fact.context.start is None:
        return False
    if set(dims) - ALLOWED_AXES:
        return False
    if TYPE_AXIS in dims and local(dims[TYPE_AXIS]) != "CustomerConcentrationRiskMember":
        return False
    return REVENUE_BENCHMARK.match(local(dims.get(BENCHMARK_AXIS, ""))) is not None


def customer_shares(doc: XbrlDocument) -> list[CustomerShare]:
    """Customer revenue shares for the shortest period ending at the balance-sheet date."""
    shares = [f for f in doc.named(SHARE) if is_revenue_share(f) and isinstance(f.value, float)]
    end = doc.period_end or max((f.context.end for f in shares), default=None)
    if end is None:
        return []
    current = [f for f in shares if abs((f.context.end - end).days) <= SNAP_DAYS]
    if not current:
        return []
    shortest = min(f.context.days for f in current)
    found: dict[str, CustomerShare] = {}
    for f in current:
        if f.context.days != shortest:
            continue
        member = re.sub(r"Member$", "", local(f.context.dims[CUSTOMER_AXIS]))
        share = CustomerShare(member, f.context.start, f.context.end, float(f.value), f.indirect)
        if member not in found or share.value > found[member].value:
            found[member] = share
    return sorted(found.values(), key=lambda s: (-s.value, s.member))


def rpo_within_12m(doc: XbrlDocument) -> tuple[date, float] | None:
    """(balance date, share of RPO expected within twelve months), or None when untagged.

    The typed start date of a bucket can be stale (carried over from an earlier filing), so
    buckets are ordered by it but dated by the context's own instant."""
    end = doc.period_end
    months = {
        f.context.id: duration_months(f.value, f.format) if isinstance(f.value, str) else f.value
        for f in doc.named(RPO_PERIOD)
    }

    def first_bucket(facts: list[Fact]) -> Fact | None:
        buckets = [
            f for f in facts
            if RPO_START_AXIS in f.context.dims and set(f.context.dims) == {RPO_START_AXIS}
            and isinstance(f.value, float) and (end is None or f.context.end == end)
        ]
        if not buckets:
            return None
        first = min(buckets, key=lambda f: f.context.dims[RPO_START_AXIS])
        period = months.get(first.context.id)
        return first if period is not None and 11 <= period <= 13 else None

    percent = first_bucket(doc.named(RPO_PERCENT))
    if percent is not None:
        return percent.context.end, float(percent.value)
    amount = first_bucket(doc.named(RPO))
    if amount is None:
        return None
    totals = [
        f.value for f in doc.named(RPO)
        if not f.context.dims and f.context.end == amount.context.end and isinstance(f.value, float)
    ]
    if not totals or not totals[0]:
        return None
    return amount.context.end, float(amount.value) / totals[0]


def filing_batch(doc: XbrlDocument, ticker: str, known_at: datetime, ref: str, url: str = "") -> Batch:
    """The series above from one filing, known at ``known_at``; ``ref`` names the filing
    (its accession number, or the document's name when the accession is not known)."""
    batch = Batch()
    prefix = f"sec.{ticker.upper()}."
    label = _fiscal_label(doc)
    source_ref = f"{ref} {label}" if label else ref
    entity = doc.dei.get("EntityRegistrantName") or ticker.upper()

    def emit(name: str, title: str, start: date, end: date, value: float, unit: str) -> None:
        key = prefix + name
        batch.observations.append(
            Observation(
                series=key, period_start=start, period_end=end, value=value,
                known_at=known_at, unit=unit, source_ref=source_ref,
            )
        )
        if all(s.key != key for s in batch.series):
            batch.series.append(
                SeriesInfo(
                    key=key, source="sec", kind=SeriesKind.LEVEL, unit=unit, frequency="irregular",
                    title=f"{entity}: {title} (from each filing's XBRL)", url=url,
                )
            )

    shares = customer_shares(doc)
    for s in shares:
        kind = "indirect customer" if s.indirect else "customer"
        emit(f"customer_share[{s.member}]", f"share of revenue of the filing's {kind} {s.member}",
             s.start, s.end, s.value, "ratio")
    direct = [s for s in shares if not s.indirect]
    if direct:
        start, end = direct[0].start, direct[0].end
        emit("top_customer_share", "largest direct customer's share of revenue", start, end, direct[0].value, "ratio")
        over = sum(1 for s in direct if s.value >= 0.10 - 1e-9)
        emit("customers_over_10pct", "direct customers with 10% or more of revenue", start, end, float(over), "count")
    rpo = rpo_within_12m(doc)
    if rpo is not None:
        emit("rpo_within_12m", "share of remaining performance obligations expected within 12 months",
             rpo[0], rpo[0], rpo[1], "ratio")
    return batch


def _fiscal_label(doc: XbrlDocument) -> str:
    year = doc.dei.get("DocumentFiscalYearFocus", "").strip()
    period = doc.dei.get("DocumentFiscalPeriodFocus", "").strip().upper()
    if not re.fullmatch(r"\d{4}", year):
        return ""
    return f"FY{year}" + (period if re.fullmatch(r"Q[1-4]", period) else "")


ACCESSION = re.compile(r"(?<!\d)(\d{10})-?(\d{2})-?(\d{6})(?!\d)")


def accession_in(path: Path) -> str | None:
    """The accession number in a saved file's path (EDGAR's ``.../000104581023000175/...`` or a
    folder named ``0001045810-23-000175``), or None."""
    found = ACCESSION.findall(str(path))
    return "-".join(found[-1]) if found else None
