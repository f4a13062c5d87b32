"""Canonical SEC metrics (``revenue``, ``capex``, ...) as ordered lists of XBRL concepts.

The built-in list is ``signalflow/data/sec_concepts.toml``; a user file (setting
``sec_concepts_file``) adds metrics, and puts its concepts first for metrics that exist.
"""

from __future__ import annotations

import enum
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from signalflow.errors import ConfigError

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CONCEPT_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
TAXONOMIES = ("us-gaap", "ifrs-full", "dei", "srt", "invest", "ecd")


class MetricKind(str, enum.Enum):
    FLOW = "flow"  # an amount over a period: becomes discrete fiscal quarters
    INSTANT = "instant"  # a balance at a date: one value per period end


@dataclass(frozen=True, slots=True)
class Concept:
    taxonomy: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Concept:
        taxonomy, _, name = text.rpartition(":")
        return cls(taxonomy, name)

    def __str__(self) -> str:
        return f"{self.taxonomy}:{self.name}" if self.taxonomy else self.name


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: MetricKind
    title: str
    concepts: tuple[Concept, ...]


def _parse(text: str, origin: str) -> dict[str, Metric]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("sec_concepts_file", f"{origin}: {exc}") from exc
    metrics: dict[str, Metric] = {}
    for name, spec in (data.get("metrics") or {}).items():
        if not METRIC_NAME.match(name):
            raise ConfigError("sec_concepts_file", f"{origin}: metric name {name!r} must match [a-z][a-z0-9_]*")
        concepts = spec.get("concepts") or []
        if not isinstance(concepts, list) or not all(isinstance(c, str) and c for c in concepts):
            raise ConfigError("sec_concepts_file", f"{origin}: metrics.{name}.concepts must be a list of names")
        try:
            kind = MetricKind(spec.get("kind", "flow"))
        except ValueError:
            raise ConfigError(
                "sec_concepts_file", f"{origin}: metrics.{name}.kind must be 'flow' or 'instant'"
            ) from None
        metrics[name] = Metric(name, kind, spec.get("title", name), tuple(Concept.parse(c) for c in concepts))
    return metrics


@cache
def builtin_metrics() -> dict[str, Metric]:
    text = (Path(__file__).resolve().parent.parent / "data" / "sec_concepts.toml").read_text("utf-8")
    return _parse(text, "signalflow/data/sec_concepts.toml")


def load_metrics(user_file: Path | None = None) -> dict[str, Metric]:
    """The built-in metrics, extended by ``user_file`` (its concepts first)."""
    metrics = dict(builtin_metrics())
    if user_file is None:
        return metrics
    try:
        text = Path(user_file).read_text("utf-8")
    except OSError as exc:
        raise ConfigError("sec_concepts_file", f"cannot read {user_file}: {exc.strerror}") from exc
    for name, metric in _parse(text, str(user_file)).items():
        base = metrics.get(name)
        if base is not None:
            extra = tuple(c for c in base.concepts if c not in metric.concepts)
            metric = Metric(name, metric.kind, metric.title or base.title, metric.concepts + extra)
        metrics[name] = metric
    return metrics
