"""The facility conversion and the claim arithmetic, against the worked examples of the
domain report (3.2, 3.3), from datapoints whose inputs the test states."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from signalflow.efficiency.catalog import Catalog, load_config
from signalflow.efficiency.claims import component_gain, realized_ratio
from signalflow.efficiency.facility import to_facility, tokens_per_s_per_provisioned_mw, utilization_factor
from signalflow.efficiency.model import (
    EfficiencyDatapoint,
    FacilityAssumptions,
    OperatingPoint,
    PowerBoundary,
    Sourced,
    VendorClaim,
)
from signalflow.errors import BoundaryMismatch, EfficiencyError


def node(tok_s_per_gpu: float, watts_per_gpu: float, boundary=PowerBoundary.NODE_WALL, name="x") -> EfficiencyDatapoint:
    return EfficiencyDatapoint(
        id=name,
        benchmark="stated",
        hardware="gpu",
        accelerator="",
        n_accelerators=8,
        tokens_per_s=8 * tok_s_per_gpu,
        power_w=8 * watts_per_gpu,
        boundary=boundary,
        point=OperatingPoint(model="llama2-70b", scenario="Offline"),
        published=date(2025, 1, 1),
        source_ref="test",
    )


def assume(pue: float, net: float, u: float, f_idle: float = 0.2, allin: float | None = None) -> FacilityAssumptions:
    s = "stated by the test"
    return FacilityAssumptions(
        pue=Sourced(pue, s),
        network_w=Sourced(net, s),
        utilization=Sourced(u, s),
        idle_fraction=Sourced(f_idle, s),
        allin_provisioned_w=Sourced(allin, s) if allin else None,
    )


H200 = (3158, 769)  # tok/s/GPU and wall W/GPU, REPORT 3.2
B200 = (12864, 1300)

# REPORT 3.2 (f_idle = 0.2): case, PUE, P_net, u, expected facility tokens/J
WORKED = [
    (H200, 1.10, 0, 1.0, 3.73), (H200, 1.10, 0, 0.6, 3.29), (H200, 1.10, 0, 0.4, 2.87),
    (H200, 1.10, 180, 1.0, 3.02), (H200, 1.10, 180, 0.6, 2.67), (H200, 1.10, 180, 0.4, 2.33),
    (H200, 1.56, 180, 1.0, 2.13), (H200, 1.56, 180, 0.6, 1.88), (H200, 1.56, 180, 0.4, 1.64),
    (B200, 1.10, 0, 1.0, 8.99), (B200, 1.10, 0, 0.6, 7.94), (B200, 1.10, 0, 0.4, 6.92),
    (B200, 1.10, 180, 1.0, 7.90), (B200, 1.10, 180, 0.6, 6.97), (B200, 1.10, 180, 0.4, 6.08),
    (B200, 1.56, 180, 1.0, 5.57), (B200, 1.56, 180, 0.6, 4.92), (B200, 1.56, 180, 0.4, 4.29),
]


@pytest.mark.parametrize(("case", "pue", "net", "u", "expected"), WORKED)
def test_worked_examples(case, pue, net, u, expected) -> None:
    result = to_facility(node(*case), assume(pue, net, u))
    assert result.facility_tokens_per_joule == pytest.approx(expected, abs=0.006)
    assert result.tokens_per_s_per_mw == pytest.approx(result.facility_tokens_per_joule * 1e6)


def test_chip_boundary_adds_node_overhead() -> None:
    chip = node(1000, 600, PowerBoundary.CHIP)
    base = assume(1.0, 100, 1.0)
    with pytest.raises(EfficiencyError, match="node_overhead_w"):
        to_facility(chip, base)
    with_node = FacilityAssumptions(**{**base.__dict__, "node_overhead_w": Sourced(300, "stated")})
    assert to_facility(chip, with_node).busy_w == 1000  # 600 + 300 + 100


def test_it_cluster_already_includes_the_network_and_facility_cannot_convert() -> None:
    assert to_facility(node(1000, 500, PowerBoundary.IT_CLUSTER), assume(1.0, 180, 1.0)).busy_w == 500
    with pytest.raises(EfficiencyError, match="facility"):
        to_facility(node(1000, 500, PowerBoundary.FACILITY), assume(1.0, 0, 1.0))


@pytest.mark.parametrize(("u", "f_idle", "expected"), [(1.0, 0.2, 1.0), (0.6, 0.2, 0.6 / 0.68), (0.5, 0.0, 1.0)])
def test_utilization_factor(u, f_idle, expected) -> None:
    assert utilization_factor(u, f_idle) == pytest.approx(expected)


@pytest.mark.parametrize(("u", "f_idle"), [(0.0, 0.2), (1.2, 0.2), (0.5, -0.1)])
def test_utilization_out_of_range_is_an_error(u, f_idle) -> None:
    with pytest.raises(EfficiencyError):
        utilization_factor(u, f_idle)


def test_tokens_per_provisioned_mw_counts_idle_capacity() -> None:
    point = node(*B200)
    full = tokens_per_s_per_provisioned_mw(point, assume(1.1, 180, 1.0, allin=2170))
    assert full == pytest.approx(12864 / 2170 * 1e6)
    assert tokens_per_s_per_provisioned_mw(point, assume(1.1, 180, 0.5, allin=2170)) == pytest.approx(full / 2)


def test_comparing_across_boundaries_is_an_error() -> None:
    wall, chip = node(*B200, name="wall"), node(12864, 954, PowerBoundary.CHIP, name="chip")
    with pytest.raises(BoundaryMismatch, match="node_wall and chip"):
        wall.gain_over(chip)
    assert wall.gain_over(node(*H200)) == pytest.approx((12864 / 1300) / (3158 / 769))


# REPORT 3.3: 65 % cut; s_net 8.6 % -> ~1.06, 5 % -> 1.03, 15 % -> 1.11
@pytest.mark.parametrize(("share", "expected"), [(180 / 2100, 1.06), (0.05, 1.03), (0.15, 1.11)])
def test_component_claim_facility_gain(share, expected) -> None:
    assert component_gain(0.65, share) == pytest.approx(expected, abs=0.005)


def test_realized_ratio_needs_a_multiplier() -> None:
    claim = VendorClaim("c", "V", "P", "B", "tok/s/MW", 10.0, None, "", date(2025, 10, 9), "stated")
    assert realized_ratio(2.4, claim) == pytest.approx(0.24)
    cut = VendorClaim("n", "V", "P", "B", "network power", None, 0.65, "", date(2025, 3, 18), "stated")
    with pytest.raises(EfficiencyError, match="multiplier"):
        realized_ratio(2.4, cut)


def test_every_packaged_default_and_profile_names_its_source() -> None:
    config = load_config()
    assert {"pue", "network_w", "utilization", "idle_fraction"} <= set(config.defaults)
    for profile in config.profiles.values():
        for value in (profile.accelerator_w, profile.node_overhead_w, profile.network_w):
            assert value.source.strip() and value.value > 0
    for claim in config.claims.values():
        assert claim.source and (claim.multiplier or claim.reduction)


def test_user_file_overrides_an_estimate_assumption(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text(
        "[estimates.b200_stated]\n"
        'kind = "facility_tokens_per_joule"\n'
        'datapoint = "x"\n'
        'pue = { value = 1.56, source = "Uptime 2024 survey" }\n'
    )
    catalog = Catalog.load(extra=extra)
    catalog.add([node(*B200)])
    assert catalog.evaluate("b200_stated").value == pytest.approx(4.92, abs=0.006)
    bad = tmp_path / "bad.toml"
    bad.write_text('[estimates.y]\nkind = "facility_tokens_per_joule"\npue = 1.2\n')
    with pytest.raises(EfficiencyError, match="naming its source"):
        Catalog.load(extra=bad)


def test_missing_datapoint_names_the_estimate() -> None:
    with pytest.raises(EfficiencyError, match="b200_llama70b_facility.*import"):
        Catalog.load().evaluate("b200_llama70b_facility")
