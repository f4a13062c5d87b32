"""Settings of the FRED source (``fred.SERIES``), in a light module so loading settings
imports no HTTP library."""

from __future__ import annotations

from pydantic import Field, SecretStr

from signalflow.redact import SecretUrl

from signalflow.settings import Duration, Interval, SourceSettings


class FredSettings(SourceSettings):
    prefix = "fred"

    api_key: SecretStr | None = Field(
        None, description="FRED API key; without one the keyless fredgraph.csv download is used"
    )
    api_url: SecretUrl = Field("https://api.stlouisfed.org/fred", description="FRED API base URL")
    graph_url: SecretUrl = Field(
        "https://fred.stlouisfed.org/graph/fredgraph.csv", description="keyless FRED CSV endpoint"
    )
    schedule: Interval = Field("6h", description="FRED collection interval")
    revision_window: Duration = Field(
        "400d", description="how far before the last seen observation each FRED run looks for revisions"
    )
