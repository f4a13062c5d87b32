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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import MutableMapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from signalflow.series import Batch, Clock, utcnow

if TYPE_CHECKING:
    from signalflow.settings import Settings
    from signalflow.sources.http import HttpClient



class RefWarning(str):
    """A ``check_ref`` answer that is a warning, not an error: the thesis still runs and the
    input stays unknown until the user configures it (e.g. a ``csv.NAME`` not yet set up)."""


class Source(ABC):
    """A collector for one family of series references (``name.…``)."""

    name: ClassVar[str]

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, clock: Clock = utcnow
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
