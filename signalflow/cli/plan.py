"""Tranche plan commands: ``tranche`` (record a tranche taken, or list them)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, print_json


@app.command()
@friendly_errors
def tranche(
    thesis: Annotated[str, typer.Argument(help="Thesis id (its file has a plan:).")],
    step: Annotated[Optional[str], typer.Argument(help="first, or add (with N). Omit to list the tranches taken.")] = None,
    number: Annotated[Optional[int], typer.Argument(help="The add's number in the plan (1, 2, ...).")] = None,
    note: Annotated[str, typer.Option("--note", "-n", help="Why, at what price: kept in the journal.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Record that you took a tranche of a thesis's plan, or list those taken.

    `signalflow tranche nvda_valuation first --note "bought at 120"` journals the first
    tranche; `signalflow tranche nvda_valuation add 1` the plan's first add (an add you
    took is not announced again). Without a step, lists the tranches taken (also in
    `signalflow journal`).
    """
    from signalflow import service
    from signalflow.alerts.plan import take_tranche, taken_tranches

    settings = load_settings()
    theses = {t.id: t for t in service.load_theses(settings)}
    if thesis not in theses:
        raise fail(f"no thesis {thesis!r} in {settings.rules_dir}")
    selected = theses[thesis]
    store = service.open_store(settings)
    try:
        if step is None:
            _show(taken_tranches(store, thesis), as_json)
            return
        if selected.plan is None:
            raise fail(f"thesis {thesis!r} has no plan: (add one to {selected.path.name} first)")
        _show([take_tranche(store, selected, _number(step, number, selected.plan), note)], as_json)
    finally:
        store.close()


def _number(step: str, number: int | None, plan) -> int:
    """0 for the first tranche, N for add N; exits with a clear message otherwise."""
    adds = ", ".join(str(a.number) for a in plan.adds) or "none"
    if step == "first":
        if number is not None:
            raise fail("the first tranche takes no number: signalflow tranche THESIS first")
        return 0
    if step != "add":
        raise fail(f"step {step!r}: use first or add N")
    if number is None:
        raise fail(f"add needs the add's number (the plan's adds: {adds})")
    try:
        plan.add(number)
    except KeyError:
        raise fail(f"the plan has no add {number} (its adds: {adds})") from None
    return number


def _show(tranches, as_json: bool) -> None:
    if as_json:
        print_json([t.to_json() for t in tranches])
        return
    if not tranches:
        typer.echo("no tranche taken yet")
    for t in tranches:
        size = f" ({t.size_pct:g}% of the position)" if t.size_pct is not None else ""
        note = f": {t.note}" if t.note else ""
        typer.echo(f"{t.taken_at:%Y-%m-%d %H:%M} {t.thesis} {t.label}{size}{note}")
