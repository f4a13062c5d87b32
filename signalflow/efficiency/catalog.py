"""Named estimates: the efficiency configuration, the datapoints it refers to, and their values.

The configuration is ``signalflow/data/efficiency.toml`` and ``hardware_profiles.toml``,
plus the user's ``efficiency_file`` (same layout; entries of the same name replace the
packaged ones). Datapoints come from the raw benchmark files (see ``importers``).

Usage::

    catalog = Catalog.load(extra=settings.section(EfficiencySettings).file)
    catalog.add_paths([Path("summary_results.json"), Path("ml-energy_leaderboard/")])
    catalog.evaluate("b200_llama70b_facility").value      # 6.97 tokens per facility joule
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from signalflow.efficiency import claims as claim_math
from signalflow.efficiency.facility import to_facility, tokens_per_s_per_provisioned_mw
from signalflow.efficiency.importers import read_datapoints
from signalflow.efficiency.model import (
    EfficiencyDatapoint,
    EstimateValue,
    FacilityAssumptions,
    HardwareProfile,
    Sourced,
    VendorClaim,
)
from signalflow.errors import EfficiencyError

ASSUMPTION_FIELDS = ("pue", "network_w", "utilization", "idle_fraction", "node_overhead_w", "allin_provisioned_w")


class EstimateKind(str, enum.Enum):
    """How an estimate is computed from its datapoints and claims."""

    TOKENS_PER_JOULE = "tokens_per_joule"
    FACILITY_TOKENS_PER_JOULE = "facility_tokens_per_joule"
    PER_PROVISIONED_MW = "tokens_per_s_per_provisioned_mw"
    GAIN = "gain"
    REALIZED_RATIO = "realized_ratio"
    COMPONENT_CLAIM = "component_claim"


UNITS = {
    EstimateKind.TOKENS_PER_JOULE: "tokens/J",
    EstimateKind.FACILITY_TOKENS_PER_JOULE: "tokens/J (facility)",
    EstimateKind.PER_PROVISIONED_MW: "tokens/s per provisioned MW",
    EstimateKind.GAIN: "ratio",
    EstimateKind.REALIZED_RATIO: "ratio",
    EstimateKind.COMPONENT_CLAIM: "ratio",
}


@dataclass(frozen=True)
class EstimateSpec:
    """One ``[estimates.NAME]`` table."""

    name: str
    kind: EstimateKind
    description: str
    datapoint: str = ""
    baseline: str = ""
    claim: str = ""
    accelerator: str = ""
    overrides: Mapping[str, Sourced] = field(default_factory=dict)
    origin: str = ""


@dataclass(frozen=True)
class EfficiencyConfig:
    rounds: Mapping[str, date]
    defaults: Mapping[str, Sourced]
    profiles: Mapping[str, HardwareProfile]
    claims: Mapping[str, VendorClaim]
    estimates: Mapping[str, EstimateSpec]


def _read_toml(path: Path | None, name: str) -> tuple[dict[str, Any], str]:
    if path is None:
        text = resources.files("signalflow").joinpath("data", name).read_text(encoding="utf-8")
        origin = f"signalflow/data/{name}"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise EfficiencyError(str(path), f"cannot read: {exc.strerror}") from None
        origin = str(path)
    try:
        return tomllib.loads(text), origin
    except tomllib.TOMLDecodeError as exc:
        raise EfficiencyError(origin, f"invalid TOML: {exc}") from None


def _sourced(origin: str, where: str, raw: Any) -> Sourced:
    if not isinstance(raw, dict) or "value" not in raw or not str(raw.get("source", "")).strip():
        raise EfficiencyError(origin, f"{where} must be a table {{value = ..., source = \"...\"}} naming its source")
    try:
        return Sourced(float(raw["value"]), str(raw["source"]))
    except (TypeError, ValueError):
        raise EfficiencyError(origin, f"{where}: value {raw['value']!r} is not a number") from None


def _parse(data: dict[str, Any], origin: str, into: dict[str, dict[str, Any]]) -> None:
    for version, raw in data.get("mlperf_rounds", {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("published"), date) or not raw.get("source"):
            raise EfficiencyError(origin, f"mlperf_rounds.{version} needs published = YYYY-MM-DD and a source")
        into["rounds"][version] = raw["published"]
    for key, raw in data.get("defaults", {}).items():
        if key not in ASSUMPTION_FIELDS:
            raise EfficiencyError(origin, f"defaults.{key} is not one of {', '.join(ASSUMPTION_FIELDS)}")
        into["defaults"][key] = _sourced(origin, f"defaults.{key}", raw)
    for name, raw in data.get("claims", {}).items():
        try:
            into["claims"][name] = VendorClaim(
                id=name,
                vendor=raw["vendor"],
                platform=raw["platform"],
                baseline=raw["baseline"],
                metric=raw["metric"],
                multiplier=float(raw["multiplier"]) if "multiplier" in raw else None,
                reduction=float(raw["reduction"]) if "reduction" in raw else None,
                operating_point=raw.get("operating_point", ""),
                announced=raw["announced"],
                source=raw["source"],
                reliability=raw.get("reliability", "secondary"),
            )
        except KeyError as exc:
            raise EfficiencyError(origin, f"claims.{name} lacks {exc.args[0]}") from None
    for name, raw in data.get("estimates", {}).items():
        try:
            kind = EstimateKind(raw.get("kind", ""))
        except ValueError:
            kinds = ", ".join(k.value for k in EstimateKind)
            raise EfficiencyError(origin, f"estimates.{name}: kind must be one of {kinds}") from None
        overrides = {
            key: _sourced(origin, f"estimates.{name}.{key}", raw[key]) for key in ASSUMPTION_FIELDS if key in raw
        }
        into["estimates"][name] = EstimateSpec(
            name=name,
            kind=kind,
            description=raw.get("description", ""),
            datapoint=raw.get("datapoint", ""),
            baseline=raw.get("baseline", ""),
            claim=raw.get("claim", ""),
            accelerator=raw.get("accelerator", ""),
            overrides=overrides,
            origin=origin,
        )


def load_profiles(path: Path | None = None) -> dict[str, HardwareProfile]:
    data, origin = _read_toml(path, "hardware_profiles.toml")
    profiles = {}
    for key, raw in data.items():
        fields = {
            f: _sourced(origin, f"{key}.{f}", raw[f])
            for f in ("accelerator_w", "node_overhead_w", "network_w", "allin_provisioned_w")
            if f in raw
        }
        missing = {"accelerator_w", "node_overhead_w", "network_w"} - set(fields)
        if missing:
            raise EfficiencyError(origin, f"profile {key} lacks {', '.join(sorted(missing))}")
        profiles[key] = HardwareProfile(key=key, name=raw.get("name", key), **fields)
    return profiles


def load_config(extra: Path | None = None) -> EfficiencyConfig:
    """The packaged configuration, then the user's file over it."""
    merged: dict[str, dict[str, Any]] = {"rounds": {}, "defaults": {}, "claims": {}, "estimates": {}}
    _parse(*_read_toml(None, "efficiency.toml"), merged)
    if extra is not None:
        _parse(*_read_toml(extra, "efficiency.toml"), merged)
    return EfficiencyConfig(profiles=load_profiles(), **merged)


