"""The collector interface: a source turns an HTTP API or a file into observations.

A source knows its protocol and payload formats and nothing of theses, the store or Slack.
It receives the series references the theses use (``fred.DGS10``) and a small persistent
state mapping (ETags, cursors), and returns a :class:`Batch`. The caller stores it.

Writing your own::

    from signalflow import Batch, Observation, Source

    class WeatherSource(Source):
        name = "weather"                      # theses say weather.NAME

        def collect(self, refs, state):
            now = self.clock()                # injected, so tests control time
            obs = [Observation(series=r, period_start=d, period_end=d, value=v, known_at=now)
                   for r in refs for d, v in fetch(r)]   # fetch: your API client
            return Batch(observations=obs)

and register it in your package's ``pyproject.toml``::

    [project.entry-points."signalflow.sources"]
    weather = "mypkg.weather:WeatherSource"

A source with settings declares a :class:`~signalflow.settings.SourceSettings` model in a
light module, registers it in the ``signalflow.settings`` group and names it in
``config_model``; ``self.config`` is then that model, filled from the settings, and its
``schedule`` is how often the daemon runs the source.

A run that is more than its batch (or its error) says so in ``self.outcome``, a
:class:`RunOutcome`: a source whose items are on their own schedules sets
``RunOutcome(attempted=False)`` when nothing was due.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from signalflow.series import Batch, Clock, utcnow
from signalflow.settings import PluginSettings, SourceSettings

if TYPE_CHECKING:
    from signalflow.settings import Settings
    from signalflow.sources.http import HttpClient


class RefWarning(str):
    """A ``check_ref`` answer that is a warning, not an error: the thesis still runs and the
    input stays unknown until the user configures it (e.g. a ``csv.NAME`` not yet set up)."""


@dataclass(frozen=True)
class RunOutcome:
    """What a ``collect()`` run tells its caller beside the batch it returns or the error it
    raises; a source sets it as ``self.outcome`` (the default: attempted, state kept only
    with the stored batch)."""

    # False: nothing was due (feeds on longer schedules). The run tried nothing, so it is no
    # news of the source's health: its health stays what its last attempt left.
    attempted: bool = True
    # True: the state the run changed describes no data left unstored (a feed's health and
    # fetch time), so it is kept even when the run fails with a SourceError.
    keep_state: bool = False


class Source(ABC):
    """A collector for one family of series references (``name.…``)."""

    name: ClassVar[str]
    config_model: ClassVar[type[PluginSettings]] = SourceSettings
    outcome: RunOutcome = RunOutcome()  # set by collect() when a run says more (RunOutcome)

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, clock: Clock = utcnow
    ) -> None:
        self.settings = settings
        self.config = settings.section(self.config_model)
        self.http = http
        self.clock = clock  # injected by tests so that time is controlled, never slept

    def handles(self, ref: str) -> bool:
        return ref.split(".", 1)[0] == self.name

    def schedule(self) -> timedelta:
        """How often the daemon runs this source: its settings' ``schedule``, else default_schedule."""
        every = self.config.schedule if isinstance(self.config, SourceSettings) else None
        return every or self.settings.default_schedule

    def series_schedule(self, ref: str) -> timedelta:
        """How often the daemon collects ``ref``: the source's interval unless the series
        sets its own (a ``[[tabular]]``, ``[[eia]]`` or ``[[prom]]`` table's ``schedule``)."""
        return self.schedule()

    def intervals(self, refs: Sequence[str]) -> dict[timedelta, list[str]]:
        """``refs`` grouped by how often the daemon collects them."""
        groups: dict[timedelta, list[str]] = {}
        for ref in refs:
            groups.setdefault(self.series_schedule(ref), []).append(ref)
        return groups

    @abstractmethod
    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Fetch what is new for ``refs``; ``state`` persists across runs (ETags, cursors)."""

    def needs(self, ref: str) -> str | None:
        """The one setting ``ref`` still needs before it can be collected (the environment
        variable or TOML table a new user adds, e.g. ``SIGNALFLOW_SEC_USER_AGENT``), or None
        when it is ready. A reference that needs a setting is skipped, not failed."""
        return None

    def check_ref(self, ref: str) -> str | None:
        """A problem with ``ref`` in words (naming the nearest known name), or None if valid.

        Called by ``signalflow check`` for every series reference of this source. Return a
        :class:`RefWarning` for problems that should warn rather than fail the check."""
        return None

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when this source can import the file (``head`` is its first 64 KiB)."""
        return False

    def file_date(self, path: Path, head: bytes) -> date | None:
        """The date a saved file represents, when this source reads it from the file (a report's
        run date): a folder import takes dated files oldest first. None: no date, keep its place."""
        return None

    def import_file(self, path: Path) -> Batch:
        """Parse a saved payload exactly as if it had been collected."""
        raise NotImplementedError(f"source {self.name} cannot import files")
