"""The series types every layer shares: what an observation is, how a series is framed,
how it is provided, and the clock.

Nothing here knows a source, the store, a thesis or a notifier; everything else imports
these from here (or from :mod:`signalflow`). Times are naive UTC datetimes throughout.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Protocol, runtime_checkable

import pandas as pd

Clock = Callable[[], datetime]
"""A function returning now as a naive UTC datetime; injected wherever time is read."""


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every time in signalflow is."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
    story: str = ""  # the story this item belongs to (see :class:`Story`); empty when unlabelled
    outlet: str = ""  # who published it: the entry's source, else the link's host, else the feed
    language: str = "en"  # ISO 639-1; items in a language the rules are not for stay unlabelled
    details: dict[str, object] = field(default_factory=dict)  # counterparties, term, technology, places, delay


@dataclass(frozen=True, slots=True)
class Story:
    """Items about one event from any outlets, counted once.

    ``known_at`` is when its first item was published; ``mw`` and ``amount_usd`` are the
    story's one set of figures (never summed over its copies), at ``version`` (1 when first
    seen, +1 each time a fuller report revised them, as of ``updated_at``)."""

    id: str  # the first item's entry id
    label: str
    title: str
    known_at: datetime
    mw: float | None = None
    amount_usd: float | None = None
    companies: tuple[str, ...] = ()
    version: int = 1
    updated_at: datetime | None = None


# The source_ref of a story's rows in the ``news.*`` event series: ``STORY @OUTLET`` in a
# count stream (one row per outlet that carried the story), ``STORY`` then ``STORY #N`` in a
# figure stream (version N of the story's figure). Thesis functions read stories through them.
_OUTLET_MARK, _VERSION_MARK = " @", " #"


def story_ref(story: str, outlet: str | None = None, version: int = 1) -> str:
    """The source_ref of one row of ``story``: an outlet's row, or a version of its figures."""
    if outlet is not None:
        return f"{story}{_OUTLET_MARK}{outlet}"
    return story if version <= 1 else f"{story}{_VERSION_MARK}{version}"


def parse_story_ref(ref: str) -> tuple[str, str | None, int] | None:
    """(story, outlet, version) of a story row's source_ref, or None for any other row."""
    story, mark, outlet = ref.rpartition(_OUTLET_MARK)
    if mark and story:
        return story, outlet, 1
    story, mark, version = ref.rpartition(_VERSION_MARK)
    if mark and story and version.isdigit():
        return story, None, int(version)
    return None


@dataclass
class Batch:
    """What one collection or import produced."""

    series: list[SeriesInfo] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)  # stories opened or revised
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
        self.stories.extend(other.stories)
        self.warnings.extend(other.warnings)
        if other.frame is not None:
            self.frame = (
                other.frame if self.frame is None else pd.concat([self.frame, other.frame], ignore_index=True)
            )


FRAME_COLUMNS = ["period_start", "period_end", "value", "known_at", "source_ref", "unit"]


@dataclass
class SeriesFrame:
    """Every known version of every period of one series.

    ``data`` has ``FRAME_COLUMNS``: ``period_start``/``period_end`` and ``known_at`` as
    ``datetime64[ns]`` (naive UTC), ``value`` float (NaN = missing), sorted by
    ``known_at``. Several rows for one period are its versions (revisions); for event
    series every row is its own event. A provider that knows where each ``known_at`` came
    from adds a ``known_at_basis`` column (:class:`KnownAtBasis` values), as the store does.
    """

    key: str
    data: pd.DataFrame
    kind: SeriesKind = SeriesKind.LEVEL
    unit: str = ""
    frequency: str = ""
    url: str = ""

    @classmethod
    def empty(cls, key: str, kind: SeriesKind = SeriesKind.LEVEL) -> SeriesFrame:
        return cls(key, pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in FRAME_COLUMNS}), kind)


_DTYPES = {
    "period_start": "datetime64[ns]",
    "period_end": "datetime64[ns]",
    "value": "float64",
    "known_at": "datetime64[ns]",
    "source_ref": "object",
    "unit": "object",
}


class SeriesProvider(Protocol):
    """Loads series frames; the store implements it, tests build literal ones."""

    def load(self, keys: set[str] | list[str], until: datetime | None = None) -> dict[str, SeriesFrame]: ...


