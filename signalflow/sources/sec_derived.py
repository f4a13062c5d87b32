"""Series computed from two SEC metrics: margins, gross profit where untagged, free cash flow.

Each is a discrete quarter (or fiscal year for annual-only filers) computed from two series
on one basis: the same periods, the same currency, both quarterly or both annual. It is
point in time: a version is known when the later of its two parts is known, is recomputed
whenever either part is restated, and names the accessions it came from as every
:class:`~.sec_periods.Version` does: ``accn`` the filing that made it known,
``other_accns`` the others (the observation's ``source_ref`` reads
``"<accn1> <accn2> FY2025Q2"``).

- ``gross_profit``: the tagged GrossProfit where the filer reports it, else
  ``revenue - cost_of_revenue`` (Vertiv files no GrossProfit, only revenue and cost of goods
  sold);
- ``gross_margin`` = gross_profit / revenue, ``operating_margin`` = operating_income /
  revenue, ``capex_to_revenue`` = capex / revenue (unit ``ratio``: 0.25 is 25%);
- ``fcf`` = operating_cash_flow - capex, in the reporting currency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from signalflow.series import SeriesKind
from signalflow.sources.sec_periods import History, Period, Version, latest_pairs, one_per_end, prefer

RATIO_UNIT = "ratio"
# Names a thesis may use besides the metrics of sec_concepts.toml (gross_profit is one of those).
DERIVED_NAMES = ("gross_margin", "operating_margin", "capex_to_revenue", "fcf")

Op = Callable[[float, float], float | None]


@dataclass(frozen=True, slots=True)
class Resolved:
    """One ``sec.T.*`` series ready to emit: one version history per period."""

    key: str
    title: str
    kind: SeriesKind
    unit: str
    annual: bool
    periods: dict[Period, History]
    used: tuple[str, ...]


def _minus(a: float, b: float) -> float:
    # Rounded so that e.g. 81.5M - 36.5M compares equal to a filed 45M.
    return round(a - b, 6)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def combine(a: History, b: History, op: Op) -> History:
    """``op(a, b)`` at every instant either changes, once both are known."""
    out: History = []
    for t, x, y in latest_pairs(a, b):
        value = op(x.value, y.value)
        if value is None:
            continue
        if not out or out[-1].value != value:
            # The part known last comes first: it is the filing that made this version known.
            first, second = (x, y) if x.known >= y.known else (y, x)
            names = tuple(dict.fromkeys((*first.accns, *second.accns)))
            out.append(Version(t, value, names[0], names[1:]))
    return out


def _pair(
    a: Resolved, b: Resolved, op: Op, key: str, title: str, unit: str
) -> Resolved | None:
    """``op(a, b)`` for every period both report, when they are on one basis."""
    if a.annual != b.annual or a.unit != b.unit:
        return None
    periods: dict[Period, History] = {}
    for period in sorted(set(a.periods) & set(b.periods)):
        versions = combine(a.periods[period], b.periods[period], op)
        if versions:
            periods[period] = versions
    if not periods:
        return None
    used = tuple(dict.fromkeys((*a.used, *b.used)))
    # A ratio is a level over the period, never summed over a window as an amount would be.
    kind = SeriesKind.LEVEL if unit == RATIO_UNIT else SeriesKind.FLOW
    return Resolved(key, title, kind, unit, a.annual, periods, used)


def _tagged_first(tagged: Resolved | None, computed: Resolved | None) -> Resolved | None:
    """Per period, the tagged value from the moment it is known, the computed one before."""
    if tagged is None or computed is None or tagged.annual != computed.annual:
        return tagged or computed
    periods = {
        p: prefer([tagged.periods.get(p, []), computed.periods.get(p, [])])
        for p in one_per_end(set(tagged.periods) | set(computed.periods))
    }
    used = tuple(dict.fromkeys((*tagged.used, *computed.used)))
    return replace(tagged, periods={p: h for p, h in periods.items() if h}, used=used)


def derive(series: dict[str, Resolved], prefix: str) -> dict[str, Resolved]:
    """The derived series of one company (``prefix`` is ``"sec.T."``), by key; a tagged
    ``gross_profit`` comes back completed with revenue - cost of revenue where untagged."""
    get = series.get
    revenue, cost = get(prefix + "revenue"), get(prefix + "cost_of_revenue")
    out: dict[str, Resolved] = {}

    def add(found: Resolved | None) -> None:
        if found is not None:
            out[found.key] = found

    computed = None
    if revenue and cost:
        computed = _pair(revenue, cost, _minus, prefix + "gross_profit", "Gross profit", revenue.unit)
    gross = _tagged_first(get(prefix + "gross_profit"), computed)
    add(gross)
    if revenue:
        for name, part, title in (
            ("gross_margin", gross, "Gross margin"),
            ("operating_margin", get(prefix + "operating_income"), "Operating margin"),
            ("capex_to_revenue", get(prefix + "capex"), "Capital expenditure / revenue"),
        ):
            if part is not None:
                add(_pair(part, revenue, _ratio, prefix + name, title, RATIO_UNIT))
    ocf, capex = get(prefix + "operating_cash_flow"), get(prefix + "capex")
    if ocf and capex:
        add(_pair(ocf, capex, _minus, prefix + "fcf", "Free cash flow (operating cash flow - capex)", ocf.unit))
    return out
