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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from signalflow.thesis.model import Thesis
from signalflow.thesis.results import FRAME_COLUMNS, Backtest, RuleState, SeriesFrame

DEMO_END = datetime(2025, 12, 31)


def demo_dir() -> Path:
    return Path(str(resources.files("signalflow") / "data" / "demo"))


@dataclass(frozen=True)
class Fact:
    series: str
    period_start: datetime
    period_end: datetime
    value: float
    unit: str
    known_at: datetime
    source: str


def load_facts(path: Path | None = None) -> list[Fact]:
    """Every bundled fact, in file order."""
    frame = pd.read_csv(path or demo_dir() / "facts.csv", comment="#", parse_dates=["period_start", "period_end", "known_at"])
    return [
        Fact(r.series, r.period_start.to_pydatetime(), r.period_end.to_pydatetime(), float(r.value), r.unit,
             r.known_at.to_pydatetime(), r.source)
        for r in frame.itertuples(index=False)
    ]


class FactsProvider:
    """A SeriesProvider over literal facts (each fact one version of one period)."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        rows = pd.DataFrame([f.__dict__ for f in facts])
        self._frames: dict[str, pd.DataFrame] = {}
        for key, part in rows.groupby("series", sort=False):
            data = part.rename(columns={"source": "source_ref"})[FRAME_COLUMNS].copy()
            for col in ("period_start", "period_end", "known_at"):
                data[col] = data[col].astype("datetime64[ns]")
            self._frames[str(key)] = data.sort_values("known_at", kind="stable").reset_index(drop=True)

    def load(self, keys, until: datetime | None = None) -> dict[str, SeriesFrame]:
        from signalflow.thesis.data import default_kind

        out = {}
        for key in keys:
            data = self._frames.get(key)
            if data is None:
                continue
            if until is not None:
                data = data[data["known_at"] <= pd.Timestamp(until)].reset_index(drop=True)
            out[key] = SeriesFrame(key, data, default_kind(key), unit=str(data["unit"].iloc[0]) if len(data) else "")
        return out


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
    from signalflow.thesis.loader import load_rules_dir

    ruleset = load_rules_dir(demo_dir() / "rules")
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
    from signalflow.viz.valuation_facts import valuation_facts, valuation_theses

    facts = valuation_facts()
    provider = FactsProvider(facts)
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

            data = chart_data(thesis, provider, bt, end, marker_sources=("sec", "news", "csv"))
            chart = save(figure(data), Path(out_dir) / f"{thesis.id}.png")
        inputs = {ref: sources.get(ref, "no bundled facts") for ref in sorted(thesis_refs(thesis))}
        result.theses.append(DemoThesis(thesis, bt, events_of(thesis, bt), chart, inputs))
        if on_thesis is not None:
            on_thesis(thesis)
    return result