@runtime_checkable
class IncrementalSeriesProvider(SeriesProvider, Protocol):
    """A provider that can also say what changed since an earlier read (the store).

    ``read_cursor(after)`` returns the id of the newest settled observation; ``load(keys,
    after=a, upto=b)`` returns only the series that gained rows with ids in ``(a, b]``."""

    def read_cursor(self, after: int = 0) -> int: ...

    def load(
        self,
        keys: set[str] | list[str],
        until: datetime | None = None,
        after: int = 0,
        upto: int | None = None,
    ) -> dict[str, SeriesFrame]: ...


EVENT_SOURCES = frozenset({"news"})

# The changes between two snapshots of a grid queue (``grid.ISO.KIND``) or of the data-center
# list (``dc.KIND``): event streams, unlike the levels of one snapshot (``grid.ISO.queue_mw``).
GRID_CHANGES = frozenset(
    {"cod_slip", "cod_pull_in", "withdrawn", "completed", "new_request", "mw_change", "removed"}
)
DC_CHANGES = frozenset({"site_added", "site_removed", "power_change", "timeline_slip"})


def event_stream(ref: str) -> str | None:
    """The event stream a reference reads, without company filter or field, or None when the
    reference is a plain series: ``news.power_contract[MSFT].mw`` -> ``news.power_contract``,
    ``grid.ercot.cod_slip.mw`` -> ``grid.ercot.cod_slip``, ``dc.site_added`` -> ``dc.site_added``;
    ``grid.ercot.queue_mw`` and ``dc.power_mw[META]`` -> None."""
    parts = ref.split("[", 1)[0].split(".")
    if parts[0] in EVENT_SOURCES:
        return ".".join(parts[:2])
    if parts[0] == "grid" and len(parts) >= 3 and parts[2] in GRID_CHANGES:
        return ".".join(parts[:3])
    if parts[0] == "dc" and len(parts) >= 2 and parts[1] in DC_CHANGES:
        return ".".join(parts[:2])
    return None


def default_kind(ref: str) -> SeriesKind:
    """The kind a reference has when nothing else says: news streams and snapshot changes are
    events, SEC flows (revenue, capex, ...) are flows, rpo is an instant, everything else a
    level."""
    source = ref.split(".", 1)[0]
    if event_stream(ref) is not None:
        return SeriesKind.EVENT
    if source == "sec":
        return SeriesKind.INSTANT if ref.rsplit(".", 1)[-1] == "rpo" else SeriesKind.FLOW
    return SeriesKind.LEVEL


def default_frequency(ref: str) -> str:
    """The frequency a reference has when nothing else says: a stock's splits are irregular
    (a company that never split has an empty split series, and that is not staleness)."""
    parts = ref.split(".")
    return "irregular" if parts[0] == "px" and parts[-1] == "split" else ""


class MemoryProvider:
    """The :class:`SeriesProvider` over frames held in memory: bundled facts, rule test
    files, tests and benchmarks all serve their series through it.

        provider = MemoryProvider({"fred.DGS10": frame})
        provider.load({"fred.DGS10"}, until=datetime(2025, 6, 1))   # rows known by then

    ``load`` returns each frame as held, or a copy cut to the rows known at ``until``; a
    key it does not hold is left out, as the store leaves out a series never collected.
    """

    def __init__(self, frames: Mapping[str, SeriesFrame] | Iterable[SeriesFrame] | None = None) -> None:
        if frames is None or isinstance(frames, Mapping):
            self.frames: dict[str, SeriesFrame] = dict(frames or {})
        else:
            self.frames = {frame.key: frame for frame in frames}

    def add(self, frame: SeriesFrame) -> None:
        self.frames[frame.key] = frame

    def load(self, keys: Iterable[str], until: datetime | None = None) -> dict[str, SeriesFrame]:
        out = {}
        for key in keys:
            frame = self.frames.get(key)
            if frame is None:
                continue
            if until is not None and len(frame.data):
                known = frame.data["known_at"] <= pd.Timestamp(until)
                if not known.all():
                    data = frame.data[known].reset_index(drop=True)
                    frame = SeriesFrame(frame.key, data, frame.kind, frame.unit, frame.frequency, frame.url)
            out[key] = frame
        return out
