"""The shape shared by sources whose series the user names in the settings, one table per
series (``eia.NAME`` from ``[[eia]]``, ``prom.NAME`` from ``[[prom]]``)::

    class EiaSource(ConfiguredSource):
        name = "eia"
        config_model = EiaSettings        # its ``series``: the [[eia]] entries
        table = "eia"                     # how messages name the TOML table
        title = "EIA"

        def ready(self): ...              # raise ConfigError when a key is missing
        def client(self): return HttpClient("eia", ...)
        def collect_series(self, http, config, state): ...   # one configured series

Each configured series has a ``schedule``: unset, it is collected on the source's interval.
"""

from __future__ import annotations

import difflib
from abc import abstractmethod
from collections.abc import MutableMapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from signalflow.series import Batch
from signalflow.sources.base import Source

if TYPE_CHECKING:
    from signalflow.sources.http import HttpClient
    from signalflow.sources.eia_settings import EiaSeries
    from signalflow.sources.prom_settings import PromSeries
    from signalflow.sources.tabular_settings import TabularSeries


def own_schedule(config: EiaSeries | PromSeries | TabularSeries | None) -> timedelta | None:
    """A configured series' ``schedule`` when the user set it; unset, the series runs with
    its source (the field's default is only what the documentation shows)."""
    if config is None or "schedule" not in config.model_fields_set:
        return None
    return config.schedule


class SeriesSettings(Protocol):
    """Settings holding the user's configured series."""

    series: Sequence[Any]


class ConfiguredSource(Source):
    table: ClassVar[str]  # the TOML table of the configured series, as messages name it
    title: ClassVar[str]  # how messages name the source
    config: SeriesSettings

    def configs(self) -> list[Any]:
        return list(self.config.series)

    def entry(self, name: str) -> Any | None:
        """The configured series called ``name``, or None."""
        return next((c for c in self.configs() if c.name == name), None)

    def series_schedule(self, ref: str) -> timedelta:
        config = self.entry(ref.split(".", 1)[1]) if "." in ref else None
        return own_schedule(config) or self.schedule()

    def check_ref(self, ref: str) -> str | None:
        name = ref.split(".", 1)[1] if "." in ref else ""
        if self.entry(name):
            return None
        nearest = difflib.get_close_matches(name, [c.name for c in self.configs()], n=1, cutoff=0.0)
        article = "an" if self.table[0] in "aeiou" else "a"
        hint = (
            f"; did you mean {self.name}.{nearest[0]}?"
            if nearest
            else f"; add {article} [[{self.table}]] entry to the settings"
        )
        return f"no {self.title} series named {name!r}{hint}"

    def needs(self, ref: str) -> str | None:
        from signalflow.errors import ConfigError

        try:
            self.ready()
        except ConfigError as exc:
            return f"SIGNALFLOW_{exc.setting.upper()}"
        name = ref.split(".", 1)[1] if "." in ref else ""
        return None if self.entry(name) else f"[[{self.table}]] name = {name!r} in signalflow.toml"

    def ready(self) -> None:
        """Raise ConfigError when the source cannot collect at all (a missing key or URL)."""

    @abstractmethod
    def client(self) -> HttpClient:
        """A new HTTP client for this source (used when none was injected)."""

    @abstractmethod
    def collect_series(self, http: HttpClient, config: Any, state: MutableMapping[str, str]) -> Batch:
        """Observations of one configured series."""

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Observations for ``refs``; a series that fails becomes a warning unless all fail, and
        a reference to a series nobody configured is a warning too."""
        from signalflow.sources.collect import collect_each

        self.ready()
        http = self.http or self.client()

        def one(ref: str) -> Batch:
            config = self.entry(ref.split(".", 1)[1])
            if config is None:
                return Batch(warnings=[f"{ref}: {self.check_ref(ref)}"])
            return self.collect_series(http, config, state)

        try:
            return collect_each([r for r in dict.fromkeys(refs) if self.handles(r)], one, source=self.name)
        finally:
            if self.http is None:
                http.close()
