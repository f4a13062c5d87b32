"""The values of the efficiency domain: datapoints, their boundary and operating point,
facility assumptions, hardware profiles and vendor claims.

Tokens per joule has no meaning until the power boundary is fixed: the same node measures
2-3x apart at the chip, the wall and the facility. Every datapoint carries its boundary, and
comparing two datapoints at different boundaries raises :class:`BoundaryMismatch`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date

from signalflow.errors import BoundaryMismatch

SECONDS_PER_KWH = 3.6e6


class PowerBoundary(str, enum.Enum):
    """Where the power was measured, from the smallest boundary to the largest."""

    CHIP = "chip"  # accelerator only (NVML / Zeus), e.g. ML.ENERGY
    NODE_WALL = "node_wall"  # the whole node's AC input, e.g. MLPerf Power
    IT_CLUSTER = "it_cluster"  # nodes plus the scale-out network
    FACILITY = "facility_provisioned"  # all-in facility or provisioned utility power


class TokenBasis(str, enum.Enum):
    """Which tokens the throughput counts."""

    OUTPUT = "output"
    INPUT = "input"
    TOTAL = "total"


@dataclass(frozen=True)
class OperatingPoint:
    """The conditions a throughput was measured under; efficiency moves ~10x with them."""

    model: str
    precision: str = ""
    scenario: str = ""  # "Offline", "Server", "batch=1024", "90 tok/s/user"
    batch: int | None = None  # batch size or max concurrency
    tokens_per_s_per_user: float | None = None
    token_basis: TokenBasis = TokenBasis.OUTPUT

    def describe(self) -> str:
        parts = [self.model]
        if self.precision:
            parts.append(self.precision)
        if self.scenario:
            parts.append(self.scenario)
        if self.batch is not None and f"batch={self.batch}" != self.scenario:
            parts.append(f"batch={self.batch}")
        if self.tokens_per_s_per_user is not None:
            parts.append(f"{self.tokens_per_s_per_user:.0f} tok/s/user")
        parts.append(f"{self.token_basis.value} tokens")
        return ", ".join(parts)


@dataclass(frozen=True)
class EfficiencyDatapoint:
    """One measured or published throughput and power, at a stated boundary.

    ``published`` is when the figure became public: the datapoint is known from then on.
    ``power_w`` and ``tokens_per_s`` are for the whole system of ``n_accelerators``.
    """

    id: str  # stable slug, e.g. mlperf_v5_1__sr680a_v3_b200sxmx8_trt__llama2_70b_99__offline
    benchmark: str  # "MLPerf Inference v5.1", "ML.ENERGY leaderboard"
    hardware: str  # accelerator name as published
    accelerator: str  # hardware profile key: h100, h200, b200, ...
    n_accelerators: int
    tokens_per_s: float
    power_w: float
    boundary: PowerBoundary
    point: OperatingPoint
    published: date
    source_ref: str  # repo@commit:path#row or a URL
    system: str = ""
    measured: bool = True  # False for TDP-based or vendor numbers

    @property
    def tokens_per_joule(self) -> float:
        return self.tokens_per_s / self.power_w

    @property
    def joules_per_token(self) -> float:
        return self.power_w / self.tokens_per_s

    @property
    def tokens_per_s_per_accelerator(self) -> float:
        return self.tokens_per_s / self.n_accelerators

    @property
    def watts_per_accelerator(self) -> float:
        return self.power_w / self.n_accelerators

    def gain_over(self, baseline: EfficiencyDatapoint) -> float:
        """Tokens/J of this datapoint divided by the baseline's, at the same boundary."""
        require_same_boundary(self, baseline)
        return self.tokens_per_joule / baseline.tokens_per_joule


def require_same_boundary(a: EfficiencyDatapoint, b: EfficiencyDatapoint) -> None:
    if a.boundary is not b.boundary:
        raise BoundaryMismatch(a.id, a.boundary.value, b.id, b.boundary.value)


@dataclass(frozen=True)
class Sourced:
    """A number and where it comes from; every default assumption is one of these."""

    value: float
    source: str

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise ValueError(f"the value {self.value} names no source")


@dataclass(frozen=True)
class HardwareProfile:
    """Power figures for one accelerator, each naming its source."""

    key: str
    name: str
    accelerator_w: Sourced  # TDP / TGP
    node_overhead_w: Sourced  # host CPU, DRAM, NICs, fans, PSU loss per accelerator
    network_w: Sourced  # scale-out switches and optics per accelerator
    allin_provisioned_w: Sourced | None = None  # TDP-based all-in facility power per accelerator


@dataclass(frozen=True)
class FacilityAssumptions:
    """The inputs that take a node-level figure to the facility, each naming its source."""

    pue: Sourced
    network_w: Sourced  # P_net per accelerator
    utilization: Sourced  # u: share of time serving at the benchmarked operating point
    idle_fraction: Sourced  # f_idle: IT power when idle / IT power when busy
    allin_provisioned_w: Sourced | None = None  # for tokens/s per provisioned MW
    node_overhead_w: Sourced | None = None  # only for chip-boundary datapoints


@dataclass(frozen=True)
class VendorClaim:
    """A vendor multiplier with its scope: never a measurement."""

    id: str
    vendor: str
    platform: str
    baseline: str
    metric: str  # "tok/s/MW", "network power", "perf/W"
    multiplier: float | None  # 10.0 for "10x"; None when the claim is a reduction
    reduction: float | None  # 0.65 for "65% less"
    operating_point: str
    announced: date
    source: str
    reliability: str = "secondary"


@dataclass(frozen=True)
class EstimateValue:
    """A named estimate's value and the datapoints and claims behind it."""

    name: str
    value: float
    unit: str
    known_from: date  # the latest publication date among its inputs
    description: str
    datapoints: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    inputs: dict[str, float] = field(default_factory=dict)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(*parts: str) -> str:
    """'MLPerf v5.1', 'SR680a_V3' -> 'mlperf_v5_1__sr680a_v3': a series-name-safe id."""
    return "__".join(_SLUG.sub("_", p.lower()).strip("_") for p in parts)
