"""Settings of the Prometheus source (``prom.NAME``), in a light module so loading settings
imports no HTTP library."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from signalflow.redact import SecretUrl
from signalflow.settings import Interval, SourceSettings


class PromSeries(BaseModel):
    """``prom.NAME``: a PromQL expression evaluated with query_range."""

    model_config = ConfigDict(validate_default=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    query: str
    step: Interval = "1h"
    lookback: Interval = "7d"
    unit: str = ""
    schedule: Interval = Field("15m", description="collection interval of this series; unset: prom_schedule")


class PromSettings(SourceSettings):
    prefix = "prom"

    url: SecretUrl | None = Field(
        None, alias="prometheus_url", description="Prometheus base URL for prom.NAME series (may carry user:password@)"
    )
    series: list[PromSeries] = Field(default_factory=list, alias="prom", description="prom.NAME series")
    schedule: Interval = Field("15m", description="Prometheus collection interval")
