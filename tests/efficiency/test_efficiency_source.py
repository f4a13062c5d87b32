"""EfficiencySource: estimates and datapoints as efficiency.NAME series, point in time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from signalflow.efficiency.source import EfficiencySource

V41 = "efficiency/mlcommons/inference_results_v4.1_summary_results_at_4a0c874.json"
V51 = "efficiency/mlcommons/inference_results_v5.1_summary_results.json"
B200_DP = "efficiency.mlperf_v5_1__sr680a_v3_b200sxmx8_trt__llama2_70b_99__offline"


def _by_series(batch):
    return {o.series: o for o in batch.observations}


def test_collect_gives_estimates_known_from_their_publication(settings, shared_data: Path) -> None:
    settings.efficiency_data = [shared_data / V41, shared_data / V51]
    refs = ["efficiency.b200_llama70b_facility", "efficiency.blackwell_10x_realized", B200_DP, "efficiency.nope"]
    batch = EfficiencySource(settings).collect(refs, {})
    obs = _by_series(batch)
    assert obs["efficiency.b200_llama70b_facility"].value == pytest.approx(6.97, abs=0.006)
    # Published 2025-09-09 and 2025-10-09: known at the end of those days in California (PDT).
    assert obs["efficiency.b200_llama70b_facility"].known_at == datetime(2025, 9, 10, 7)
    assert obs["efficiency.blackwell_10x_realized"].value == pytest.approx(0.241, abs=0.001)
    assert obs["efficiency.blackwell_10x_realized"].known_at == datetime(2025, 10, 10, 7)
    assert obs[B200_DP].value == pytest.approx(9.89, rel=0.005)
    assert obs[B200_DP].unit == "tokens/J (node_wall)"
    assert set(obs) == set(refs) - {"efficiency.nope"}
    assert any("efficiency.nope" in w for w in batch.warnings)


def test_collect_without_the_benchmark_files_warns(settings) -> None:
    batch = EfficiencySource(settings).collect(["efficiency.b200_llama70b_facility"], {})
    assert batch.observations == []
    assert "import the benchmark file" in batch.warnings[0]


def test_import_stores_datapoints_and_estimates_point_in_time(settings, shared_data: Path, store) -> None:
    source = EfficiencySource(settings)
    path = shared_data / V51
    assert source.sniff(path, path.read_bytes()[:65536])
    batch = source.import_file(path)
    keys = {o.series for o in batch.observations}
    assert "efficiency.b200_llama70b_facility" in keys and B200_DP in keys
    # the v4.1 summary beside it gives the cross-round estimates, not its own datapoints
    assert "efficiency.blackwell_10x_realized" in keys
    assert not any(k.startswith("efficiency.mlperf_v4_1") for k in keys)
    first = store.add_batch(batch)
    assert first.observations_added == len(batch.observations)
    assert store.add_batch(source.import_file(path)).observations_added == 0
    before = store.as_of("efficiency.b200_llama70b_facility", datetime(2025, 9, 8))
    after = store.as_of("efficiency.b200_llama70b_facility", datetime(2025, 9, 10, 7))
    assert len(before) == 0
    assert after["value"].iloc[0] == pytest.approx(6.97, abs=0.006)
    assert store.series_info(B200_DP).unit == "tokens/J (node_wall)"


def test_sniff_rejects_other_json(settings, tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"observations": []}')
    assert not EfficiencySource(settings).sniff(other, other.read_bytes())


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        ("efficiency.b200_llama70b_facility", None),
        ("efficiency.mlperf_v5_1__sr680a_v3_b200sxmx8_trt__llama2_70b_99__offline", None),
        ("efficiency.b200_llama70b_facilty", "did you mean efficiency.b200_llama70b_facility"),
    ],
)
def test_check_ref_names_the_nearest_estimate(settings, ref, problem) -> None:
    result = EfficiencySource(settings).check_ref(ref)
    if problem is None:
        assert result is None
    else:
        assert problem in result


def test_import_alone_gives_only_what_the_file_supports(settings, shared_data: Path, tmp_path: Path) -> None:
    lone = tmp_path / "summary_results.json"
    lone.symlink_to(shared_data / V51)
    keys = {o.series for o in EfficiencySource(settings).import_file(lone).observations}
    assert "efficiency.b200_llama70b_facility" in keys
    assert "efficiency.h200_llama70b_facility" not in keys and "efficiency.blackwell_10x_realized" not in keys
