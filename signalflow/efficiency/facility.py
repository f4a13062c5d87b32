"""From a measured datapoint to the facility: chip -> node -> IT cluster -> facility.

Per accelerator, with T its tokens/s at the benchmarked operating point::

    P_busy       = P_acc + P_node_overhead + P_net          (W)
    tokens/J     = u * T / (PUE * P_busy * (u + (1 - u) * f_idle))
    tokens/s/MW  = u * T / P_allin_provisioned * 1e6         (provisioned capacity view)

A node-wall datapoint already includes P_acc + P_node_overhead; an IT-cluster datapoint
also includes P_net. A facility datapoint cannot be converted again.
"""

from __future__ import annotations

from dataclasses import dataclass

from signalflow.efficiency.model import EfficiencyDatapoint, FacilityAssumptions, PowerBoundary
from signalflow.errors import EfficiencyError


@dataclass(frozen=True)
class FacilityEstimate:
    """The conversion's result, with its intermediate figures (all per accelerator)."""

    tokens_per_s: float  # T
    busy_w: float  # P_busy at the IT boundary
    it_tokens_per_joule: float  # T / P_busy
    facility_tokens_per_joule: float  # energy view, with PUE and utilization
    utilization_factor: float  # u / (u + (1 - u) * f_idle)

    @property
    def tokens_per_s_per_mw(self) -> float:
        return self.facility_tokens_per_joule * 1e6

    @property
    def kwh_per_million_tokens(self) -> float:
        return 1e6 / self.facility_tokens_per_joule / 3.6e6


def busy_watts(point: EfficiencyDatapoint, assume: FacilityAssumptions) -> float:
    """P_busy per accelerator at the IT boundary for a datapoint at any smaller boundary."""
    per_acc = point.watts_per_accelerator
    if point.boundary is PowerBoundary.CHIP:
        if assume.node_overhead_w is None:
            raise EfficiencyError(point.id, "a chip-boundary datapoint needs node_overhead_w to reach the node")
        return per_acc + assume.node_overhead_w.value + assume.network_w.value
    if point.boundary is PowerBoundary.NODE_WALL:
        return per_acc + assume.network_w.value
    if point.boundary is PowerBoundary.IT_CLUSTER:
        return per_acc
    raise EfficiencyError(point.id, "already at the facility boundary: nothing to convert")


def utilization_factor(utilization: float, idle_fraction: float) -> float:
    """u / (u + (1 - u) * f_idle): the share of energy that produced tokens."""
    if not 0 < utilization <= 1:
        raise EfficiencyError("utilization", f"{utilization} is not in (0, 1]")
    if not 0 <= idle_fraction <= 1:
        raise EfficiencyError("idle_fraction", f"{idle_fraction} is not in [0, 1]")
    return utilization / (utilization + (1 - utilization) * idle_fraction)


def to_facility(point: EfficiencyDatapoint, assume: FacilityAssumptions) -> FacilityEstimate:
    """Average tokens per joule drawn by the facility (the energy view)."""
    if assume.pue.value < 1:
        raise EfficiencyError("pue", f"{assume.pue.value} is below 1")
    tokens = point.tokens_per_s_per_accelerator
    busy = busy_watts(point, assume)
    factor = utilization_factor(assume.utilization.value, assume.idle_fraction.value)
    it = tokens / busy
    return FacilityEstimate(
        tokens_per_s=tokens,
        busy_w=busy,
        it_tokens_per_joule=it,
        facility_tokens_per_joule=it * factor / assume.pue.value,
        utilization_factor=factor,
    )


def tokens_per_s_per_provisioned_mw(point: EfficiencyDatapoint, assume: FacilityAssumptions) -> float:
    """u * T / P_allin_provisioned * 1e6: idle capacity still counts, the MW are contracted."""
    if assume.allin_provisioned_w is None:
        raise EfficiencyError(point.id, "needs allin_provisioned_w (all-in provisioned W per accelerator)")
    u = assume.utilization.value
    if not 0 < u <= 1:
        raise EfficiencyError("utilization", f"{u} is not in (0, 1]")
    return u * point.tokens_per_s_per_accelerator / assume.allin_provisioned_w.value * 1e6
