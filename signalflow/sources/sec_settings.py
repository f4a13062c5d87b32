"""Settings of the SEC EDGAR source (``sec.TICKER.metric``), in a light module so loading
settings imports no HTTP library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from signalflow.redact import SecretUrl
from signalflow.settings import Interval, SourceSettings


def _polite(value: float) -> float:
    if not 0 < value <= 10:
        raise ValueError("must be in (0, 10]: the SEC allows at most 10 requests per second")
    return value


class SecSettings(SourceSettings):
    prefix = "sec"

    user_agent: str = Field(
        "", description="'Name email@example.com': SEC fair-access contact; required for SEC collection"
    )
    base_url: SecretUrl = Field("https://data.sec.gov", description="SEC data API base URL")
    tickers_url: SecretUrl = Field("https://www.sec.gov/files/company_tickers.json", description="ticker to CIK map")
    max_rps: Annotated[float, AfterValidator(_polite)] = Field(
        10.0, description="SEC requests per second across the process (max 10)"
    )
    schedule: Interval = Field("6h", description="SEC collection interval")
    concepts_file: Path | None = Field(
        None,
        description="extra canonical SEC metrics (TOML like signalflow/data/sec_concepts.toml); "
        "its concepts are tried before the built-in ones",
    )
