"""Analysis commands: ``backtest`` (a thesis over history) and ``explain`` (why it is in its state)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, parse_when, print_json, setup_logging

RulesOption = Annotated[
    Optional[Path], typer.Option("--rules", "-r", help="Rules directory (default: SIGNALFLOW_RULES_DIR or ./rules).")
]


FactsOption = Annotated[
    bool,
    typer.Option(
        "--facts",
        help="Run on the bundled real figures (NVIDIA and Vertiv prices, NVIDIA data-center revenue, "
        "Vertiv filings, FRED spreads) and their theses (no database).",
    ),
]


class _NoClose:
    """An in-memory provider where the commands expect a store."""

    def __init__(self, provider) -> None:
        self.load = provider.load

    def close(self) -> None:
        pass


def _open(rules: Path | None, facts: bool = False):
    from signalflow import service

    settings = load_settings(rules_dir=rules)
    setup_logging(settings)
    if facts:
        from signalflow.bundled import facts_provider, valuation_facts
        from signalflow.viz.demo import valuation_theses

        return settings, _NoClose(facts_provider(valuation_facts())), valuation_theses()
    return settings, service.open_store(settings), service.load_theses(settings)


def _select(theses, ids: list[str] | None):
    if not ids:
        return theses
    known = {t.id: [t] for t in theses}
    ids_in_rules = set(known)
    for t in theses:  # a for_each template's id names all its expansions
        if t.expansion is not None and t.expansion.template not in ids_in_rules:
            known.setdefault(t.expansion.template, []).append(t)
    missing = [i for i in ids if i not in known]
    if missing:
        from signalflow.suggest import did_you_mean

        hint = did_you_mean(missing[0], known)
        raise fail(f"unknown thesis {missing[0]!r}{'; ' + hint if hint else ''}")
    return [t for i in ids for t in known[i]]


@app.command()
@friendly_errors
def backtest(
    theses: Annotated[Optional[list[str]], typer.Argument(help="Thesis ids (default: all).")] = None,
    start: Annotated[Optional[str], typer.Option("--from", help="First date (default: the first known value).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last date (default: now).")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Write the state timeline to this CSV file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    first_release: Annotated[
        bool,
        typer.Option(
            "--first-release",
            help="Also replay on first releases only (each period's first version) and show "
            "the transitions that differ: what revisions did.",
        ),
    ] = False,
    show_cascade: Annotated[
        bool,
        typer.Option(
            "--cascade",
            help="Also show the moves of the binding layer (the layer with the highest share of "
            "theses warning) over the period; --json then prints {theses, cascade}.",
        ),
    ] = False,
    rules: RulesOption = None,
    facts: FactsOption = False,
) -> None:
    """Replay theses over stored history, point in time: transitions and what caused each,
    days in each state, the notifications that would have been sent, and the Growth x
    Liquidity quadrant. A thesis reading layer(X) reads X's theses as they stood at each
    instant."""
    import pandas as pd
    from rich.progress import Progress

    from signalflow.thesis.cascade import cascade
    from signalflow.thesis.engine import backtest as run_backtest
    from signalflow.thesis.explain import backtest_summary, revision_effect
    from signalflow.thesis.layers import layers_read
    from signalflow.thesis.plan_backtest import plan_backtest

    settings, store, loaded = _open(rules, facts)
    selected = _select(loaded, theses)
    first, last = parse_when(start), parse_when(end) or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    results, frames, moves = [], [], []
    try:
        provider = store
        if show_cascade or any(layers_read(t) for t in selected):
            layered = cascade(loaded, store, last)
            provider = layered.provider
            moves = [m.to_json() for m in layered.moves if first is None or m.at >= first]
        with Progress(transient=True, disable=as_json) as progress:
            task = progress.add_task("backtesting", total=len(selected))
            for thesis in selected:
                bt = run_backtest(thesis, provider, first, last)
                summary = backtest_summary(bt, last)
                if thesis.plan is not None:
                    summary["plan"] = plan_backtest(thesis, bt)
                if first_release:
                    initial = backtest_summary(run_backtest(thesis, provider, first, last, first_release=True), last)
                    summary["first_release"] = initial
                    summary["revision_effect"] = revision_effect(summary, initial)
                results.append(summary)
                if csv is not None and not bt.timeline.empty:
                    frames.append(bt.timeline.assign(thesis=thesis.id))
                progress.advance(task)
    finally:
        store.close()
    if csv is not None:
        (pd.concat(frames) if frames else pd.DataFrame()).to_csv(csv)
    if as_json:
        print_json({"theses": results, "cascade": moves} if show_cascade else results)
        return
    for summary in results:
        _print_summary(summary)
    if show_cascade:
        _print_moves(moves)


def _print_moves(moves: list[dict]) -> None:
    """The binding layer's moves, one line each: when, to which layer, its share and theses."""
    typer.echo(f"binding layer moves: {len(moves)}" + ("" if moves else " (needs theses in two layers)"))
    for m in moves:
        when = m["at"][:16].replace("T", " ")
        if not m["layer"]:
            typer.echo(f"  {when}  no layer binds")
            continue
        before = f", from {m['previous']}" if m["previous"] else ""
        typer.echo(f"  {when}  {m['layer']}{before}: {m['share']:.0%} warning ({', '.join(m['theses'])})")


