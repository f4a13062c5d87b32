"""``signalflow efficiency``: the named estimates, and the datapoints behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from signalflow.cli import app
from signalflow.cli.common import friendly_errors, load_settings, print_json


@app.command()
@friendly_errors
def efficiency(
    data: Annotated[
        Optional[list[Path]],
        typer.Option("--data", help="MLPerf summary_results.json or ML.ENERGY leaderboard directory (repeatable)."),
    ] = None,
    chart: Annotated[
        Optional[Path], typer.Option("--chart", help="Write a PNG comparing generations at one boundary.")
    ] = None,
    boundary: Annotated[
        str, typer.Option("--boundary", help="Boundary the chart compares: chip, node_wall, it_cluster.")
    ] = "node_wall",
    model: Annotated[Optional[str], typer.Option("--model", help="Chart only models containing this text.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Tokens-per-watt estimates (efficiency.NAME), with the datapoints and claims behind them.

    Datapoints are read from the setting efficiency_data plus any --data paths; an estimate
    they cannot compute is read from what `signalflow import` stored, else listed with what
    it needs. Values at different power boundaries are never compared: the chart shows one
    boundary."""
    from signalflow.efficiency.catalog import Catalog
    from signalflow.efficiency.model import PowerBoundary
    from signalflow.efficiency.settings import EfficiencySettings
    from signalflow.errors import EfficiencyError

    settings = load_settings()
    config = settings.section(EfficiencySettings)
    catalog = Catalog.load(extra=config.file, paths=[*config.data, *(data or [])])
    values, problems = catalog.evaluate_all()
    stored, stored_points = _from_store(settings, problems)
    for value in stored:
        problems.pop(value.name, None)
    used = sorted({d for v in values for d in v.datapoints})
    points = [catalog.datapoints[d] for d in used]
    if chart is not None:
        from signalflow.efficiency.chart import compare_chart

        try:
            wanted = PowerBoundary(boundary)
        except ValueError:
            raise EfficiencyError("--boundary", f"{boundary!r} is not one of chip, node_wall, it_cluster") from None
        pool = [p for p in catalog.datapoints.values() if p.boundary is wanted]
        if model:
            pool = [p for p in pool if model.lower() in p.point.model.lower()]
        elif wanted is not PowerBoundary.NODE_WALL:
            pool = [p for p in pool if p.id in used] or pool[:40]
        compare_chart(pool, chart)
    if as_json:
        print_json(
            {
                "estimates": [
                    {"name": v.name, "series": f"efficiency.{v.name}", "value": v.value, "unit": v.unit,
                     "known_from": v.known_from, "description": v.description, "datapoints": list(v.datapoints),
                     "claims": list(v.claims), "inputs": v.inputs, "from": "files"}
                    for v in values
                ] + [
                    {"name": v.name, "series": f"efficiency.{v.name}", "value": v.value, "unit": v.unit,
                     "known_from": v.known_from, "description": v.description, "datapoints": list(v.datapoints),
                     "claims": list(v.claims), "inputs": {}, "from": "store"}
                    for v in stored
                ],
                "unavailable": problems,
                "datapoints": [_point_json(p) for p in points] + stored_points,
                "chart": str(chart) if chart else None,
            }
        )
        return
    _print([*values, *stored], problems, points, chart, stored_points)


@dataclass(frozen=True)
class _Stored:
    """An estimate as `signalflow import` stored it: its latest value and the datapoints
    and claims it names."""

    name: str
    value: float
    unit: str
    known_from: date
    description: str
    datapoints: list[str]
    claims: list[str]


def _from_store(settings, names) -> tuple[list[_Stored], list[dict]]:
    """The estimates among ``names`` the store holds, and the stored datapoints behind them."""
    from signalflow import service

    store = service.open_store(settings)
    try:
        infos = {i.key: i for i in store.list_series() if i.key.startswith("efficiency.")}
        if not infos:
            return [], []
        estimates = []
        for name in names:
            info = infos.get(f"efficiency.{name}")
            rows = store.as_of(info.key) if info else None
            if rows is None or rows.empty:
                continue
            last = rows.iloc[-1]
            refs = [r for r in str(last["source_ref"] or "").split(",") if r]
            estimates.append(_Stored(
                name, float(last["value"]), info.unit, last["period_end"].date(), info.title,
                [r for r in refs if f"efficiency.{r}" in infos], [r for r in refs if f"efficiency.{r}" not in infos],
            ))
        points = []
        for point_id in sorted({d for e in estimates for d in e.datapoints}):
            info = infos[f"efficiency.{point_id}"]
            last = store.as_of(info.key).iloc[-1]
            points.append({
                "id": point_id, "title": info.title, "unit": info.unit, "tokens_per_joule": float(last["value"]),
                "published": last["period_end"].date(), "source_ref": last["source_ref"], "from": "store",
            })
        return estimates, points
    finally:
        store.close()


def _point_json(p) -> dict:
    return {
        "id": p.id, "benchmark": p.benchmark, "system": p.system, "hardware": p.hardware,
        "accelerators": p.n_accelerators, "boundary": p.boundary.value, "model": p.point.model,
        "precision": p.point.precision, "scenario": p.point.scenario, "batch": p.point.batch,
        "token_basis": p.point.token_basis.value, "tokens_per_s": p.tokens_per_s, "power_w": p.power_w,
        "tokens_per_joule": p.tokens_per_joule, "published": p.published, "source_ref": p.source_ref,
    }


def _print(values, problems, points, chart, stored_points=()) -> None:
    from rich.console import Console
    from rich.text import Text

    from signalflow.cli.tables import Col, cell, fit_table

    console = Console()
    rows = []
    for v in values:
        value = f"{v.value:,.0f}" if abs(v.value) >= 1000 else f"{v.value:.3g}"
        rows.append([f"efficiency.{v.name}", f"{value} {v.unit}", v.known_from.isoformat(), ", ".join(v.datapoints + v.claims)])
    for name, problem in problems.items():
        rows.append([f"efficiency.{name}", cell(problem, "yellow"), "", ""])
    columns = [Col("series", no_wrap=True), Col("value"), Col("known from", 2, no_wrap=True), Col("based on", 1)]
    console.print(fit_table(columns, rows, title="Efficiency estimates", console=console))
    if points:
        dp_columns = [Col("datapoint"), Col("boundary", 3), Col("operating point", 4), Col("tok/s", 2, justify="right"),
                      Col("W", 2, justify="right"), Col("tokens/J", justify="right"), Col("published", 1, no_wrap=True)]
        dp_rows = [
            [Text(f"{p.n_accelerators}x {p.hardware}\n") + Text(p.id, style="dim"), p.boundary.value, p.point.describe(),
             f"{p.tokens_per_s:,.0f}", f"{p.power_w:,.0f}", f"{p.tokens_per_joule:.3g}", p.published.isoformat()]
            for p in points
        ]
        console.print(fit_table(dp_columns, dp_rows, title="Datapoints behind them", console=console))
    if stored_points:
        from signalflow.cli.tables import Col, fit_table

        console.print(fit_table(
            [Col("datapoint"), Col("tokens/J", justify="right"), Col("unit", 1), Col("published", 2, no_wrap=True)],
            [[f"{p['title']}\n{p['id']}", f"{p['tokens_per_joule']:.3g}", p["unit"], p["published"].isoformat()]
             for p in stored_points],
            title="Datapoints behind them (as imported)", console=console,
        ))
    if chart:
        console.print(f"chart written to {chart}")
