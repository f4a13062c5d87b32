"""The series types every layer shares: what an observation is, how a series is framed,
how it is provided, and the clock.

Nothing here knows a source, the store, a thesis or a notifier; everything else imports
these from here (or from :mod:`signalflow`). Times are naive UTC datetimes throughout.
"""

from __future__ import annotations

import functools

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
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
    """Where ``known_at`` came from. A ``known_at`` is never earlier than the publication and
    never later than the moment signalflow collected the value (then it is COLLECTED)."""

    EXACT = "exact"  # the publisher's timestamp: SEC acceptanceDateTime, a feed's pubDate
    RELEASE_TIME = "release_time"  # the publisher's release time on the day (a market close)
    END_OF_DAY = "end_of_day"  # a date-only publication: the end of that day, publisher's zone
    VINTAGE = "vintage"  # a FRED/ALFRED real-time vintage date: the end of that day (Chicago)
    ASSUMED = "assumed"  # no publication date: an assumed day (period end + a lag), its end
    COLLECTED = "collected"  # the moment signalflow collected it: nothing earlier is known
    REPORTED = "reported"  # stored by earlier versions: a publisher's date taken as 00:00 UTC


PUBLISHER_ZONES = {
    "fred": "America/Chicago",  # the St. Louis Fed: FRED's last_updated carries -05/-06
    "sec": "America/New_York",  # EDGAR filing dates are Eastern business days
    "eia": "America/New_York",  # EIA, Washington DC
    "px": "America/New_York",  # US exchange sessions
    "efficiency": "America/Los_Angeles",  # MLCommons publishes from San Francisco: the latest US day
    "grid.ercot": "America/Chicago",  # ERCOT, Austin: the GIS report's run time is Central
    "grid.caiso": "America/Los_Angeles",  # CAISO, Folsom
    "grid.nyiso": "America/New_York",  # NYISO, Rensselaer
    "grid.pjm": "America/New_York",  # PJM, Valley Forge
    "grid.miso": "America/New_York",  # MISO, Carmel (Indiana keeps Eastern time)
}
"""The time zone each built-in source's dates are days of (UTC for the others)."""

ACCESSION = re.compile(r"\b\d{10}-\d{2}-\d{6}\b")  # an EDGAR accession number in a source_ref
ZONE_NAMES = {"America/New_York": "ET", "America/Chicago": "CT", "America/Los_Angeles": "PT", "UTC": "UTC"}


def publisher_zone(ref: str) -> str:
    """The time zone a series reference's publisher dates its days in (``fred.X`` -> Chicago,
    ``grid.ercot.queue_mw`` -> Chicago: a source of several publishers is zoned per publisher)."""
    parts = ref.split(".", 2)
    return PUBLISHER_ZONES.get(".".join(parts[:2])) or PUBLISHER_ZONES.get(parts[0], "UTC")


