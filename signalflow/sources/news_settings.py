"""Settings of the news source (``news.*``), in a light module so loading settings imports no
feed parser."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from signalflow.redact import SecretUrl
from signalflow.settings import Interval, PluginSettings


class FeedConfig(BaseModel):
    """One RSS/Atom feed the news collector reads."""

    model_config = ConfigDict(validate_default=True)

    name: str
    url: SecretUrl = Field(description="feed URL (may carry a token or user:password@)")
    schedule: Interval = "30m"


class NewsSettings(PluginSettings):
    """The news source's schedule is its feeds' shortest, so it has no ``news_schedule``."""

    prefix = "news"

    feeds: list[FeedConfig] = Field(
        default_factory=list, alias="feeds", description="RSS/Atom feeds; empty = the documented default list"
    )
    rules_file: Path | None = Field(None, description="extra classification rules (YAML)")
    watchlist_file: Path | None = Field(None, alias="watchlist_file", description="extra companies, aliases, layers and named lists (YAML)")
