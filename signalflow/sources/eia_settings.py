"""Settings of the EIA source (``eia.NAME``), in a light module so loading settings imports no
HTTP library."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from signalflow.redact import SecretUrl
from signalflow.settings import Duration, Interval, SourceSettings


class EiaSeries(BaseModel):
    """``eia.NAME``: an EIA API v2 route with facets and the data column to read."""

    model_config = ConfigDict(validate_default=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    route: str = Field(description="e.g. 'electricity/retail-sales'")
    data_column: str = Field("value", description="the data[] column, e.g. 'price'")
    facets: dict[str, list[str]] = Field(default_factory=dict)
    frequency: Literal["hourly", "daily", "weekly", "monthly", "quarterly", "annual"] = "monthly"
    release_lag: Duration = Field(
        "1d", description="EIA gives no vintages: a period is assumed published this long after its last day, known at the end of that New York day"
    )
    unit: str = Field("", description="unit; empty = the reply's '<column>-units'")
    schedule: Interval = Field("1d", description="collection interval of this series; unset: eia_schedule")


class EiaSettings(SourceSettings):
    prefix = "eia"

    api_key: SecretStr | None = Field(None, description="EIA API v2 key")
    api_url: SecretUrl = Field("https://api.eia.gov/v2", description="EIA API v2 base URL")
    series: list[EiaSeries] = Field(default_factory=list, alias="eia", description="eia.NAME series")
    schedule: Interval = Field("1d", description="EIA collection interval")
