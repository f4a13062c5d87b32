"""SEC companyfacts -> point-in-time observations of ``sec.TICKER.metric`` series.

Flows are discrete fiscal quarters (see :mod:`signalflow.sources.sec_periods`); instants
(``rpo``) are period-end values. ``known_at`` is when EDGAR accepted the filing that reported
the value (for a derived quarter, the filing that completed it): its ``acceptanceDateTime``
from ``submissions`` when known (basis EXACT, :mod:`.sec_accepted`), else the end of its
filing day in New York (basis END_OF_DAY), and never later than the collection (COLLECTED).

``source_ref`` is ``"<accession> FY<year>Q<n>"`` (``"<accession> FY<year>"`` for an annual
period): the accession number of that filing, then the fiscal period it covers, because
fiscal labels cannot be recomputed from the dates alone. A value from two filings names
both, the one that made it known first: Apple's fiscal 2009 Q4 revenue from 2010-07-21 is
``"0001193125-10-162840 0001193125-10-012091 FY2009Q4"``, the nine months of the 10-Q of that
day and the year of the 10-K/A of 2010-01-25 (which part each filing gave is found by its
period in the filing); a margin computed from two concepts (:mod:`.sec_derived`) names the
filings of both parts the same way. :func:`parse_source_ref` splits it;
:func:`source_accessions` gives every accession.

Concept switches. A metric lists its concepts in order. A concept is *current* when it
reports the company's latest period of that metric (within one quarter); current concepts
rank before retired ones, and the file order decides within each group. For every period,
the value comes from the highest-ranked concept that has one *known at that instant*: the
series continues across a switch (Vertiv: ``Revenues`` until 2019, then
``RevenueFromContractWithCustomerExcludingAssessedTax``), and where both overlap it follows
the concept the company uses today.

Currencies are never mixed among monetary series. The company's *reporting currency* is the
currency unit with the most facts among its canonical concepts; ``sec.T.metric`` holds values
in it, and every other currency a metric is filed in is its own series ``sec.T.metric.UNIT``
(TSMC: ``sec.TSM.revenue`` in TWD and ``sec.TSM.revenue.USD``). The same holds for concepts
read by name. A concept filed in no currency keeps its own unit: share counts are in ``shares``.

Cover-page share count. Every payload also yields ``sec.T.EntityCommonStockSharesOutstanding``
(dei, :data:`COVER_CONCEPTS`), unit ``shares``: one instant per cover-page date (a date shortly
before the filing), known when its filing became public (as above), so that valuation (market cap = price
x shares) works from an imported file as well as from collection.

Annual-only filers (20-F: TSMC, ASML) have no quarters to derive; their flow series hold
fiscal years instead, and say so in ``SeriesInfo.frequency`` ("annual").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from collections.abc import Mapping
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
from signalflow.sources.sec_concepts import TAXONOMIES, Concept, Metric, MetricKind
from signalflow.sources.sec_derived import Resolved, derive
from signalflow.sources.sec_periods import (
    DateParser,
    FiscalCalendar,
    History,
    Period,
    Version,
    flow_periods,
    instant_periods,
    one_per_end,
    prefer,
)
from signalflow.sources.validate import in_range

CURRENCY = re.compile(r"^[A-Z]{3}$")
ACCESSION = re.compile(r"\b\d{10}-\d{2}-\d{6}\b")
# Read from every payload by name, whether or not a thesis references them: valuation needs them.
COVER_CONCEPTS = ("EntityCommonStockSharesOutstanding",)
CURRENT_WINDOW_DAYS = 100
ZONE = PUBLISHER_ZONES["sec"]


@dataclass
class _Candidate:
    """One concept in one unit, reduced to period histories."""

    concept: Concept
    unit: str
    periods: dict[Period, History]
    annual: bool = False


def parse_source_ref(ref: str) -> tuple[str, int | None, int | None]:
    """``"0000320193-25-000057 FY2025Q2"`` -> (accession, 2025, 2); missing parts are None.
    Of a value's accessions, the first (the filing that made it known)."""
    words = ref.split()
    accn = words[0] if words else ""
    match = re.fullmatch(r"FY(\d{4})(?:Q([1-4]))?", words[-1]) if len(words) > 1 else None
    if not match:
        return accn, None, None
    return accn, int(match.group(1)), int(match.group(2)) if match.group(2) else None