class Catalog:
    """The configuration plus the datapoints read so far; evaluates estimates."""

    def __init__(self, config: EfficiencyConfig) -> None:
        self.config = config
        self.datapoints: dict[str, EfficiencyDatapoint] = {}

    @classmethod
    def load(cls, extra: Path | None = None, paths: Iterable[Path] = ()) -> Catalog:
        catalog = cls(load_config(extra))
        catalog.add_paths(paths)
        return catalog

    def add(self, points: Iterable[EfficiencyDatapoint]) -> None:
        for point in points:
            self.datapoints[point.id] = point

    def add_paths(self, paths: Iterable[Path]) -> None:
        """Read every efficiency file at ``paths`` (files, or directories searched for *.json)."""
        for path in paths:
            files = sorted(Path(path).rglob("*.json")) if Path(path).is_dir() else [Path(path)]
            for file in files:
                self.add(read_datapoints(file, self.config.rounds))

    def datapoint(self, point_id: str, estimate: str) -> EfficiencyDatapoint:
        try:
            return self.datapoints[point_id]
        except KeyError:
            raise EfficiencyError(
                estimate, f"datapoint {point_id} is not loaded: import the benchmark file that holds it"
            ) from None

    def claim(self, claim_id: str, estimate: str) -> VendorClaim:
        try:
            return self.config.claims[claim_id]
        except KeyError:
            raise EfficiencyError(estimate, f"unknown claim {claim_id}") from None

    def assumptions(self, spec: EstimateSpec, accelerator: str) -> FacilityAssumptions:
        """Defaults, then the hardware profile, then the estimate's own overrides."""
        values: dict[str, Sourced] = dict(self.config.defaults)
        profile = self.config.profiles.get(accelerator)
        if profile is not None:
            values["network_w"] = profile.network_w
            values["node_overhead_w"] = profile.node_overhead_w
            if profile.allin_provisioned_w is not None:
                values["allin_provisioned_w"] = profile.allin_provisioned_w
        values.update(spec.overrides)
        missing = {"pue", "network_w", "utilization", "idle_fraction"} - set(values)
        if missing:
            raise EfficiencyError(spec.name, f"no value for {', '.join(sorted(missing))}")
        return FacilityAssumptions(**{k: values.get(k) for k in ASSUMPTION_FIELDS})

    def evaluate(self, name: str) -> EstimateValue:
        try:
            spec = self.config.estimates[name]
        except KeyError:
            raise EfficiencyError(name, "no such estimate") from None
        kind = spec.kind
        points: list[EfficiencyDatapoint] = []
        used_claims: list[VendorClaim] = []
        inputs: dict[str, float] = {}
        if kind is EstimateKind.COMPONENT_CLAIM:
            claim = self.claim(spec.claim, name)
            used_claims.append(claim)
            assume = self.assumptions(spec, spec.accelerator)
            if assume.allin_provisioned_w is None:
                raise EfficiencyError(name, "needs allin_provisioned_w for the network's share of power")
            net, total = assume.network_w.value, assume.allin_provisioned_w.value
            value = claim_math.claim_facility_gain(claim, net, total)
            inputs = {"reduction": claim.reduction or 0.0, "network_w": net, "total_w": total}
        else:
            point = self.datapoint(spec.datapoint, name)
            points.append(point)
            if kind is EstimateKind.TOKENS_PER_JOULE:
                value = point.tokens_per_joule
            elif kind is EstimateKind.FACILITY_TOKENS_PER_JOULE:
                assume = self.assumptions(spec, point.accelerator)
                result = to_facility(point, assume)
                value = result.facility_tokens_per_joule
                inputs = _assumption_inputs(assume) | {"busy_w": result.busy_w, "tokens_per_s": result.tokens_per_s}
            elif kind is EstimateKind.PER_PROVISIONED_MW:
                assume = self.assumptions(spec, point.accelerator)
                value = tokens_per_s_per_provisioned_mw(point, assume)
                inputs = _assumption_inputs(assume)
            else:
                baseline = self.datapoint(spec.baseline, name)
                points.append(baseline)
                value = claim_math.measured_gain(point, baseline)
                inputs = {"measured_gain": value}
                if kind is EstimateKind.REALIZED_RATIO:
                    claim = self.claim(spec.claim, name)
                    used_claims.append(claim)
                    value = claim_math.realized_ratio(value, claim)
                    inputs["claimed"] = claim.multiplier or 0.0
        dates = [p.published for p in points] + [c.announced for c in used_claims]
        return EstimateValue(
            name=name,
            value=value,
            unit=UNITS[kind],
            known_from=max(dates),
            description=spec.description,
            datapoints=tuple(p.id for p in points),
            claims=tuple(c.id for c in used_claims),
            inputs=inputs,
        )

    def evaluate_all(self) -> tuple[list[EstimateValue], dict[str, str]]:
        """Every estimate that can be computed, and why the others cannot."""
        values, problems = [], {}
        for name in self.config.estimates:
            try:
                values.append(self.evaluate(name))
            except EfficiencyError as exc:
                problems[name] = exc.problem
        return values, problems

    def with_overrides(self, name: str, **overrides: Sourced) -> Catalog:
        """A copy in which estimate ``name`` uses other assumptions (for what-if tables)."""
        spec = self.config.estimates[name]
        new_spec = replace(spec, overrides={**spec.overrides, **overrides})
        config = replace(self.config, estimates={**self.config.estimates, name: new_spec})
        copy = Catalog(config)
        copy.datapoints = dict(self.datapoints)
        return copy


def _assumption_inputs(assume: FacilityAssumptions) -> dict[str, float]:
    return {k: getattr(assume, k).value for k in ASSUMPTION_FIELDS if getattr(assume, k) is not None}
