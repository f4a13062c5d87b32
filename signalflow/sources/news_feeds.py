"""The news source's feeds: the documented default list, and what the source keeps per feed
in its state (a health record of the last attempt, the entry ids already seen).

    from signalflow.sources.news_feeds import feed_health
    for health in feed_health(state):   # the news source state, as `signalflow feeds` reads it
        print(health.feed, health.status, health.reason)
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

from signalflow.sources.news_settings import FeedConfig

DEFAULT_FEEDS_FILE = Path(__file__).resolve().parent.parent / "data" / "feeds.toml"
SEEN_LIMIT = 5000  # ids remembered per feed; feeds show far fewer entries than this


def default_feeds(path: Path = DEFAULT_FEEDS_FILE) -> list[FeedConfig]:
    """The documented default feeds (``signalflow/data/feeds.toml``)."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return [FeedConfig(**{k: v for k, v in f.items() if k in FeedConfig.model_fields}) for f in data["feed"]]


@dataclass(frozen=True)
class FeedHealth:
    """How the last attempt on one feed went: ok, bozo (parsed with a problem) or failing."""

    feed: str
    url: str
    status: str  # ok | bozo | failing | not_modified
    checked_at: str  # ISO time of the attempt
    reason: str = ""
    entries: int = 0  # entries in the feed at the last successful parse
    new_entries: int = 0
    last_success: str = ""
    consecutive_failures: int = 0
    other_language: int = 0  # new entries left unclassified: not in a language the rules are for

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FeedHealth:
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def feed_health(state: MutableMapping[str, str] | dict[str, str]) -> list[FeedHealth]:
    """Every feed's health record found in the news source state."""
    return [FeedHealth.from_json(v) for k, v in sorted(state.items()) if k.endswith(":health")]


def _seen(state: MutableMapping[str, str], key: str) -> set[str]:
    raw = state.get(f"{key}:seen")
    return set(json.loads(raw)) if raw else set()


def _remember(state: MutableMapping[str, str], key: str, ids: list[str]) -> None:
    if not ids:
        return
    raw = state.get(f"{key}:seen")
    known = json.loads(raw) if raw else []
    known.extend(i for i in ids if i not in set(known))
    state[f"{key}:seen"] = json.dumps(known[-SEEN_LIMIT:])