def _print_summary(summary: dict) -> None:
    from rich.console import Console

    from rich.markup import escape

    console = Console()
    console.print(f"[bold]{escape(summary['thesis'])}[/bold]")
    _print_replay(console, summary)
    initial = summary.get("first_release")
    if initial is None:
        return
    effect = summary["revision_effect"]
    console.print("[bold]  on first releases only[/bold] (each period's first version):")
    days = ", ".join(f"{state} {d}d" for state, d in _whole_days(initial["days_in_state"]).items()) or "no evaluation"
    console.print(f"    time in state: {days}", markup=False)
    if not effect["only_as_known"] and not effect["only_first_release"]:
        console.print("    the same transitions: revisions changed no state")
        return
    console.print("  what revisions did:")
    for label, key in (("only as known", "only_as_known"), ("only on first releases", "only_first_release")):
        for tr in effect[key]:
            console.print(f"    {label}: {_transition_line(tr)}", markup=False)


def _indented(text: str, indent: int):
    """``text`` wrapped to the console's width, every line indented."""
    from rich.padding import Padding
    from rich.text import Text

    return Padding(Text(text), (0, 0, 0, indent), expand=False)


def _transition_line(tr: dict) -> str:
    return f"{tr['at'][:16].replace('T', ' ')}  {tr['rule']} {tr['from']} -> {tr['to']}"


def _print_replay(console, summary: dict) -> None:
    days = ", ".join(f"{state} {d}d" for state, d in _whole_days(summary["days_in_state"]).items()) or "no evaluation"
    console.print(f"  time in state: {days}", markup=False)
    if summary["quadrants"]:
        console.print(
            "  quadrant: " + " -> ".join(f"{q['quadrant']} ({q['from'][:10]})" for q in summary["quadrants"]), markup=False
        )
    console.print(f"  transitions: {len(summary['transitions'])}")
    for tr in summary["transitions"]:
        console.print(f"    {_transition_line(tr)} ({tr['severity']})", markup=False)
        if tr.get("cause"):
            console.print(_indented(f"because {tr['cause']['text']}", 6))

    console.print(f"  notifications that would have been sent: {len(summary['notifications'])}")
    for n in summary["notifications"]:
        console.print(f"    {n['at']}  {n['severity']}  {n['rule']} {n['event']}", markup=False)
    if "plan" in summary:
        console.print(f"  plan adds: {len(summary['plan'])} changes")
        for e in summary["plan"]:
            why = f" ({e['why']})" if e["why"] else ""
            console.print(_indented(f"{e['at'][:16].replace('T', ' ')}  add {e['add']} {e['event']}{why}", 4))


def _whole_days(days: dict[str, float]) -> dict[str, int]:
    """Time in each state in whole days that add up to the whole period (the JSON keeps the
    fractions): each rounded down, the days left over going to the largest remainders."""
    import math

    whole = {k: math.floor(v) for k, v in days.items()}
    left = round(sum(days.values())) - sum(whole.values())
    for k in sorted(days, key=lambda k: days[k] - whole[k], reverse=True)[: max(0, left)]:
        whole[k] += 1
    return whole