def end_of_day(day: date, zone: str = "UTC") -> datetime:
    """The first instant after ``day`` in ``zone``, as naive UTC: a value published on a date
    with no time of day is visible from then."""
    from zoneinfo import ZoneInfo

    local = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def end_of_day_frame(days: pd.Series, zone: str = "UTC") -> pd.Series:
    """:func:`end_of_day` of each date (or datetime, whose time is dropped) of ``days``."""
    import numpy as np
    import pandas as pd

    start = pd.to_datetime(days).dt.normalize() + pd.Timedelta(days=1)
    if zone == "UTC":
        return start.astype("datetime64[ns]")
    local = start.dt.tz_localize(zone, ambiguous=np.zeros(len(start), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")


def local_time(instant: datetime, zone: str) -> datetime:
    """A naive UTC ``instant`` as the wall-clock time in ``zone`` (naive)."""
    from zoneinfo import ZoneInfo

    return instant.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def capped(known_at: datetime, basis: KnownAtBasis, collected_at: datetime | None) -> tuple[datetime, KnownAtBasis]:
    """``known_at`` never later than the collection: a value signalflow holds at C is known at C."""
    if collected_at is not None and collected_at < known_at:
        return collected_at, KnownAtBasis.COLLECTED
    return known_at, basis


def capped_frame(frame: pd.DataFrame, collected_at: datetime | None) -> pd.DataFrame:
    """:func:`capped` on every row of an ``OBSERVATION_COLUMNS`` frame (in place, returned)."""
    import pandas as pd

    if collected_at is None or frame.empty:
        return frame
    late = frame["known_at"] > pd.Timestamp(collected_at)
    if late.any():
        frame.loc[late, "known_at"] = pd.Timestamp(collected_at)
        frame.loc[late, "known_at_basis"] = KnownAtBasis.COLLECTED.value
    return frame


def describe_known_at(
    ref: str, known_at: datetime | None, basis: str, source_ref: str = ""
) -> str:
    """How a value became known, in the publisher's words and time zone: 'published
    2010-01-25 16:31 ET, accession 0001193125-10-012091'; '' when the instant or its basis
    is unknown."""
    if known_at is None:
        return ""
    zone = publisher_zone(ref)
    name = ZONE_NAMES.get(zone, zone)
    local = local_time(known_at, zone)
    day = (local - timedelta(days=1)).date().isoformat()
    match basis:
        case KnownAtBasis.EXACT.value:
            text = f"published {local:%Y-%m-%d %H:%M} {name}"
        case KnownAtBasis.RELEASE_TIME.value:
            text = f"released {local:%Y-%m-%d %H:%M} {name}"
        case KnownAtBasis.END_OF_DAY.value:
            text = f"published {day} ({name} date, known from its end)"
        case KnownAtBasis.VINTAGE.value:
            text = f"vintage {day} ({name} date, known from its end)"
        case KnownAtBasis.ASSUMED.value:
            text = f"assumed published {day} ({name}, known from the day's end)"
        case KnownAtBasis.COLLECTED.value:
            text = f"collected {known_at:%Y-%m-%d %H:%M} UTC"
        case KnownAtBasis.REPORTED.value:
            text = f"reported {known_at:%Y-%m-%d %H:%M} UTC"
        case _:
            return ""  # the provider did not say how it knew
    accession = ACCESSION.search(source_ref or "")
    return text + (f", accession {accession.group(0)}" if accession else "")



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

    Times are naive UTC datetimes. ``known_at`` is the instant the value became public, as
    ``known_at_basis`` says: a date-only publication (a filing date, a vintage) is the end of
    that day in the publisher's time zone, never its 00:00 UTC.
    """

    series: str
    period_start: date
    period_end: date
    value: float | None
    known_at: datetime
    unit: str = ""
    source_ref: str = ""
    known_at_basis: KnownAtBasis = KnownAtBasis.EXACT


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
    # What the payload is known to miss (a reply cut at a row cap): what it holds is stored,
    # and an import reports it and fails, so a partial history is never taken as whole.
    incomplete: list[str] = field(default_factory=list)

    def observations_frame(self) -> pd.DataFrame:
        """Every observation of the batch as one frame with ``OBSERVATION_COLUMNS``."""
        import pandas as pd

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
        self.incomplete.extend(other.incomplete)
        if other.frame is not None:
            import pandas as pd

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
        return cls(key, _empty_data().copy(), kind)  # a copy of one built once: building one costs 40 copies


@functools.cache
def _empty_data():
    """The frame of a series without rows (never handed out: :meth:`SeriesFrame.empty` copies it)."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in FRAME_COLUMNS})


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
                import pandas as pd

                known = frame.data["known_at"] <= pd.Timestamp(until)
                if not known.all():
                    data = frame.data[known].reset_index(drop=True)
                    frame = SeriesFrame(frame.key, data, frame.kind, frame.unit, frame.frequency, frame.url)
            out[key] = frame
        return out