def source_accessions(ref: str) -> tuple[str, ...]:
    """Every accession number named in ``source_ref``, the one that made the value known first."""
    return tuple(ACCESSION.findall(ref))


def find_concept(facts: dict, name: str) -> tuple[Concept, dict] | None:
    """A concept by bare name (``PaymentsToAcquirePropertyPlantAndEquipment``) in any taxonomy."""
    for taxonomy in (*TAXONOMIES, *(t for t in facts if t not in TAXONOMIES)):
        found = facts.get(taxonomy, {}).get(name)
        if found is not None:
            return Concept(taxonomy, name), found
    return None


def _units(facts: dict, concept: Concept) -> dict[str, list[dict]]:
    return (facts.get(concept.taxonomy, {}).get(concept.name) or {}).get("units") or {}


def reporting_currency(facts: dict, metrics: Iterable[Metric]) -> str:
    """The currency unit with the most facts among the canonical concepts (USD when none)."""
    counts: Counter[str] = Counter()
    for metric in metrics:
        for concept in metric.concepts:
            for unit, rows in _units(facts, concept).items():
                if CURRENCY.match(unit):
                    counts[unit] += len(rows)
    return counts.most_common(1)[0][0] if counts else "USD"


class FactsNormalizer:
    """Turns one company's companyfacts payload into series and observations."""

    def __init__(
        self,
        payload: dict,
        ticker: str,
        metrics: dict[str, Metric],
        accepted: Mapping[str, datetime] | None = None,
        collected_at: datetime | None = None,
    ) -> None:
        self.payload = payload
        self.accepted = accepted or {}
        self.collected_at = collected_at
        self.facts = payload.get("facts") or {}
        self.ticker = ticker.upper()
        self.metrics = metrics
        self.entity = payload.get("entityName") or self.ticker
        self.cik = int(payload.get("cik") or 0)
        self.currency = reporting_currency(self.facts, metrics.values())
        self._parse = DateParser()
        self._cache: dict[tuple[Concept, str, bool], _Candidate] = {}
        self._year_ends: list[date] = []

    def _candidate(self, concept: Concept, unit: str, rows: list[dict], instant: bool) -> _Candidate:
        key = (concept, unit, instant)
        found = self._cache.get(key)
        if found is None:
            if instant:
                found = _Candidate(concept, unit, instant_periods(rows, self._parse))
            else:
                flows = flow_periods(rows, self._parse)
                self._year_ends.extend(end for _, end in flows.years)
                if flows.quarters:
                    found = _Candidate(concept, unit, flows.quarters)
                else:
                    found = _Candidate(concept, unit, flows.years, annual=True)
            self._cache[key] = found
        return found

    def _by_unit(self, concepts: Iterable[Concept], instant: bool) -> dict[str, list[_Candidate]]:
        by_unit: dict[str, list[_Candidate]] = {}
        for concept in concepts:
            for unit, rows in _units(self.facts, concept).items():
                by_unit.setdefault(unit, []).append(self._candidate(concept, unit, rows, instant))
        return by_unit

    def build(self, concept_names: Iterable[str] = ()) -> Batch:
        """Every canonical metric the company reports, the cover-page concepts, and the named
        concepts."""
        parts: list[tuple[str, str, SeriesKind, list[_Candidate]]] = []
        for metric in self.metrics.values():
            instant = metric.kind is MetricKind.INSTANT
            kind = SeriesKind.INSTANT if instant else SeriesKind.FLOW
            by_unit = {u: c for u, c in self._by_unit(metric.concepts, instant).items() if CURRENCY.match(u)}
            for unit, candidates in by_unit.items():
                parts.append((self._key(metric.name, unit), metric.title, kind, candidates))
        for name in dict.fromkeys((*COVER_CONCEPTS, *concept_names)):
            found = find_concept(self.facts, name)
            if found is None:
                continue
            concept, spec = found
            rows = next(iter(spec.get("units", {}).values()), [])
            instant = bool(rows) and sum(1 for r in rows if "start" in r) * 2 < len(rows)
            kind = SeriesKind.INSTANT if instant else SeriesKind.FLOW
            by_unit = self._by_unit([concept], instant)
            main = self.currency if self.currency in by_unit else max(by_unit, key=lambda u: len(by_unit[u]), default="")
            for unit, candidates in by_unit.items():
                key = f"sec.{self.ticker}.{name}" + ("" if unit == main else f".{_unit_key(unit)}")
                parts.append((key, spec.get("label") or name, kind, candidates))

        resolved = {key: r for key, title, kind, candidates in parts if (r := _resolve(key, title, kind, candidates))}
        resolved.update(derive(resolved, f"sec.{self.ticker}."))
        fiscal = FiscalCalendar.from_year_ends(self._year_ends)
        batch = Batch()
        for series in resolved.values():
            self._emit(batch, series, fiscal)
        return batch

    def _key(self, metric: str, unit: str) -> str:
        base = f"sec.{self.ticker}.{metric}"
        return base if unit == self.currency else f"{base}.{_unit_key(unit)}"

    def _emit(self, batch: Batch, series: Resolved, fiscal: FiscalCalendar) -> None:
        for period, versions in series.periods.items():
            year, quarter = fiscal.label(period[1])
            label = f"FY{year}" if series.annual else f"FY{year}Q{quarter}"
            previous: datetime | None = None
            for v in versions:
                known_at, basis = self.known_at(v)
                if previous is not None and known_at <= previous:
                    # A newer version never shows before the one it replaces.
                    known_at = previous + timedelta(microseconds=1)
                previous = known_at
                batch.observations.append(
                    Observation(
                        series=series.key,
                        period_start=period[0],
                        period_end=period[1],
                        value=float(v.value),
                        known_at=known_at,
                        unit=series.unit,
                        source_ref=_source_ref(v.accns, label),
                        known_at_basis=basis,
                    )
                )
        batch.series.append(
            SeriesInfo(
                key=series.key,
                source="sec",
                kind=series.kind,
                unit=series.unit,
                frequency="annual" if series.annual else "quarterly",
                title=f"{self.entity}: {series.title} ({', '.join(series.used)})",
                url=company_url(self.cik),
            )
        )


    def known_at(self, version: Version) -> tuple[datetime, KnownAtBasis]:
        """When a version became public: the acceptance of the filing that completed it, when
        that falls on its filing day or the evening before (EDGAR dates filings accepted after
        17:30 ET to the next business day), else the end of the filing day in New York. A value
        computed from several filings takes the latest acceptance among them."""
        day_end = end_of_day(version.known, ZONE)
        times = [
            t
            for accn in version.accns
            if (t := self.accepted.get(accn)) is not None and day_end - timedelta(days=5) <= t < day_end
        ]
        if times:
            return capped(max(times), KnownAtBasis.EXACT, self.collected_at)
        return capped(day_end, KnownAtBasis.END_OF_DAY, self.collected_at)


