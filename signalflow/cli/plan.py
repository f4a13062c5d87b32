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
    from signalflow.store import plans
    from signalflow.store.models import utcnow

    settings = load_settings()
    theses = {t.id: t for t in service.load_theses(settings)}
    if thesis not in theses:
        raise fail(f"no thesis {thesis!r} in {settings.rules_dir}")
    plan = theses[thesis].plan
    store = service.open_store(settings)
    try:
        if step is None:
            with store.session() as session:
                rows = plans.tranches(session, thesis)
            _show(rows, as_json)
            return
        if plan is None:
            raise fail(f"thesis {thesis!r} has no plan: (add one to {theses[thesis].path.name} first)")
        index = _number(step, number, plan)
        size = plan.first if index == 0 else plan.add(index).size
        with store.session() as session:
            done = [r for r in plans.tranches(session, thesis) if r.number == index]
            if done:
                raise fail(f"{plans.tranche_label(index)} of {thesis} was recorded on {done[0].taken_at:%Y-%m-%d %H:%M} UTC")
            row = plans.record_tranche(session, thesis, index, size, note, utcnow())
            session.expunge(row)
        _show([row], as_json)
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


def _show(rows, as_json: bool) -> None:
    from signalflow.store.plans import tranche_label

    data = [
        {"thesis": r.thesis, "tranche": tranche_label(r.number), "add": r.number or None, "size_pct": r.size,
         "note": r.note, "taken_at": r.taken_at}
        for r in rows
    ]
    if as_json:
        print_json(data)
        return
    if not data:
        typer.echo("no tranche taken yet")
    for d in data:
        size = f" ({d['size_pct']:g}% of the position)" if d["size_pct"] is not None else ""
        note = f": {d['note']}" if d["note"] else ""
        typer.echo(f"{d['taken_at']:%Y-%m-%d %H:%M} {d['thesis']} {d['tranche']}{size}{note}")
