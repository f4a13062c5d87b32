"""Core commands: run, collect, evaluate, import, config, db (``status`` lives in ``cli/viz.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, parse_when, print_json, setup_logging

RulesOption = Annotated[
    Optional[Path], typer.Option("--rules", "-r", help="Rules directory (default: SIGNALFLOW_RULES_DIR or ./rules).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _context(rules: Path | None):
    from signalflow import service

    settings = load_settings(rules_dir=rules)
    setup_logging(settings)
    store = service.open_store(settings)
    return settings, store


@app.command()
@friendly_errors
def run(
    once: Annotated[bool, typer.Option("--once", help="One collect, evaluate, notify pass, then exit.")] = False,
    rules: RulesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print the pass's report as JSON.")] = False,
) -> None:
    """Run the daemon: collect on schedule, evaluate, and notify (Ctrl-C or SIGTERM stops it)."""
    from signalflow import service

    settings, store = _context(rules)
    theses = service.load_theses(settings)
    if once:
        try:
            result = service.run_once(settings, store, theses)
        finally:
            store.close()
        delivery = result["delivery"]
        if as_json:
            print_json(
                {
                    "collect": [r.to_json() for r in result["collect"]],
                    "theses": [e.status.to_json() for e in result["evaluations"]],
                    "delivery": {"sent": delivery.sent, "failed": delivery.failed, "waiting": delivery.waiting},
                }
            )
        else:
            _print_collect(result["collect"])
            _print_statuses([e.status for e in result["evaluations"]])
            typer.echo(f"notifications: {delivery.sent} sent, {delivery.failed} failed, {delivery.waiting} waiting")
        failed = [r for r in result["collect"] if not r.ok]
        if failed:
            typer.echo(f"{len(failed)} source(s) failed; see the log above", err=True)
        return
    from signalflow.daemon import Daemon

    Daemon(settings, store, theses).run()


@app.command()
@friendly_errors
def collect(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Only these sources (fred, sec, news, ...).")] = None,
    rules: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Collect every series the theses reference, once, and store what is new."""
    from signalflow import service

    from rich.console import Console
    from rich.progress import Progress

    settings, store = _context(rules)
    try:
        theses = service.load_theses(settings)
        console = Console(stderr=True)
        with Progress(console=console, transient=True, disable=as_json or not console.is_terminal) as progress:
            task = progress.add_task("collecting", total=None)

            def show(name: str, done: int, total: int) -> None:
                progress.update(task, description=f"collecting {name}" if name else "collected", completed=done, total=total)

            reports = service.collect(settings, store, theses, only=sources, progress=show)
    finally:
        store.close()
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        _print_collect(reports)
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


