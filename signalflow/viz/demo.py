"""``signalflow demo``: theses backtested on real history bundled with the package.

    result = run_demo(out_dir=Path("signalflow-demo"))
    for t in result.theses: print(t.thesis.id, [e.text() for e in t.events])

The facts (``signalflow/data/demo/facts.csv``) are real published figures, one per row with
its source and the instant it became public: NVIDIA's quarterly Data Center revenue, the
four hyperscalers' quarterly cash capex, and weekly closes of the high-yield spread and the
10-year yield, 2023-2025; and the valuation facts of ``signalflow/data/valuation`` (NVIDIA
and Vertiv weekly closes, Vertiv's filed revenue, operating income and share counts). They
are served from memory (no database, no network), so the demo runs offline in seconds. The
theses are the two demo theses and the bundled copies of the example valuation theses
(``rules/vrt_valuation.yaml``, ``rules/nvda_valuation.yaml``) that these facts can drive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from signalflow.thesis.model import Thesis
from signalflow.thesis.results import Backtest, RuleState
from signalflow.bundled.facts import demo_dir, facts_provider, valuation_dir

DEMO_END = datetime(2025, 12, 31)


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
    events: list[DemoEvent]
    chart: Path | None
    inputs: dict[str, str]  # series ref -> one source line (the first fact's)

    def to_json(self) -> dict[str, Any]:
        final = self.backtest.final
        return {
            "thesis": self.thesis.id,
            "title": self.thesis.title,
            "layer": self.thesis.layer,
            "events": [e.to_json() for e in self.events],
            "final_state": final.state.value if final else None,
            "chart": str(self.chart) if self.chart else None,
            "inputs": self.inputs,
        }


@dataclass
class DemoResult:
    end: datetime
    facts: int
    theses: list[DemoThesis] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"end": self.end.isoformat(), "facts": self.facts, "theses": [t.to_json() for t in self.theses]}


def demo_theses() -> list[Thesis]:
    """The two demo theses (``signalflow/data/demo/rules``)."""
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
    """Firing and resolved transitions, in time order."""
    summaries = {r.name: r.summary for r in thesis.rules}
    out = []
    for tr in bt.transitions:
        if tr.to_state is RuleState.FIRING:
            event = "firing"
        elif tr.from_state is RuleState.FIRING:
            event = "resolved"
        else:
            continue
        out.append(DemoEvent(tr.at, tr.rule, tr.severity, event, summaries.get(tr.rule, "")))
    return out


def run_demo(out_dir: Path | None = None, end: datetime = DEMO_END, on_thesis=None) -> DemoResult:
    """Backtest every demo thesis on the bundled facts up to ``end``; with ``out_dir``, write a
    chart per thesis there (``<thesis>.png``). ``on_thesis`` is called after each one."""
    from signalflow.thesis.context import thesis_refs
    from signalflow.thesis.engine import backtest
    from signalflow.bundled.valuation_facts import valuation_facts

    facts = valuation_facts()
    provider = facts_provider(facts)
    sources = {}
    for f in facts:
        sources.setdefault(f.series, f.source)
    result = DemoResult(end, len(facts))
    for thesis in demo_theses() + valuation_theses():
        bt = backtest(thesis, provider, None, end)
        chart = None
        if out_dir is not None:
            from signalflow.viz.chart import chart_data
            from signalflow.viz.plot import figure, save

            data = chart_data(thesis, bt, end, marker_sources=("sec", "news", "csv"))
            chart = save(figure(data), Path(out_dir) / f"{thesis.id}.png")
        inputs = {ref: sources.get(ref, "no bundled facts") for ref in sorted(thesis_refs(thesis))}
        result.theses.append(DemoThesis(thesis, bt, events_of(thesis, bt), chart, inputs))
        if on_thesis is not None:
            on_thesis(thesis)
    return result
