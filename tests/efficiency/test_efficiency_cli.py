"""`signalflow efficiency`: estimates and datapoints as a table or JSON, and the chart."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.efficiency.chart import compare_chart
from signalflow.efficiency.model import EfficiencyDatapoint, OperatingPoint, PowerBoundary
from signalflow.errors import BoundaryMismatch

MLPERF = "efficiency/mlcommons"


def test_json_lists_estimates_and_the_datapoints_behind_them(shared_data: Path) -> None:
    result = CliRunner().invoke(app, ["efficiency", "--json", "--data", str(shared_data / MLPERF)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    estimates = {e["name"]: e for e in out["estimates"]}
    assert estimates["b200_llama70b_facility"]["value"] == pytest.approx(6.97, abs=0.006)
    assert estimates["h200_llama70b_wall"]["value"] == pytest.approx(4.11, rel=0.005)
    assert estimates["b200_llama70b_facility"]["known_from"] == "2025-09-09"
    behind = {d["id"]: d for d in out["datapoints"]}
    assert set(estimates["blackwell_gain_llama70b_wall"]["datapoints"]) <= set(behind)
    assert {d["boundary"] for d in behind.values()} == {"node_wall"}


def test_without_data_the_estimates_say_what_they_need() -> None:
    result = CliRunner().invoke(app, ["efficiency", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert "import the benchmark file" in out["unavailable"]["b200_llama70b_facility"]
    assert {e["name"] for e in out["estimates"]} == {"cpo_network_facility_gain"}


def test_table_and_chart(shared_data: Path, tmp_path: Path) -> None:
    png = tmp_path / "eff.png"
    result = CliRunner().invoke(
        app, ["efficiency", "--data", str(shared_data / MLPERF), "--chart", str(png)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "efficiency.b200_llama70b_facility" in result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_boundary_is_one_line_and_non_zero(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["efficiency", "--data", str(shared_data / MLPERF), "--chart", str(tmp_path / "x.png"), "--boundary", "moon"]
    )
    assert result.exit_code != 0
    assert "moon" in result.output and "Traceback" not in result.output


def _point(name: str, boundary: PowerBoundary) -> EfficiencyDatapoint:
    return EfficiencyDatapoint(name, "stated", "gpu", "b200", 1, 100.0, 50.0, boundary,
                               OperatingPoint("m"), date(2025, 1, 1), "test")


def test_chart_refuses_mixed_boundaries(tmp_path: Path) -> None:
    with pytest.raises(BoundaryMismatch):
        compare_chart([_point("a", PowerBoundary.NODE_WALL), _point("b", PowerBoundary.CHIP)], tmp_path / "x.png")
