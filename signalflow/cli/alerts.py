"""Alert commands: ack, journal, deliver, notify-test."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, parse_when, print_json, setup_logging

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _store(settings):
    from signalflow.store import Store

    return Store.open(settings.database_url)


@app.command()
@friendly_errors
def ack(
    thesis: Annotated[str, typer.Argument(help="Thesis id, e.g. liquidity_regime.")],
    decision: Annotated[str, typer.Option("--decision", "-d", help="hold, trim, exit or ignore.")],
    note: Annotated[str, typer.Option("--note", "-n", help="Why: kept in the journal.")],
    rule: Annotated[Optional[str], typer.Option("--rule", help="Only this rule's alert (default: every firing alert).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Re-arm reminders on this date (YYYY-MM-DD).")] = None,
    unless: Annotated[
        Optional[str], typer.Option("--unless", help="Re-arm when this thesis-language condition becomes true.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record a decision about a thesis's alerts and silence their reminders.

    Reminders re-arm when --until passes or the --unless condition (e.g. 'fred.BAMLH0A0HYM2 > 7')
    becomes true. Decisions are kept in the journal for good.
    """
    from signalflow import service
    from signalflow.alerts import Decision
    from signalflow.errors import DecisionRefused

    try:
        choice = Decision(decision)
    except ValueError:
        raise fail(f"--decision {decision!r}: use one of hold, trim, exit, ignore") from None
    settings = load_settings()
    store = _store(settings)
    try:
        rows = service.acknowledge(
            store, thesis, choice, note, rule=rule or "", until=parse_when(until), unless=unless or "",
            against=_loaded_thesis(settings, thesis) if unless else None,
        )
    except DecisionRefused as exc:
        raise fail(f"refused, nothing recorded: --{exc.field}: {exc.problem}") from None
    finally:
        store.close()
    result = [
        {"thesis": r.thesis, "rule": r.rule, "alert_id": r.alert_id, "decision": r.decision,
         "until": r.until, "unless": r.unless_expr, "decided_at": r.decided_at}
        for r in rows
    ]
    if as_json:
        print_json(result)
        return
    for r in result:
        target = f"{thesis}/{r['rule']}" if r["rule"] else thesis
        typer.echo(f"{choice.value}: {target} (reminders silenced)" + (" — no alert is firing now" if r["alert_id"] is None else ""))


def _loaded_thesis(settings, thesis_id: str):
    """The thesis ``--unless`` is resolved against like one of its rules; None when the rules
    directory cannot be read or no longer holds it (then only the syntax is checked)."""
    from signalflow.errors import SignalflowError
    from signalflow.service import load_theses

    try:
        theses = {t.id: t for t in load_theses(settings)}
    except SignalflowError:
        return None
    return theses.get(thesis_id)


@app.command()
@friendly_errors
def journal(
    thesis: Annotated[Optional[str], typer.Argument(help="Only this thesis.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List every alert episode and every decision, oldest first (never deleted)."""
    from signalflow import service

    settings = load_settings()
    store = _store(settings)
    try:
        entries = service.journal(store, thesis)
    finally:
        store.close()
    if as_json:
        print_json([e.to_json() for e in entries])
        return
    from rich.console import Console

    from signalflow.cli.tables import Col, fit_table

    columns = [Col("when", no_wrap=True), Col("entry", 2), Col("thesis"), Col("rule", 1), Col("what"), Col("state", 3),
               Col("detail", 4)]
    cells = [[f"{e.at:%Y-%m-%d %H:%M}", e.entry, e.thesis, e.rule, e.what, e.state, e.detail] for e in entries]
    console = Console()
    console.print(fit_table(columns, cells, console=console))


@app.command()
@friendly_errors
def deliver(
    limit: Annotated[Optional[int], typer.Option("--limit", help="At most this many notifications.")] = None,
    as_json: JsonOption = False,
) -> None:
    """One delivery pass: send every due notification in the outbox (the daemon does this itself)."""
    from rich.console import Console
    from rich.progress import Progress

    from signalflow.alerts import deliver_pending
    from signalflow.notifiers.console import ConsoleNotifier

    settings = load_settings()
    setup_logging(settings)
    store = _store(settings)
    try:
        with Progress(transient=True, disable=as_json) as bar:
            task = bar.add_task("delivering", total=None)
            # With --json, stdout is for the report: console alerts go to stderr.
            notifiers = {"console": ConsoleNotifier(Console(stderr=True))} if as_json else None
            report = deliver_pending(
                store,
                settings,
                notifiers=notifiers,
                limit=limit,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        store.close()
    if as_json:
        print_json([{"outbox_id": o.outbox_id, "key": o.dedup_key, "result": o.result, "detail": o.detail}
                    for o in report.outcomes])
    else:
        typer.echo(f"sent {report.sent}, waiting {report.waiting}, failed {report.failed}")
    if report.failed:
        raise typer.Exit(1)


@app.command("notify-test")
@friendly_errors
def notify_test(as_json: JsonOption = False) -> None:
    """Send a sample notification to each configured route, right now (not through the outbox)."""
    from rich.console import Console

    from signalflow.alerts.routes import default_routes
    from signalflow.notifiers.console import ConsoleNotifier
    from signalflow.alerts.sample import sample_notification
    from signalflow.errors import SignalflowError
    from signalflow.notifiers.base import notifier_classes
    from signalflow.series import utcnow

    settings = load_settings()
    results = []
    for route in default_routes(settings):
        cls = notifier_classes().get(route.notifier)
        if cls is None:
            results.append({"route": route.name, "notifier": route.notifier, "ok": False,
                            "error": f"no notifier named {route.notifier!r} is registered"})
            continue
        try:
            notifier = cls.from_settings(settings, route)
            if as_json and isinstance(notifier, ConsoleNotifier):
                notifier = ConsoleNotifier(Console(stderr=True))  # stdout is for the report
            receipt = notifier.send(sample_notification(route, utcnow()))
            notifier.close()
            results.append({"route": route.name, "notifier": route.notifier, "ok": True, "channel": receipt.channel, "ts": receipt.ts})
        except SignalflowError as exc:
            results.append({"route": route.name, "notifier": route.notifier, "ok": False, "error": str(exc)})
    if as_json:
        print_json(results)
    else:
        for r in results:
            typer.echo(f"{r['route']} ({r['notifier']}): " + ("ok" if r["ok"] else f"FAILED: {r['error']}"))
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)