def _resolve(key: str, title: str, kind: SeriesKind, candidates: list[_Candidate]) -> Resolved | None:
    """One history per period from a metric's candidate concepts (see the module docstring)."""
    quarterly = [c for c in candidates if c.periods and not c.annual]
    chosen = quarterly or [c for c in candidates if c.periods]
    if not chosen:
        return None
    ranked = _rank(chosen)
    periods = one_per_end(set().union(*(c.periods for c in ranked)))
    annual = not quarterly if kind is SeriesKind.FLOW else _median_gap(periods) > 200
    used: list[str] = []
    histories: dict[Period, History] = {}
    for period in periods:
        histories[period] = prefer([c.periods.get(period, []) for c in ranked])
        for c in ranked:
            if period in c.periods and str(c.concept) not in used:
                used.append(str(c.concept))
    return Resolved(key, title, kind, ranked[0].unit, annual, histories, tuple(used))


def _source_ref(accns: tuple[str, ...], label: str) -> str:
    """Every accession a value came from, the one that made it known first, then the fiscal
    label."""
    return " ".join([*dict.fromkeys(a for a in accns if a), label])


def _rank(candidates: list[_Candidate]) -> list[_Candidate]:
    """Current concepts first (they report the latest period), then the metric's order."""
    latest = {id(c): max(end for _, end in c.periods) for c in candidates}
    newest = max(latest.values())
    return sorted(
        candidates, key=lambda c: (newest.toordinal() - latest[id(c)].toordinal() > CURRENT_WINDOW_DAYS)
    )


