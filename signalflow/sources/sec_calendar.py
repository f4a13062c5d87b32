"""When a company's next 10-Q/10-K should arrive, estimated from its submissions history.

The estimate, so a staleness check can tell "no new quarter yet" from "the source is broken":

- the *next period end* is the last periodic report's period end plus one quarter (the same
  day three months on when periods end on a month's last day, else 13 weeks on, for
  52/53-week filers); annual-only filers (20-F, 40-F) add a year;
- the *next form* is the 10-K when that period end falls within ten days of the company's
  ``fiscalYearEnd``, else the 10-Q (annual filers keep their form);
- the *lag* is the median number of days between period end and filing over the company's
  last eight filings of that form (45 days for a 10-Q, 75 for a 10-K, 120 for a 20-F when
  there is no history);
- the filing is *expected by* period end + lag, and *overdue* ``GRACE_DAYS`` after that.

:func:`calendar_batch` also stores the estimate as the series ``sec.TICKER.next_filing``:
one observation per estimate, known from the last periodic filing's acceptance (else the end
of its filing day in New York, never after the collection), whose period runs
from the next period end (``period_start``) to the expected filing date (``period_end``),
with the lag in days as its value and ``"<last accession> <next form>"`` as ``source_ref``.
"""

from __future__ import annotations

import calendar
import enum
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from signalflow.errors import PayloadError
from signalflow.series import (
    PUBLISHER_ZONES,
    Batch,
    KnownAtBasis,
    Observation,
    SeriesInfo,
    SeriesKind,
    capped,
    end_of_day,
)

PERIODIC_FORMS = ("10-Q", "10-K", "20-F", "40-F")
ANNUAL_FORMS = ("10-K", "20-F", "40-F")
DEFAULT_LAG_DAYS = {"10-Q": 45, "10-K": 75, "20-F": 120, "40-F": 120}
GRACE_DAYS = 14
HISTORY = 8


class FilingStatus(str, enum.Enum):
    WAITING = "waiting"  # the next report is not expected yet: no new quarter is normal
    DUE = "due"  # past the expected date, within the grace period
    OVERDUE = "overdue"  # well past it: check the source (or the company is late)


@dataclass(frozen=True, slots=True)
class PeriodicFiling:
    form: str
    period_end: date
    filed: date
    accession: str


@dataclass(frozen=True, slots=True)
class FilingExpectation:
    """The last periodic report and the expected next one."""

    cik: int
    name: str
    ticker: str
    fiscal_year_end: str  # "MMDD" as EDGAR gives it
    last: PeriodicFiling
    next_form: str
    next_period_end: date
    lag_days: int
    expected_by: date

    @property
    def overdue_after(self) -> date:
        return self.expected_by + timedelta(days=GRACE_DAYS)

    def status(self, today: date) -> FilingStatus:
        if today <= self.expected_by:
            return FilingStatus.WAITING
        if today <= self.overdue_after:
            return FilingStatus.DUE
        return FilingStatus.OVERDUE


def periodic_filings(submissions: dict, origin: str = "submissions") -> list[PeriodicFiling]:
    """10-Q/10-K/20-F/40-F filings (amendments excluded), newest first."""
    try:
        recent = submissions["filings"]["recent"]
        columns = zip(recent["form"], recent["reportDate"], recent["filingDate"], recent["accessionNumber"])
    except (KeyError, TypeError) as exc:
        raise PayloadError(origin, f"not an EDGAR submissions payload (missing {exc})") from None
    found = []
    for index, (form, report, filed, accn) in enumerate(columns):
        if form not in PERIODIC_FORMS or not report:
            continue
        try:
            found.append(PeriodicFiling(form, date.fromisoformat(report), date.fromisoformat(filed), str(accn)))
        except (TypeError, ValueError):
            raise PayloadError(
                origin, f"filings.recent[{index}]: reportDate {report!r} or filingDate {filed!r} is not a date"
            ) from None
    return sorted(found, key=lambda f: (f.filed, f.accession), reverse=True)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _near_year_end(day: date, mmdd: str) -> bool:
    if len(mmdd) != 4 or not mmdd.isdigit():
        return False
    month, dom = int(mmdd[:2]), int(mmdd[2:])
    for year in (day.year - 1, day.year, day.year + 1):
        try:
            anchor = date(year, month, min(dom, calendar.monthrange(year, month)[1]))
        except ValueError:
            return False
        if abs((day - anchor).days) <= 10:
            return True
    return False


def expect_next(submissions: dict, origin: str = "submissions") -> FilingExpectation | None:
    """The expected next periodic report, or None for a company that never filed one."""
    filings = periodic_filings(submissions, origin)
    if not filings:
        return None
    last = filings[0]
    mmdd = str(submissions.get("fiscalYearEnd") or "")
    quarterly = any(f.form == "10-Q" for f in filings[:HISTORY])
    month_end = last.period_end.day == calendar.monthrange(last.period_end.year, last.period_end.month)[1]
    if quarterly:
        next_end = _add_months(last.period_end, 3) if month_end else last.period_end + timedelta(weeks=13)
        next_form = "10-K" if _near_year_end(next_end, mmdd) else "10-Q"
    else:
        next_end = _add_months(last.period_end, 12) if month_end else last.period_end + timedelta(weeks=52)
        next_form = last.form
    lags = [(f.filed - f.period_end).days for f in filings if f.form == next_form][:HISTORY]
    lag = round(statistics.median(lags)) if lags else DEFAULT_LAG_DAYS.get(next_form, 60)
    tickers = submissions.get("tickers") or []
    return FilingExpectation(
        cik=int(submissions.get("cik") or 0),
        name=submissions.get("name") or "",
        ticker=(tickers[0] if tickers else "").upper(),
        fiscal_year_end=mmdd,
        last=last,
        next_form=next_form,
        next_period_end=next_end,
        lag_days=lag,
        expected_by=next_end + timedelta(days=lag),
    )


def calendar_batch(
    expectation: FilingExpectation,
    ticker: str,
    accepted: Mapping[str, datetime] | None = None,
    collected_at: datetime | None = None,
) -> Batch:
    """The estimate as the ``sec.TICKER.next_filing`` series (see the module docstring)."""
    key = f"sec.{ticker.upper()}.next_filing"
    filed = expectation.last.filed
    stamp = (accepted or {}).get(expectation.last.accession)
    day_end = end_of_day(filed, PUBLISHER_ZONES["sec"])
    if stamp is not None and stamp < day_end:
        known_at, basis = capped(stamp, KnownAtBasis.EXACT, collected_at)
    else:
        known_at, basis = capped(day_end, KnownAtBasis.END_OF_DAY, collected_at)
    return Batch(
        series=[
            SeriesInfo(
                key=key,
                source="sec",
                kind=SeriesKind.LEVEL,
                unit="days",
                frequency="quarterly",
                title=f"{expectation.name}: expected next periodic filing (period end -> expected date)",
            )
        ],
        observations=[
            Observation(
                series=key,
                period_start=expectation.next_period_end,
                period_end=expectation.expected_by,
                value=float(expectation.lag_days),
                known_at=known_at,
                unit="days",
                source_ref=f"{expectation.last.accession} {expectation.next_form}",
                known_at_basis=basis,
            )
        ],
    )
