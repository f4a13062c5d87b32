"""``signalflow efficiency``: the named estimates, and the datapoints behind them."""

from __future__ import annotations

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
    whose datapoint is not loaded is listed with what it needs. Values at different power
    boundaries are never compared: the chart shows one boundary."""
    from signalflow.efficiency.catalog import Catalog
    from signalflow.efficiency.model import PowerBoundary
    from signalflow.efficiency.settings import EfficiencySettings
    from signalflow.errors import EfficiencyError

    config = load_settings().section(EfficiencySettings)
    catalog = Catalog.load(extra=config.file, paths=[*config.data, *(data or [])])
    values, problems = catalog.evaluate_all()
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
                     "claims": list(v.claims), "inputs": v.inputs}
                    for v in values
                ],
                "unavailable": problems,
                "datapoints": [_point_json(p) for p in points],
                "chart": str(chart) if chart else None,
            }
        )
        return
    _print(values, problems, points, chart)


def _point_json(p) -> dict:
    return {
        "id": p.id, "benchmark": p.benchmark, "system": p.system, "hardware": p.hardware,
        "accelerators": p.n_accelerators, "boundary": p.boundary.value, "model": p.point.model,
        "precision": p.point.precision, "scenario": p.point.scenario, "batch": p.point.batch,
        "token_basis": p.point.token_basis.value, "tokens_per_s": p.tokens_per_s, "power_w": p.power_w,
        "tokens_per_joule": p.tokens_per_joule, "published": p.published, "source_ref": p.source_ref,
    }


def _print(values, problems, points, chart) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table("series", "value", "unit", "known from", "based on", title="Efficiency estimates")
    for v in values:
        value = f"{v.value:,.0f}" if abs(v.value) >= 1000 else f"{v.value:.3g}"
        table.add_row(f"efficiency.{v.name}", value, v.unit, v.known_from.isoformat(), ", ".join(v.datapoints + v.claims))
    for name, problem in problems.items():
        table.add_row(f"efficiency.{name}", "-", "", "", f"[yellow]{problem}[/]")
    console.print(table)
    if points:
        dp = Table("datapoint", "boundary", "operating point", "tok/s", "W", "tokens/J", "published",
                   title="Datapoints behind them")
        for p in points:
            dp.add_row(f"{p.n_accelerators}x {p.hardware}\n[dim]{p.id}[/]", p.boundary.value, p.point.describe(),
                       f"{p.tokens_per_s:,.0f}", f"{p.power_w:,.0f}", f"{p.tokens_per_joule:.3g}",
                       p.published.isoformat())
        console.print(dp)
    if chart:
        console.print(f"chart written to {chart}")
