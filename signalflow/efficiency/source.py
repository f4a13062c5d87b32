"""``efficiency.NAME`` series: named estimates and the datapoints behind them.

Two kinds of series, both one observation per publication:

- ``efficiency.<estimate>`` (e.g. ``efficiency.b200_llama70b_facility``,
  ``efficiency.blackwell_10x_realized``): known from the latest publication date among the
  datapoints and claims it uses (the end of that day in California: basis END_OF_DAY).
- ``efficiency.<datapoint id>`` (e.g. ``efficiency.mlperf_v5_1__sr680a_v3_b200sxmx8_trt__llama2_70b_99__offline``):
  tokens/J at the datapoint's own boundary, known from the end of its publication day.

Datapoints come from the files in ``efficiency_data`` and from the file being
imported with ``signalflow import PATH``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path

from signalflow.efficiency.catalog import Catalog
from signalflow.efficiency.importers import FileKind, read_datapoints, sniff
from signalflow.efficiency.model import EfficiencyDatapoint, EstimateValue
from signalflow.efficiency.settings import EfficiencySettings
from signalflow.errors import EfficiencyError
from signalflow.series import PUBLISHER_ZONES, Batch, KnownAtBasis, Observation, SeriesInfo, SeriesKind, end_of_day
from signalflow.sources.base import Source

PREFIX = "efficiency."


class EfficiencySource(Source):
    """Computes efficiency estimates from benchmark files; nothing is fetched over HTTP."""

    name = "efficiency"
    config_model = EfficiencySettings
    config: EfficiencySettings
    _loaded: Catalog | None = None

    def catalog(self, extra_points: Iterable[EfficiencyDatapoint] = ()) -> Catalog:
        catalog = Catalog.load(extra=self.config.file, paths=self.config.data)
        catalog.add(extra_points)
        return catalog

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        catalog = self.catalog()
        wanted = {ref.removeprefix(PREFIX) for ref in refs if self.handles(ref)}
        return build_batch(catalog, wanted)

    def needs(self, ref: str) -> str | None:
        """An estimate whose benchmark files are not loaded waits for them (``signalflow
        import`` stores them once; ``efficiency_data`` reads them on every run)."""
        name = ref.removeprefix(PREFIX)
        if self._loaded is None:
            self._loaded = self.catalog()
        catalog = self._loaded
        if name in catalog.datapoints:
            return None
        if name in catalog.config.estimates:
            try:
                catalog.evaluate(name)
            except EfficiencyError:
                return "efficiency_data (or `signalflow import` its benchmark files)"
        return None

    def check_ref(self, ref: str) -> str | None:
        name = ref.removeprefix(PREFIX)
        try:
            config_names = list(Catalog.load(extra=self.config.file).config.estimates)
        except EfficiencyError as exc:
            return str(exc)
        if name in config_names or name.startswith(("mlperf_", "mlenergy__")):
            return None
        nearest = difflib.get_close_matches(name, config_names, n=1, cutoff=0.0)
        hint = f"; did you mean efficiency.{nearest[0]}?" if nearest else ""
        return f"unknown efficiency estimate {name!r}{hint}"

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".json" and sniff(head) is not None

    def import_file(self, path: Path) -> Batch:
        """The file's datapoints, and every estimate computable from them plus the files
        in ``efficiency_data`` and the MLPerf summaries beside this one (so importing a
        directory of rounds yields the cross-round gains)."""
        catalog = self.catalog()
        points = read_datapoints(path, catalog.config.rounds)
        if sniff(_head(path)) == FileKind.MLPERF:
            for sibling in sorted(path.parent.glob("*.json")):
                if sibling != path and sniff(_head(sibling)) == FileKind.MLPERF:
                    catalog.add(read_datapoints(sibling, catalog.config.rounds))
        catalog.add(points)
        return build_batch(catalog, None, only_points={p.id for p in points})


def build_batch(catalog: Catalog, wanted: set[str] | None, only_points: set[str] | None = None) -> Batch:
    """Observations for ``wanted`` names (None = every estimate that can be computed, plus
    the datapoints in ``only_points``)."""
    batch = Batch()
    for name in catalog.config.estimates:
        if wanted is not None and name not in wanted:
            continue
        try:
            value = catalog.evaluate(name)
        except EfficiencyError as exc:
            if wanted is not None:
                batch.warnings.append(str(exc))
            continue
        _add_estimate(batch, value)
    for point_id, point in catalog.datapoints.items():
        if (wanted is not None and point_id in wanted) or (only_points is not None and point_id in only_points):
            _add_datapoint(batch, point)
    if wanted:
        known = set(catalog.config.estimates) | set(catalog.datapoints)
        for name in sorted(wanted - known):
            batch.warnings.append(f"efficiency.{name}: no such estimate or loaded datapoint")
    return batch


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(65536)


def _published(day) -> datetime:
    """A publication date is known at the end of that day in California (MLCommons publishes
    from San Francisco; no US publisher's day ends later)."""
    return end_of_day(day, PUBLISHER_ZONES["efficiency"])


def _add_estimate(batch: Batch, value: EstimateValue) -> None:
    key = PREFIX + value.name
    batch.series.append(
        SeriesInfo(key=key, source="efficiency", kind=SeriesKind.LEVEL, unit=value.unit, frequency="irregular",
                   title=value.description[:300])
    )
    refs = ",".join(value.datapoints + value.claims)
    batch.observations.append(
        Observation(
            series=key,
            period_start=value.known_from,
            period_end=value.known_from,
            value=value.value,
            known_at=_published(value.known_from),
            unit=value.unit,
            source_ref=refs[:300],
            known_at_basis=KnownAtBasis.END_OF_DAY,
        )
    )


def _add_datapoint(batch: Batch, point: EfficiencyDatapoint) -> None:
    key = PREFIX + point.id
    unit = f"tokens/J ({point.boundary.value})"
    title = f"{point.benchmark}: {point.n_accelerators}x {point.hardware}, {point.point.describe()}"
    batch.series.append(
        SeriesInfo(key=key, source="efficiency", kind=SeriesKind.LEVEL, unit=unit, frequency="irregular",
                   title=title[:300])
    )
    batch.observations.append(
        Observation(
            series=key,
            period_start=point.published,
            period_end=point.published,
            value=point.tokens_per_joule,
            known_at=_published(point.published),
            unit=unit,
            source_ref=point.source_ref[:300],
            known_at_basis=KnownAtBasis.END_OF_DAY,
        )
    )