@app.command()
@friendly_errors
def explain(
    thesis: Annotated[str, typer.Argument(help="Thesis id.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Explain with only what was known then.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
    rules: RulesOption = None,
    facts: FactsOption = False,
) -> None:
    """Each rule of a thesis: its state, the value of each input with its period, known_at and
    source, the threshold, and why the rule is in its state."""
    from signalflow.alerts.message import explained_stories
    from signalflow.thesis.cascade import readers_provider
    from signalflow.thesis.engine import explain as run_explain

    settings, store, loaded = _open(rules, facts)
    found = _select(loaded, [thesis])
    if len(found) > 1:
        raise fail(f"{thesis!r} expands into {len(found)} theses; explain one, e.g. {found[0].id!r}")
    (selected,) = found
    at = parse_when(as_of) or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    try:
        status = run_explain(selected, readers_provider(loaded, store, at, of=[selected]) or store, at)
        plan = _plan(selected, store, at, status)
        stories = explained_stories(store, status)
    finally:
        store.close()
    if as_json:
        data = status.to_json() | ({"plan": plan} if plan is not None else {})
        for rule in data["rules"]:
            for i in rule["inputs"]:
                i["stories"] = [asdict(line) for line in stories.get((rule["name"], i["ref"]), ())]
        print_json(data)
        return
    from rich.console import Console

    from rich.markup import escape

    console = Console()
    console.print(
        f"[bold]{escape(status.thesis)}[/bold] at {status.at}: {status.state.value} "
        f"(since {status.since}), quadrant {status.quadrant.value}"
    )
    if status.because:
        console.print(f"  {status.because}", markup=False, soft_wrap=True)
    if status.stale_inputs:
        console.print(_indented(f"stale inputs: {', '.join(status.stale_inputs)}", 2))
    for rule in status.rules:
        console.print(_indented(f"[{rule.severity}] {rule.name}: {rule.state.value} - {rule.expression}", 2))
        console.print(_indented(f"why: {rule.why}", 6))
        if rule.cause is not None:
            console.print(_indented(f"because: {rule.cause.text()}", 6))
        for i in rule.inputs:
            period = f"{i.period_start}..{i.period_end}" if i.period_end else "no value"
            flag = " (stale)" if i.stale else ""
            threshold = f"  threshold {i.threshold}" if i.threshold else ""
            basis = f" ({i.basis})" if i.basis else ""
            published = f"  {i.published}" if i.published and i.basis else ""
            # The value first, then where it comes from, each wrapped under its own indent.
            console.print(_indented(f"{i.ref} = {i.value if i.value is not None else 'unknown'} {i.unit}{threshold}{flag}", 6))
            if i.period_end:
                console.print(_indented(f"period {period}, known_at {i.known_at}{basis}{published}, {i.source_ref}".rstrip(", "), 8))
            for line in stories.get((rule.name, i.ref), ()):
                console.print(f"        story first seen {line.first_seen} UTC, {line.outlets_text}", markup=False)
                console.print(f"          {line.title}", markup=False)
                console.print(f"          {line.url}", markup=False, soft_wrap=True)
    if plan is not None:
        _print_plan(console, plan)


def _plan(thesis, store, at: datetime, status) -> dict | None:
    """The thesis's tranche plan at ``at`` with the tranches the journal says were taken
    (none over the bundled facts, which have no journal)."""
    from signalflow.thesis.engine import conditions, evaluate
    from signalflow.thesis.plan import plan_conditions, plan_explain

    if thesis.plan is None:
        return None
    nodes = plan_conditions(thesis)
    values = conditions(thesis, store, evaluate(thesis, store, at).state, nodes) if nodes else {}
    taken: dict[int, str] = {}
    if hasattr(store, "session"):
        from signalflow.alerts.plan import taken_tranches

        taken = {t.number: t.taken_at.isoformat() for t in taken_tranches(store, thesis.id)
                 if t.taken_at.replace(microsecond=0) <= at}
    return plan_explain(thesis, values, status, taken)


def _print_plan(console, plan: dict) -> None:
    first = plan["first"]
    took = f"taken {first['taken_at'][:10]}" if first["taken_at"] else "not taken"
    console.print(f"  plan: first tranche {first['size_pct']:g}% ({took})", markup=False)
    for add in plan["adds"]:
        console.print(f"    add {add['add']} {add['size_pct']:g}%: {add['now']}", markup=False)
        console.print(f"      when {add['when']}", markup=False)
    stretched = plan["stretched"]
    if stretched["when"]:
        value = {True: "yes", False: "no"}.get(stretched["value"], "unknown")
        console.print(f"    stretched: {value} ({stretched['when']})", markup=False)
    console.print(_indented(f"on Soft Warning: {plan['on_soft_warning']}", 4))
    console.print(_indented(f"on Kill Switch: {plan['on_kill_switch']}", 4))