def _median_gap(periods: Iterable[Period]) -> int:
    ends = sorted({end for _, end in periods})
    gaps = sorted((b - a).days for a, b in zip(ends, ends[1:]))
    return gaps[len(gaps) // 2] if gaps else 0


def _unit_key(unit: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", unit)


def company_url(cik: int) -> str:
    """The company's EDGAR filing index, for people."""
    return f"https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK={cik:010d}&type=10-&owner=include"


def normalize_companyfacts(
    payload: dict,
    ticker: str,
    metrics: dict[str, Metric],
    concepts: Iterable[str] = (),
    accepted: Mapping[str, datetime] | None = None,
    collected_at: datetime | None = None,
    origin: str = "companyfacts",
) -> Batch:
    """Series and observations for every canonical metric, and for ``concepts`` by name;
    ``accepted`` maps accessions to their acceptance instants, ``collected_at`` caps known_at.
    A fact that is not a finite number with real dates is a PayloadError naming it."""
    check_facts(payload, origin)
    return FactsNormalizer(payload, ticker, metrics, accepted, collected_at).build(concepts)


def check_facts(payload: dict, origin: str) -> None:
    """Every fact row has a finite ``val`` and ISO ``end``/``filed`` (and ``start``) dates
    the store can hold: one NaN would otherwise become the current version of its quarter."""
    facts = payload.get("facts")
    if not isinstance(facts, dict):
        raise PayloadError(origin, "'facts' is not an object")
    for taxonomy, concepts in facts.items():
        if not isinstance(concepts, dict):
            raise PayloadError(origin, f"facts.{taxonomy} is not an object")
        for name, spec in concepts.items():
            units = spec.get("units") if isinstance(spec, dict) else None
            if not isinstance(units, dict):
                raise PayloadError(origin, f"{taxonomy}:{name}: 'units' is not an object")
            for unit, rows in units.items():
                if not isinstance(rows, list):
                    raise PayloadError(origin, f"{taxonomy}:{name} {unit}: the facts are not a list")
                for index, row in enumerate(rows):
                    problem = _fact_problem(row)
                    if problem:
                        raise PayloadError(origin, f"{taxonomy}:{name} {unit} fact {index}: {problem}")


def _fact_problem(row: object) -> str:
    if not isinstance(row, dict):
        return "not an object"
    val = row.get("val")
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
        return f"val {val!r} is not a finite number"
    for key in ("end", "filed", "start"):
        text = row.get(key)
        if text is None and key == "start":
            continue
        try:
            day = date.fromisoformat(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return f"{key} {text!r} is not a date (YYYY-MM-DD)"
        if not in_range(day):
            return f"{key} {text} is outside the dates the store can hold"
    return ""
