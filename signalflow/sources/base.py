"""The collector interface: a source turns an HTTP API or a file into observations.

A source knows its protocol and payload formats and nothing of theses, the store or Slack.
It receives the series references the theses use (``fred.DGS10``) and a small persistent
state mapping (ETags, cursors), and returns a :class:`Batch`. The caller stores it.

Writing your own::

    from signalflow.sources.base import Batch, Observation, SeriesInfo, Source

    class WeatherSource(Source):
        name = "weather"                      # theses say weather.NAME

        def collect(self, refs, state):
            obs = [Observation(series=r, period_start=d, period_end=d, value=v,
                               known_at=now) for r in refs for d, v in fetch(r)]
            return Batch(observations=obs)

and register it in your package's ``pyproject.toml``::

    [project.entry-points."signalflow.sources"]
    weather = "mypkg.weather:WeatherSource"
"""

from __future__ import annotations

import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from signalflow.settings import Settings
    from signalflow.sources.http import HttpClient

log = logging.getLogger(__name__)


class SeriesKind(str, enum.Enum):
    """How the values of a series relate to their periods."""

    LEVEL = "level"  # a rate, price or index at the period (DGS10, WALCL)
    FLOW = "flow"  # an amount over the period (quarterly revenue, capex)
    INSTANT = "instant"  # a balance at the period end (rpo)
    EVENT = "event"  # each observation is one occurrence (a classified headline)


class KnownAtBasis(str, enum.Enum):
    """Where ``known_at`` came from."""

    REPORTED = "reported"  # the filing date, the publication time
    VINTAGE = "vintage"  # a FRED/ALFRED real-time vintage date
    ASSUMED = "assumed"  # no vintage information: assumed period end + 1 day
    COLLECTED = "collected"  # nothing better than the time we fetched it


OBSERVATION_COLUMNS = [
    "series",
    "period_start",
    "period_end",
    "value",
    "known_at",
    "unit",
    "source_ref",
    "known_at_basis",
]


@dataclass(frozen=True, slots=True)
class Observation:
    """One version of one period of one series.

    Times are naive UTC datetimes. A date-only ``known_at`` (a filing date, a vintage) is
    the start of that day: the value is usable by any evaluation at or after it.
    """

    series: str
    period_start: date
    period_end: date
    value: float | None
    known_at: datetime
    unit: str = ""
    source_ref: str = ""
    known_at_basis: KnownAtBasis = KnownAtBasis.REPORTED


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """What is known about a series as a whole."""

    key: str  # the reference theses use: fred.DGS10, sec.AAPL.capex
    source: str  # the source name: fred, sec, news, csv, ...
    kind: SeriesKind = SeriesKind.LEVEL
    unit: str = ""
    frequency: str = ""  # daily, weekly, monthly, quarterly, annual, irregular
    title: str = ""
    url: str = ""  # a human page for the series (FRED series page, SEC filing index)


@dataclass(frozen=True, slots=True)
class Event:
    """A news item classified as an event (see the news source)."""

    source: str  # feed name
    entry_id: str  # the feed entry's id, or its link when it has none
    title: str
    link: str
    published: datetime  # known_at of the event
    label: str | None  # power_contract, deployment_delay, ..., or None
    summary: str = ""
    mw: float | None = None
    amount_usd: float | None = None
    companies: tuple[str, ...] = ()
    rule: str = ""  # the classification rule that decided


@dataclass
class Batch:
    """What one collection or import produced."""

    series: list[SeriesInfo] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # bulk observations, columns = OBSERVATION_COLUMNS
    warnings: list[str] = field(default_factory=list)

    def observations_frame(self) -> pd.DataFrame:
        """Every observation of the batch as one frame with ``OBSERVATION_COLUMNS``."""
        parts = []
        if self.observations:
            parts.append(
                pd.DataFrame(
                    [
                        (
                            o.series,
                            o.period_start,
                            o.period_end,
                            o.value,
                            o.known_at,
                            o.unit,
                            o.source_ref,
                            KnownAtBasis(o.known_at_basis).value,
                        )
                        for o in self.observations
                    ],
                    columns=OBSERVATION_COLUMNS,
                )
            )
        if self.frame is not None and len(self.frame):
            parts.append(self.frame[OBSERVATION_COLUMNS])
        if not parts:
            return pd.DataFrame(columns=OBSERVATION_COLUMNS)
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def extend(self, other: Batch) -> None:
        self.series.extend(other.series)
        self.observations.extend(other.observations)
        self.events.extend(other.events)
        self.warnings.extend(other.warnings)
        if other.frame is not None:
            self.frame = (
                other.frame if self.frame is None else pd.concat([self.frame, other.frame], ignore_index=True)
            )


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every time in signalflow is."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class RefWarning(str):
    """A ``check_ref`` answer that is a warning, not an error: the thesis still runs and the
    input stays unknown until the user configures it (e.g. a ``csv.NAME`` not yet set up)."""


class Source(ABC):
    """A collector for one family of series references (``name.…``)."""

    name: ClassVar[str]

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.settings = settings
        self.http = http
        self.clock = clock  # injected by tests so that time is controlled, never slept

    def handles(self, ref: str) -> bool:
        return ref.split(".", 1)[0] == self.name

    def schedule(self) -> timedelta:
        """How often the daemon runs this source."""
        from signalflow.settings import parse_duration

        return parse_duration(getattr(self.settings, f"{self.name}_schedule", self.settings.default_schedule))

    @abstractmethod
    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Fetch what is new for ``refs``; ``state`` persists across runs (ETags, cursors)."""

    def check_ref(self, ref: str) -> str | None:
        """A problem with ``ref`` in words (naming the nearest known name), or None if valid.

        Called by ``signalflow check`` for every series reference of this source. Return a
        :class:`RefWarning` for problems that should warn rather than fail the check."""
        return None

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when this source can import the file (``head`` is its first 64 KiB)."""
        return False

    def import_file(self, path: Path) -> Batch:
        """Parse a saved payload exactly as if it had been collected."""
        raise NotImplementedError(f"source {self.name} cannot import files")



def collect_each(
    items: Iterable[str],
    collect_one: Callable[[str], Batch],
    *,
    source: str,
    stop_on: tuple[type[Exception], ...] = (),
    redact: Callable[[Exception], Exception] = lambda exc: exc,
) -> Batch:
    """Collect each item (a series, a ticker, a company) with ``collect_one``.

    One failing item becomes a warning in the batch and the others go on, unless every item
    failed: then the first error is raised, so the run counts as failed. An error of a type in
    ``stop_on`` (a rate limit: the server asked us to slow down) stops the run and leaves the
    rest for the next one. ``redact`` strips secrets from an error before it is kept."""
    from signalflow.errors import RateLimited, SourceError
    from signalflow.sources.http import STOPPING

    batch = Batch()
    errors: list[Exception] = []
    succeeded = 0
    for item in items:
        try:
            part = collect_one(item)
        except SourceError as exc:
            exc = redact(exc)
            errors.append(exc)
            batch.warnings.append(str(exc))
            log.warning("collection of one item failed", extra={"source": source, "item": item, "error": str(exc)})
            if isinstance(exc, (RateLimited, *stop_on)) or STOPPING.is_set():
                break
            continue
        batch.extend(part)
        succeeded += 1
    if errors and not succeeded:
        raise errors[0]
    return batch
