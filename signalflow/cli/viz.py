"""Seeing it: ``status`` (the board by bottleneck layer), ``plot``, ``report`` and ``demo``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, parse_when, print_json, setup_logging

RulesOption = Annotated[
    Optional[Path], typer.Option("--rules", "-r", help="Rules directory (default: SIGNALFLOW_RULES_DIR or ./rules).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

STATE_STYLE = {"kill_switch": "bold red", "soft_warning": "yellow", "ok": "green"}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _progress(disabled: bool):
    """A rich progress bar on stderr; off for --json and when stderr is not a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(console=console, transient=True, disable=disabled or not console.is_terminal)


def _open(rules: Path | None):
    from signalflow import service

    settings = load_settings(rules_dir=rules)
    setup_logging(settings)
    return settings, service.open_store(settings)


def _thesis(settings, thesis_id: str):
    from signalflow import service

    theses = {t.id: t for t in service.load_theses(settings)}
    if thesis_id not in theses:
        from signalflow.suggest import did_you_mean

        hint = did_you_mean(thesis_id, theses)
        raise fail(f"unknown thesis {thesis_id!r} in {settings.rules_dir}{'; ' + hint if hint else ''}")
    return theses[thesis_id]


@app.command()
@friendly_errors
def status(rules: RulesOption = None, as_json: JsonOption = False) -> None:
    """The status board: every thesis grouped by bottleneck layer with its state, Growth x
    Liquidity quadrant, since when, firing and pending rules, stalest input and review date
    (flagged once passed); the layer that binds now (the highest share of its theses in
    Soft Warning or Kill Switch) and since when; then the health of every source."""
    from signalflow import service
    from signalflow.errors import SignalflowError
    from signalflow.viz.board import binding, board, by_layer

    settings, store = _open(rules)
    warning = ""
    try:
        try:
            theses = service.load_theses(settings)
        except SignalflowError as exc:
            theses, warning = [], f"rules not loaded ({exc}); showing stored states only"
        rows = board(theses, store.engine_states(), _now().date(), store, waiting=service.waiting_for(settings, store, theses))
        health = store.source_health()
        binds = binding(store)
    finally:
        store.close()
    sources = [
        {
            "source": h.source,
            "last_success": h.last_success,
            "last_attempt": h.last_attempt,
            "consecutive_failures": h.consecutive_failures,
            "last_error": h.last_error,
        }
        for h in health
    ]
    if as_json:
        print_json({
            "theses": [r.to_json() for r in rows],
            "binding": binds.to_json() if binds else None,
            "sources": sources,
            "warning": warning or None,
        })
        return
    from rich.console import Console

    from signalflow.cli.tables import Col, cell, fit_table

    console = Console()
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    columns = [
        Col("layer", 4), Col("thesis", no_wrap=True), Col("state", no_wrap=True), Col("quadrant", 2),
        Col("since", 5, no_wrap=True), Col("firing", 1), Col("pending", 3), Col("stalest input", 6), Col("review by", 7),
    ]
    table_rows = []
    for layer, group in by_layer(rows):
        for i, r in enumerate(group):
            review = r.review_by.isoformat() if r.review_by else ""
            table_rows.append([
                layer if i == 0 else "",
                r.thesis + ("" if r.in_rules else " (not in rules)"),
                cell(r.state, STATE_STYLE.get(r.state, "dim")),
                r.quadrant,
                r.since.strftime("%Y-%m-%d") if r.since else "",
                ", ".join(r.firing),
                ", ".join(r.pending),
                r.stalest.text() if r.stalest else "",
                cell(f"{review} overdue", "bold red") if r.review_overdue else review,
            ])
    console.print(fit_table(columns, table_rows, title="Theses by bottleneck layer", console=console, group=0))
    if binds is not None:
        console.print(binds.text())
    waiting: dict[str, list[str]] = {}
    for r in rows:
        for setting in r.waiting_for:
            waiting.setdefault(setting, []).append(r.thesis)
    for setting, ids in waiting.items():
        console.print(cell(f"{', '.join(ids)}: waiting for: {setting}", "yellow"))
    console.print(
        fit_table(
            [Col("source", no_wrap=True), Col("last success", 2), Col("failures in a row", 1), Col("last error")],
            [[h["source"], _minutes(h["last_success"]), str(h["consecutive_failures"]), h["last_error"]]
             for h in sources],
            title="Sources",
            console=console,
        )
    )


