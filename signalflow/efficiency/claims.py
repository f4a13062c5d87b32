"""Vendor claims against measurements.

- The realized ratio R = measured gain / claimed multiplier: how much of a "10x" showed up
  in independent measurements at one boundary.
- A component claim ("65 % less network power") acts on an additive power term, not on
  throughput: gain = 1 / (1 - r * s_net) with s_net the network's share of power.
"""

from __future__ import annotations

from signalflow.efficiency.model import EfficiencyDatapoint, VendorClaim
from signalflow.errors import EfficiencyError


def measured_gain(new: EfficiencyDatapoint, old: EfficiencyDatapoint) -> float:
    """Tokens/J of ``new`` over ``old``; both must be at one boundary."""
    return new.gain_over(old)


def realized_ratio(gain: float, claim: VendorClaim) -> float:
    """R = measured gain / claimed multiplier."""
    if not claim.multiplier:
        raise EfficiencyError(claim.id, "a realized ratio needs a multiplier claim, not a reduction")
    return gain / claim.multiplier


def component_gain(reduction: float, share: float) -> float:
    """Facility tokens/J gain when a component with ``share`` of the power is cut by ``reduction``."""
    if not 0 <= reduction <= 1:
        raise EfficiencyError("reduction", f"{reduction} is not in [0, 1]")
    if not 0 <= share < 1:
        raise EfficiencyError("share", f"{share} is not in [0, 1)")
    return 1.0 / (1.0 - reduction * share)


def claim_facility_gain(claim: VendorClaim, component_w: float, total_w: float) -> float:
    """The facility effect of a component claim: its reduction applied to the component's share."""
    if claim.reduction is None:
        raise EfficiencyError(claim.id, "a component effect needs a reduction claim (e.g. 65 % less power)")
    if total_w <= 0:
        raise EfficiencyError(claim.id, f"total power {total_w} W is not positive")
    return component_gain(claim.reduction, component_w / total_w)
