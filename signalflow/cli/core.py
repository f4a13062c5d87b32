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
    from signalflow.cli.firstrun import NOTHING_COLLECTED, echo_wrapped, print_startup

    settings, store = _context(rules)
    theses = service.load_theses(settings)
    if not as_json:
        print_startup(settings, store.url, theses, service.plan_sources(settings, theses), daemon=not once)
    if once:
        try:
            result = service.run_once(settings, store, theses)
            empty = store.observation_count() == 0
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing was recorded for the source being collected", err=True)
            raise typer.Exit(130) from None
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
            typer.echo(f"{len(failed)} source(s) failed: {', '.join(r.source for r in failed)}", err=True)
        if empty and not as_json:
            echo_wrapped(NOTHING_COLLECTED)
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
    """Collect every series the theses reference, once, and store what is new.

    Exits 1 when a source fails or its replies stopped short of what the API matched."""
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
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was recorded for the source being collected", err=True)
        raise typer.Exit(130) from None
    finally:
        store.close()
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        _print_collect(reports)
        for r in reports:
            for missing in r.incomplete:
                typer.echo(f"incomplete: {missing}", err=True)
    if any(not r.ok or r.incomplete for r in reports):
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
    allow_frequency_change: Annotated[
        bool,
        typer.Option(
            "--allow-frequency-change",
            help="Import even when a file changes a stored series' frequency (refused otherwise).",
        ),
    ] = False,
    as_json: JsonOption = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also print a line per imported file.")] = False,
) -> None:
    """Load saved payloads exactly as if they had been collected (the way to run offline).

    Exits 1 when a file fails or is known to be partial (a reply cut at an API's row cap:
    what it holds is stored, and the missing rows are reported).

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
        from rich.console import Console

        console = Console(stderr=True)
        with Progress(console=console, transient=True, disable=as_json or len(files) < 3 or not console.is_terminal) as progress:
            task = progress.add_task("importing", total=len(files))
            reports = service.import_paths(
                settings, store, files, series=series, known_at=parse_when(known_at),
                allow_frequency_change=allow_frequency_change,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        store.close()
    failed = [r for r in reports if r.error]
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        from signalflow.cli.importing import failures, print_import

        print_import(reports, verbose=verbose)
        for r in reports:
            for warning in r.warnings:
                typer.echo(f"warning: {r.path.name}: {warning}", err=True)
            for missing in r.incomplete:
                typer.echo(f"incomplete: {r.path.name}: {missing}", err=True)
        for line in failures(reports):
            typer.echo(line, err=True)
    partial = [r for r in reports if r.incomplete]
    if partial and not as_json:
        typer.echo(f"{len(partial)} file(s) imported partially: their missing rows are not stored", err=True)
    if failed or partial:
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


STATE_STYLE = {"kill_switch": "bold red", "soft_warning": "yellow"}


def _print_collect(reports) -> None:
    from rich.console import Console

    from signalflow.cli.firstrun import report_status
    from signalflow.cli.tables import Col, cell, fit_table

    rows = [
        [r.source, str(len(r.refs)), str(r.observations_added), cell(report_status(r), "" if r.ok else "red")]
        for r in reports
    ]
    columns = [Col("source", no_wrap=True), Col("series", 2, justify="right"),
               Col("new observations", 1, justify="right"), Col("status")]
    Console().print(fit_table(columns, rows, title="Collection"))


def _print_statuses(statuses) -> None:
    from rich.console import Console

    from signalflow.cli.tables import Col, cell, fit_table

    columns = [Col("thesis", no_wrap=True), Col("state", no_wrap=True), Col("quadrant", 2), Col("firing", 1),
               Col("pending", 3), Col("stale inputs", 5), Col("at", 4, no_wrap=True)]
    rows = [
        [
            s.thesis,
            cell(s.state.value, STATE_STYLE.get(s.state.value, "green")),
            s.quadrant.value,
            ", ".join(s.firing),
            ", ".join(s.pending),
            ", ".join(s.stale_inputs),
            s.at.isoformat(sep=" ", timespec="minutes"),
        ]
        for s in statuses
    ]
    Console().print(fit_table(columns, rows, title="Theses"))