@app.command()
@friendly_errors
def evaluate(
    theses: Annotated[Optional[list[str]], typer.Argument(help="Thesis ids (default: all).")] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Evaluate with only what was known at this date/time.")
    ] = None,
    rules: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate theses now (recording state and alerts) or --as-of a past date (read-only)."""
    from signalflow import service

    settings, store = _context(rules)
    try:
        selected = _select(service.load_theses(settings), theses)
        at = parse_when(as_of)
        evaluations = service.evaluate(settings, store, selected, at=at, record=at is None)
    finally:
        store.close()
    statuses = [e.status for e in evaluations]
    if as_json:
        print_json([s.to_json() for s in statuses])
    else:
        _print_statuses(statuses)
    if len(evaluations) < len(selected):
        raise fail(f"{len(selected) - len(evaluations)} thesis(es) could not be evaluated; see the log")


@app.command(name="import")
@friendly_errors
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories of saved payloads.")],
    series: Annotated[
        Optional[str], typer.Option("--series", help="Series key for files that do not name one (fred.DGS10).")
    ] = None,
    known_at: Annotated[
        Optional[str],
        typer.Option(
            "--known-at",
            help="When the file became known: a filing document whose submissions were not imported, "
            "or the date a queue or data-center snapshot represents.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load saved payloads exactly as if they had been collected (the way to run offline).

    Recognised: FRED API JSON, fredgraph.csv (both headers), ALFRED vintage CSV, date,value CSV,
    SEC companyfacts and submissions (plain or wrapped), an SEC filing's XBRL instance or
    inline-XBRL document, RSS/Atom feeds, MLPerf
    summary_results.json, ML.ENERGY leaderboard files, grid interconnection-queue files (ERCOT,
    PJM, NYISO, MISO, CAISO) and Epoch AI data-center CSVs, and whatever installed sources add."""
    from rich.progress import Progress

    from signalflow import service

    settings = load_settings()
    setup_logging(settings)
    store = service.open_store(settings)
    try:
        files = service.expand_paths(paths)
        with Progress(transient=True, disable=as_json or len(files) < 3) as progress:
            task = progress.add_task("importing", total=len(files))
            reports = service.import_paths(
                settings, store, files, series=series, known_at=parse_when(known_at),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        store.close()
    failed = [r for r in reports if r.error]
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("file", "source", "new observations", "new events", "series")
        for r in reports:
            if r.error:
                continue
            shown = ", ".join(r.series[:4]) + (f" (+{len(r.series) - 4})" if len(r.series) > 4 else "")
            table.add_row(str(r.path), r.source, str(r.observations_added), str(r.events_added), shown)
        Console().print(table)
        for r in failed:
            typer.echo(f"error: {r.error}", err=True)
    if failed:
        raise typer.Exit(1)


config_app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
@friendly_errors
def config_show(as_json: JsonOption = False) -> None:
    """Print the effective settings (environment, .env, secrets dir, TOML), secrets masked."""
    from signalflow.settings import Settings, config_path

    settings = load_settings()
    data = settings.masked()
    if as_json:
        print_json(data)
        return
    typer.echo(f"# config file: {config_path()} ({'found' if config_path().is_file() else 'not found'})")
    for name, field in Settings.model_fields.items():
        typer.echo(f"{name} = {data[name]!r}  # {field.description or ''}".rstrip(" #"))


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply the database migrations (also done on every start)."""
    from signalflow.store import db

    settings = load_settings()
    engine = db.create_engine(settings.database_url)
    try:
        db.upgrade(engine)
        typer.echo(f"database at revision {db.current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
@friendly_errors
def db_current() -> None:
    """Print the database's schema revision."""
    from signalflow.store import db

    engine = db.create_engine(load_settings().database_url)
    try:
        typer.echo(db.current_revision(engine) or "empty (run `signalflow db upgrade`)")
    finally:
        engine.dispose()


def _select(theses, ids):
    if not ids:
        return theses
    by_id = {t.id: t for t in theses}
    missing = [i for i in ids if i not in by_id]
    if missing:
        from signalflow.suggest import nearest

        hints = [f"{m} (did you mean {nearest(m, by_id)}?)" if nearest(m, by_id) else m for m in missing]
        raise fail(f"unknown thesis: {', '.join(hints)}")
    return [by_id[i] for i in ids]


def _styled(state: str) -> str:
    return {"kill_switch": "[bold red]kill_switch[/]", "soft_warning": "[yellow]soft_warning[/]"}.get(
        state, f"[green]{state}[/]"
    )


def _print_collect(reports) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("source", "series", "new observations", "status", title="Collection")
    table.columns[0].no_wrap = True
    for r in reports:
        table.add_row(r.source, str(len(r.refs)), str(r.observations_added), "ok" if r.ok else f"[red]{r.error}[/]")
    Console(stderr=False).print(table)


def _print_statuses(statuses) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("thesis", "state", "quadrant", "firing", "pending", "stale inputs", "at", title="Theses")
    table.columns[0].no_wrap = True
    for s in statuses:
        table.add_row(
            s.thesis,
            _styled(s.state.value),
            s.quadrant.value,
            ", ".join(s.firing),
            ", ".join(s.pending),
            ", ".join(s.stale_inputs),
            s.at.isoformat(sep=" "),
        )
    Console().print(table)
