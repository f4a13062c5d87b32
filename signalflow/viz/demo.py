"""``signalflow demo``: theses backtested on real history bundled with the package.

    result = run_demo(out_dir=Path("signalflow-demo"))
    for t in result.theses: print(t.thesis.id, [e.text() for e in t.events])

The facts (``signalflow/data/demo/facts.csv``) are real published figures, one per row with
its source and the instant it became public: NVIDIA's quarterly Data Center revenue, the
four hyperscalers' quarterly cash capex, and weekly closes of the high-yield spread and the
10-year yield, 2023-2025; ERCOT's interconnection queue, report by report from 2025-01 to
2026-02 (``grid_facts.csv``, extracted from the real GIS reports by the snapshot readers:
:mod:`signalflow.bundled.grid_facts`); and the valuation facts of ``signalflow/data/valuation`` (NVIDIA
and Vertiv weekly closes, Vertiv's filed revenue, operating income and share counts). They
are served from memory (no database, no network), so the demo runs offline in seconds. The
theses are the three demo theses (``demo_power_queue``, on the ERCOT queue, over its own span:
:data:`DEMO_SPANS`) and the bundled copies of the example valuation theses
(``rules/vrt_valuation.yaml``, ``rules/nvda_valuation.yaml``) that these facts can drive.

Each thesis tells its story: the alerts that would have been sent (as the live path would
announce them: a Soft Warning held back by a Kill Switch is not shown firing or resolving),
days in each Growth x Liquidity quadrant, what its chart leaves out for want of bundled data,
the inputs whose data end before the demo does, and a closing sentence
(:mod:`signalflow.viz.story`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.thesis.model import Thesis
from signalflow.thesis.results import Backtest
from signalflow.bundled.facts import demo_dir, facts_provider, valuation_dir
from signalflow.viz.story import Episode

if TYPE_CHECKING:
    from signalflow.viz.chart import ChartData, LeftOut

DEMO_END = datetime(2025, 12, 31)
# Theses whose bundled facts are not those of DEMO_END, backtested over their own span
# (start, end): the ERCOT extract runs from the report run 2025-01-01 to the one run
# 2026-02-01 (known 2026-02-02).
DEMO_SPANS = {"demo_power_queue": (datetime(2025, 1, 1), datetime(2026, 2, 28))}


def demo_span(thesis: Thesis, end: datetime = DEMO_END) -> tuple[datetime | None, datetime]:
    """The start (None: its first known value) and end of ``thesis``'s backtest: its own
    (:data:`DEMO_SPANS`) when the demo runs to :data:`DEMO_END`, else up to ``end``."""
    return DEMO_SPANS.get(thesis.id, (None, end)) if end == DEMO_END else (None, end)


@dataclass(frozen=True)
class DemoEvent:
    """A rule that started firing, or stopped, in the backtest."""

    at: datetime
    rule: str
    severity: str
    event: str  # firing | resolved
    summary: str

    def text(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M}  {self.severity} {self.rule} {self.event}"

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "rule": self.rule, "severity": self.severity, "event": self.event,
                "summary": self.summary}


@dataclass
class DemoThesis:
    thesis: Thesis
    backtest: Backtest
    events: list[DemoEvent]  # as announced
    chart: Path | None
    inputs: dict[str, str]  # series ref -> one source line (the first fact's)
    episodes: list[Episode] = field(default_factory=list)
    quadrant_days: dict[str, int] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)  # chart panels without data
    ends_early: dict[str, datetime] = field(default_factory=dict)  # ref -> last release
    closing: str = ""
    data: ChartData | None = field(default=None, repr=False)  # what its chart shows
    end: datetime = DEMO_END  # the end of its backtest

    def to_json(self) -> dict[str, Any]:
        final = self.backtest.final
        return {
            "thesis": self.thesis.id,
            "title": self.thesis.title,
            "layer": self.thesis.layer,
            "end": self.end.isoformat(),
            "events": [e.to_json() for e in self.events],
            "final_state": final.state.value if final else None,
            "final_quadrant": final.quadrant.value if final else None,
            "quadrant_days": self.quadrant_days,
            "chart": str(self.chart) if self.chart else None,
            "left_out_of_chart": [
                {"input": x.label, "rules": list(x.owners), "reason": x.reason()} for x in self.left_out
            ],
            "inputs_end_early": {ref: at.isoformat() for ref, at in self.ends_early.items()},
            "inputs": self.inputs,
            "closing": self.closing,
        }


@dataclass
class DemoResult:
    end: datetime
    facts: int
    theses: list[DemoThesis] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"end": self.end.isoformat(), "facts": self.facts, "theses": [t.to_json() for t in self.theses]}


def demo_theses() -> list[Thesis]:
    """The demo theses (``signalflow/data/demo/rules``)."""
    return _bundled_theses(demo_dir() / "rules")


def valuation_theses() -> list[Thesis]:
    """The bundled theses the valuation facts can drive: the variant of
    ``rules/nvda_valuation.yaml`` and ``vrt_valuation`` (``signalflow/data/valuation/rules``)."""
    return _bundled_theses(valuation_dir() / "rules")


def _bundled_theses(rules: Path) -> list[Thesis]:
    from signalflow.thesis.loader import load_rules_dir

    ruleset = load_rules_dir(rules)
    ruleset.raise_for_errors()
    return list(ruleset.theses)


def events_of(thesis: Thesis, bt: Backtest) -> list[DemoEvent]:
    """The firings and resolutions that would have been announced, in time order: those of
    :func:`signalflow.thesis.explain.backtest_summary` (a Soft Warning that fires while a
    Kill Switch fires is announced only once no Kill Switch fires, and its resolution only if
    its firing was)."""
    from signalflow.thesis.explain import backtest_summary

    if bt.timeline.empty:
        return []
    summaries = {r.name: r.summary for r in thesis.rules}
    notes = backtest_summary(bt, bt.timeline.index[-1].to_pydatetime())["notifications"]
    return [
        DemoEvent(datetime.fromisoformat(n["at"]), n["rule"], n["severity"], n["event"], summaries.get(n["rule"], ""))
        for n in notes
    ]


def tell(
    thesis: Thesis, bt: Backtest, end: datetime, data: ChartData, chart: Path | None, inputs: dict[str, str]
) -> DemoThesis:
    """The story of one backtest, from its announcements and its chart data."""
    from signalflow.viz.chart import last_releases
    from signalflow.viz.story import closing, episodes, quadrant_days

    events = events_of(thesis, bt)
    eps = episodes(events)
    early = {ref: last for ref, (last, step) in sorted(last_releases(bt.inputs).items()) if last + step < end}
    final = bt.final
    state = final.state.value if final else None
    quadrant = final.quadrant.value if final else None
    return DemoThesis(
        thesis, bt, events, chart, inputs, eps, quadrant_days(data.quadrants), list(data.left_out), early,
        closing(data.start, end, eps, state, quadrant, early), data, end,
    )


def run_demo(
    out_dir: Path | None = None, end: datetime = DEMO_END, on_thesis=None, theses: list[Thesis] | None = None
) -> DemoResult:
    """Backtest every demo thesis (or ``theses``) on the bundled facts up to ``end`` (a thesis
    of :data:`DEMO_SPANS` over its own span when ``end`` is :data:`DEMO_END`); with ``out_dir``,
    write a chart per thesis there (``<thesis>.png``). ``on_thesis`` is called after each one."""
    from signalflow.thesis.context import thesis_refs
    from signalflow.thesis.engine import backtest
    from signalflow.bundled.grid_facts import grid_facts
    from signalflow.bundled.valuation_facts import valuation_facts

    facts = valuation_facts() + grid_facts()
    provider = facts_provider(facts)
    sources = {}
    for f in facts:
        sources.setdefault(f.series, f.source)
    result = DemoResult(end, len(facts))
    from signalflow.viz.chart import chart_data

    for thesis in theses if theses is not None else demo_theses() + valuation_theses():
        since, until = demo_span(thesis, end)
        bt = backtest(thesis, provider, since, until)
        data = chart_data(thesis, bt, until, marker_sources=("sec", "news", "csv"))
        chart = None
        if out_dir is not None:
            from signalflow.viz.plot import figure, save

            chart = save(figure(data), Path(out_dir) / f"{thesis.id}.png")
        inputs = {ref: sources.get(ref, "no bundled facts") for ref in sorted(thesis_refs(thesis))}
        result.theses.append(tell(thesis, bt, until, data, chart, inputs))
        if on_thesis is not None:
            on_thesis(thesis)
    return result
