"""``signalflow series list`` and ``signalflow series show KEY``: what the store holds.

For SEC series the fiscal year and quarter come from ``source_ref``
(``"<accession> FY2025Q2"``, see :mod:`signalflow.sources.sec_facts`); other series show
their ``source_ref`` as it is. A snapshot change stream (``grid.ercot.cod_slip``,
``dc.timeline_slip``) is listed change by change: each project with its old and new date and
MW, from the events its imports stored.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import fail, friendly_errors, load_settings, parse_when, print_json
from signalflow.series import event_stream

# Sources whose change streams are listed change by change (``series show grid.ercot.cod_slip``).
SNAPSHOT_SOURCES = ("grid", "dc")

series_app = typer.Typer(help="Inspect stored series: every period, value and when it became known.", no_args_is_help=True)
app.add_typer(series_app, name="series")

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def _rows(key: str, data) -> list[dict]:
    from signalflow.sources.sec_facts import parse_source_ref

    rows = []
    for r in data.itertuples(index=False):
        ref = r.source_ref or ""
        accession, year, quarter = parse_source_ref(ref) if key.startswith("sec.") else (ref, None, None)
        rows.append(
            {
                "period_start": r.period_start.date(),
                "period_end": r.period_end.date(),
                "fiscal_year": year,
                "fiscal_quarter": quarter,
                "value": None if r.value != r.value else float(r.value),
                "unit": r.unit or "",
                "known_at": r.known_at.to_pydatetime(),
                "source_ref": ref,
                "accession": accession if key.startswith("sec.") else None,
            }
        )
    return rows


def _fiscal(row: dict) -> str:
    if row["fiscal_year"] is None:
        return ""
    return f"FY{row['fiscal_year']}" + (f" Q{row['fiscal_quarter']}" if row["fiscal_quarter"] else "")


def _when(at) -> str:
    return f"{at:%Y-%m-%d}" if (at.hour, at.minute, at.second) == (0, 0, 0) else f"{at:%Y-%m-%d %H:%M}"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


@series_app.command("show")
@friendly_errors
def show(
    key: Annotated[str, typer.Argument(help="Series key, e.g. sec.VRT.capex or fred.DGS10.")],
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Show what was known at this date (YYYY-MM-DD, 00:00 UTC) or ISO time."),
    ] = None,
    all_versions: Annotated[
        bool, typer.Option("--versions", help="Every version of every period, not only the latest.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print a series period by period: start, end, fiscal year and quarter, value, unit,
    when it became known and the filing (accession) it came from."""
    from rich.console import Console

    from signalflow.store import Store
    from signalflow.suggest import did_you_mean

    at = parse_when(as_of)
    settings = load_settings()
    stream = event_stream(key)
    if stream is not None and key.split(".", 1)[0] in SNAPSHOT_SOURCES:
        _show_changes(settings, stream, at, as_json)
        return
    store = Store.open(settings.database_url)
    try:
        info = store.series_info(key)
        if info is None:
            hint = did_you_mean(key, [s.key for s in store.list_series()])
            raise fail(f"no series {key} in {settings.database_url}" + (f"; {hint}" if hint else ""))
        if all_versions:
            frame = store.versions(key, at)
        else:
            frame = store.as_of(key, at)
    finally:
        store.close()
    rows = _rows(key, frame)
    if as_json:
        print_json(rows)
        return
    title = f"{key}: {info.title}" if info.title else key
    if at is not None:
        title += f" (as of {at:%Y-%m-%d %H:%M} UTC)"
    from signalflow.cli.tables import Col, fit_table

    columns = [Col("period start", 3, no_wrap=True), Col("period end", no_wrap=True), Col("fiscal", 5),
               Col("value", no_wrap=True, justify="right"), Col("unit", 4), Col("known at", no_wrap=True),
               Col("accession / ref", 2)]
    cells = [
        [str(row["period_start"]), str(row["period_end"]), _fiscal(row), _number(row["value"]), row["unit"],
         _when(row["known_at"]), row["accession"] or row["source_ref"]]
        for row in rows
    ]
    console = Console()
    table = fit_table(columns, cells, title=title, console=console)
    console.print(table)
    if not rows:
        typer.echo("no observations known at that time" if at else "no observations")


def _change_rows(events) -> list[dict]:
    rows = []
    for e in events:
        d = e.details
        rows.append(
            {
                "known_at": e.published,
                "id": d.get("id", ""),
                "name": d.get("name", ""),
                "old_date": d.get("old_date"),
                "new_date": d.get("new_date"),
                "days": d.get("days"),
                "mw": e.mw,
                "ref": e.link,
                "title": e.title,
            }
        )
    return rows


def _show_changes(settings, stream: str, at, as_json: bool) -> None:
    """The changes of a snapshot stream (``grid.ercot.cod_slip``), one project per row: when
    the change became known, the project, its old and new date, days moved and MW."""
    from rich.console import Console

    from signalflow.store import Store

    source, label = stream.rsplit(".", 1)
    store = Store.open(settings.database_url)
    try:
        rows = _change_rows(store.events(source, label, at))
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    title = f"{stream}: {len(rows)} change(s)" + (f" known at {at:%Y-%m-%d %H:%M} UTC" if at else "")
    from signalflow.cli.tables import Col, fit_table

    columns = [Col("known at", no_wrap=True), Col("id", no_wrap=True), Col("name", 3), Col("old date", 2, no_wrap=True),
               Col("new date", 1, no_wrap=True), Col("days", no_wrap=True, justify="right"),
               Col("MW", no_wrap=True, justify="right")]
    cells = [
        [_when(row["known_at"]), row["id"], row["name"], row["old_date"] or "-", row["new_date"] or "-",
         "" if row["days"] is None else f"{row['days']:+d}", _number(row["mw"])]
        for row in rows
    ]
    console = Console()
    table = fit_table(columns, cells, title=title, console=console)
    console.print(table)
    if not rows:
        typer.echo(f"no {label} changes stored for {source} (import its snapshots in date order)")


@series_app.command("list")
@friendly_errors
def list_series(
    source: Annotated[Optional[str], typer.Option("--source", help="Only this source (sec, fred, ...).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List every stored series: key, kind, unit, frequency and title."""
    from rich.console import Console

    from signalflow.store import Store

    settings = load_settings()
    store = Store.open(settings.database_url)
    try:
        infos = [s for s in store.list_series() if source is None or s.source == source]
    finally:
        store.close()
    if as_json:
        print_json(
            [
                {"key": s.key, "source": s.source, "kind": s.kind, "unit": s.unit, "frequency": s.frequency,
                 "title": s.title, "url": s.url}
                for s in infos
            ]
        )
        return
    from signalflow.cli.tables import Col, fit_table

    columns = [Col("key", no_wrap=True), Col("kind", 3), Col("unit", 4), Col("frequency", 2), Col("title", 1)]
    cells = [[s.key, str(getattr(s.kind, "value", s.kind)), s.unit, s.frequency, s.title] for s in infos]
    console = Console()
    console.print(fit_table(columns, cells, console=console))
