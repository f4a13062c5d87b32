"""Settings of the price source (``px.TICKER.close|open|high|low|volume|split``), in a light
module so loading settings imports no HTTP library."""

from __future__ import annotations

from pydantic import Field

from signalflow.redact import SecretUrl
from signalflow.settings import Interval, SourceSettings


class PriceSettings(SourceSettings):
    prefix = "prices"

    url: SecretUrl = Field(
        "https://query1.finance.yahoo.com",
        description="keyless daily chart endpoint base: GET {prices_url}/v8/finance/chart/SYMBOL",
    )
    history: str = Field("10y", description="range asked on a first run or after a new split (1y, 5y, 10y, max)")
    recent: str = Field("1mo", description="range asked on later runs")
    close_utc: str = Field("21:00", description="UTC time of day at which a session's bar counts as known (HH:MM)")
    schedule: Interval = Field("6h", description="price collection interval")
