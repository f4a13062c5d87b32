"""Settings of the efficiency estimates (``efficiency.NAME``), in a light module so loading
settings imports no data library."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from signalflow.settings import Duration, SourceSettings


class EfficiencySettings(SourceSettings):
    prefix = "efficiency"

    file: Path | None = Field(
        None, description="extra efficiency estimates and claims (TOML, layout of signalflow/data/efficiency.toml)"
    )
    data: list[Path] = Field(
        default_factory=list,
        description="MLPerf summary_results.json files and ML.ENERGY leaderboard directories estimates use",
    )
    schedule: Duration = Field("1d", description="efficiency estimates recomputation interval")