def _minutes(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "never"


@app.command()
@friendly_errors
def plot(
    thesis: Annotated[str, typer.Argument(help="Thesis id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG file to write (default: THESIS.png).")] = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First date (default: the first known value).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last date (default: now).")] = None,
    rules: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Chart a thesis over time, point in time: each compared input with its thresholds,
    bands where rules were pending, Soft Warning and Kill Switch, and markers where filings
    and news landed."""
    from signalflow.viz.plot import plot_thesis

    settings, store = _open(rules)
    try:
        selected = _thesis(settings, thesis)
        last = parse_when(end) or _now()
        path, data = plot_thesis(selected, store, parse_when(start), last, output or Path(f"{thesis}.png"))
    finally:
        store.close()
    summary = {
        "thesis": thesis,
        "path": str(path),
        "panels": [p.label for p in data.panels],
        "bands": [{"kind": b.kind, "from": b.start.isoformat(), "to": b.end.isoformat()} for b in data.bands],
        "markers": len(data.markers),
        "left_out": [{"input": x.label, "rules": list(x.owners), "reason": x.reason()} for x in data.left_out],
    }
    if as_json:
        print_json(summary)
    else:
        typer.echo(f"wrote {path} ({len(data.panels)} input(s), {len(data.bands)} band(s), {len(data.markers)} marker(s))")
        for x in data.left_out:
            typer.echo(f"left out: {x.label} ({', '.join(x.owners)}): {x.reason()}")


@app.command()
@friendly_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the report into.")] = Path("report"),
    start: Annotated[Optional[str], typer.Option("--from", help="Charts start here (default: the first known value).")] = None,
    rules: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a static HTML report (open index.html in a browser, no server needed): the status
    board, and a page per thesis with its chart, alert history and decision journal."""
    from signalflow import service
    from signalflow.viz.report import write_report

    settings, store = _open(rules)
    try:
        theses = service.load_theses(settings)
        with _progress(as_json) as progress:
            task = progress.add_task("charting theses", total=len(theses))
            result = write_report(output, theses, store, _now(), parse_when(start), lambda _: progress.advance(task))
    finally:
        store.close()
    if as_json:
        print_json(result.to_json())
        return
    typer.echo(f"wrote {result.index} and {len(result.pages)} thesis page(s)")
    for thesis_id, error in result.errors.items():
        typer.echo(f"warning: {thesis_id}: no chart: {error}", err=True)


@app.command()
@friendly_errors
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the charts.")] = Path("signalflow-demo"),
    as_json: JsonOption = False,
) -> None:
    """A guided, offline run on real history bundled with signalflow, each fact with its
    source: NVIDIA's quarterly data-center revenue and weekly closes, the four hyperscalers'
    quarterly capex, Vertiv's closes and SEC filings, the high-yield spread and the 10-year
    yield (2023-2025), and ERCOT's interconnection queue from five monthly GIS reports
    (2025-01 to 2026-02). Backtests five theses and tells what would have happened: the alerts
    that would have been sent, the Growth x Liquidity quadrant, what the charts leave out for
    want of bundled data, and one closing sentence per thesis; charts go to --output."""
    from signalflow.viz.demo import demo_theses, run_demo, valuation_theses

    theses = demo_theses() + valuation_theses()
    with _progress(as_json) as progress:
        task = progress.add_task("backtesting demo theses", total=len(theses))
        result = run_demo(output, theses=theses, on_thesis=lambda _: progress.advance(task))
    if as_json:
        print_json(result.to_json())
        return
    _tell(result)


def _tell(result) -> None:
    """The demo's story in the terminal: every line fits the console (80 columns in a pipe),
    data never read as markup."""
    import textwrap

    from rich.console import Console
    from rich.text import Text

    from signalflow.bundled.facts import demo_dir, valuation_dir

    console = Console()

    def say(text: str, indent: int = 0, style: str = "") -> None:
        """``text`` wrapped to the console, continuation lines indented two more."""
        lines = textwrap.wrap(text, width=max(console.width, 40), initial_indent=" " * indent,
                              subsequent_indent=" " * (indent + 2), break_on_hyphens=False)
        for line in lines:
            console.print(Text(line, style=style), soft_wrap=True)

    own = "".join(
        f" ({t.thesis.id} from {t.data.start:%Y-%m-%d} to {t.end:%Y-%m-%d})"
        for t in result.theses if t.end != result.end and t.data is not None and t.data.start is not None
    )
    say(
        f"signalflow demo: {result.facts} real facts, each row naming its source, backtested "
        f"point in time to {result.end:%Y-%m-%d}{own}, offline.", style="bold"
    )
    say("facts and theses:", 2)
    for folder in (demo_dir(), valuation_dir()):
        say(str(folder), 4)
    for t in result.theses:
        console.print()
        say(f"{t.thesis.id} ({t.thesis.layer})", style="bold")
        say(t.thesis.title, 2)
        say(f"growth: {t.thesis.growth.when_text}", 2)
        say(f"liquidity: {t.thesis.liquidity.when_text}", 2)
        if t.episodes:
            say("alerts that would have been sent:", 2)
        else:
            say("no Soft Warning or Kill Switch would have been sent", 2)
        told: set[str] = set()
        for e in t.episodes:
            say(e.line(), 4, STATE_STYLE.get(e.severity, ""))
            if e.rule not in told and e.summary:
                told.add(e.rule)
                say(e.summary, 6)
        if t.quadrant_days:
            say("Growth x Liquidity: " + ", ".join(f"{q} {d} days" for q, d in t.quadrant_days.items()), 2)
        for x in t.left_out:
            say(f"left out of the chart: {x.label} ({', '.join(x.owners)}): {x.reason()}", 2)
        for ref, at in t.ends_early.items():
            say(f"data end early: {ref}, last released {at:%Y-%m-%d} (a gap in the chart after)", 2)
        if t.chart:
            say(f"chart: {t.chart}", 2)
    console.print()
    say("What would have happened:", style="bold")
    for t in result.theses:
        say(f"{t.thesis.id}: {t.closing}", 2)
