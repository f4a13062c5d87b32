"""The reference figures of the domain report, recomputed from the raw benchmark files.

MLPerf: the report computed watts from the raw power logs; the ``Power_Result`` published in
summary_results.json agrees with them to within 1 W on every row below, so the only gap is
the report's rounding of tokens/J to three significant figures (at most 0.33 %, on the
405B rows). The tolerance is 0.5 %.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from signalflow.efficiency import Catalog, PowerBoundary, TokenBasis
from signalflow.efficiency.catalog import load_config
from signalflow.efficiency.importers import read_mlenergy, read_mlperf

V41 = "efficiency/mlcommons/inference_results_v4.1_summary_results_at_4a0c874.json"
V51 = "efficiency/mlcommons/inference_results_v5.1_summary_results.json"
MLENERGY = "efficiency/ml-energy_leaderboard"

# (file, platform, model, scenario, report tokens/s, report wall W, report tokens/J): REPORT 2.1
MLPERF_ROWS = [
    (V41, "h200_sxm_141gbx8_trt_maxq", "llama2_70b_99", "offline", 25262.1, 6153, 4.11),
    (V41, "h200_sxm_141gbx8_trt_maxq", "llama2_70b_99", "server", 23113.1, 6280, 3.68),
    (V41, "h200_sxm_141gbx8_trt_maxq", "mixtral_8x7b", "offline", 48987.9, 6155, 7.96),
    (V41, "h200_sxm_141gbx8_trt_maxq", "mixtral_8x7b", "server", 45497, 6175, 7.37),
    (V51, "sr680a_v3_b200sxmx8_trt", "llama2_70b_99", "offline", 102909, 10401, 9.89),
    (V51, "sr680a_v3_b200sxmx8_trt", "llama2_70b_99", "server", 99159, 10442, 9.50),
    (V51, "sr780a_v3_b200sxmx8_trt", "llama3_1_405b", "offline", 1637.1, 9892, 0.166),
    (V51, "sr780a_v3_b200sxmx8_trt", "llama3_1_405b", "server", 1249.0, 9566, 0.131),
    (V51, "sr780a_v3_b200sxmx8_trt", "llama3_1_8b", "offline", 146960, 9436, 15.57),
    (V51, "sr780a_v3_b200sxmx8_trt", "llama3_1_8b", "server", 128689, 9011, 14.28),
]


@pytest.fixture(scope="module")
def rounds():
    return load_config().rounds


@pytest.mark.parametrize(("file", "platform", "model", "scenario", "tps", "watts", "tpj"), MLPERF_ROWS)
def test_mlperf_node_wall_tokens_per_joule_match_the_report(
    shared_data: Path, rounds, file, platform, model, scenario, tps, watts, tpj
) -> None:
    points = {p.id: p for p in read_mlperf(shared_data / file, rounds)}
    version = "v4_1" if file == V41 else "v5_1"
    point = points[f"mlperf_{version}__{platform}__{model}__{scenario}"]
    assert point.boundary is PowerBoundary.NODE_WALL
    assert point.point.token_basis is TokenBasis.OUTPUT
    assert point.n_accelerators == 8
    assert point.tokens_per_s == pytest.approx(tps, rel=1e-3)
    assert point.power_w == pytest.approx(watts, abs=1.0)
    assert point.tokens_per_joule == pytest.approx(tpj, rel=0.005)


def test_mlperf_keeps_only_token_rows_with_watts(shared_data: Path, rounds) -> None:
    points = read_mlperf(shared_data / V41, rounds)
    # v4.1 has 31 power rows; only the LLM rows (Tokens/s, Watts) become datapoints
    assert {p.point.model for p in points} == {
        "gptj-99", "gptj-99.9", "llama2-70b-99", "llama2-70b-99.9", "mixtral-8x7b"
    }
    assert {p.published.isoformat() for p in points} == {"2024-08-28"}


def test_mlperf_precision_and_hardware_are_kept(shared_data: Path, rounds) -> None:
    point = {p.id: p for p in read_mlperf(shared_data / V51, rounds)}[
        "mlperf_v5_1__sr680a_v3_b200sxmx8_trt__llama2_70b_99__offline"
    ]
    assert point.point.precision == "fp4"
    assert point.accelerator == "b200"
    assert point.source_ref.endswith("closed/Lenovo/results/SR680a_V3_B200SXMx8_TRT/llama2-70b-99/Offline")


# (model file, gpu, n, batch, report output tok/s, report GPU W, report tokens/J): REPORT 2.2
MLENERGY_ROWS = [
    ("meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat", "H100", 4, 64, 2511, 2002, 1.25),
    ("meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat", "H100", 4, 1024, 6827, 2548, 2.68),
    ("meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat", "B200", 2, 8, 476, 1698, 0.28),
    ("meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat", "B200", 2, 64, 2598, 1811, 1.43),
    ("meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat", "B200", 2, 2048, 10108, 1907, 5.30),
    ("meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat", "H100", 1, 64, 5147, 610, 8.4),
    ("meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat", "H100", 1, 512, 9806, 688, 14.3),
    ("meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat", "B200", 1, 2048, 14799, 691, 21.4),
    ("meta-llama__Llama-3.1-405B-Instruct-FP8__lm-arena-chat", "H100", 8, 256, 2363, 4875, 0.48),
    ("meta-llama__Llama-3.1-405B-Instruct-FP8__lm-arena-chat", "B200", 4, 512, 3386, 3883, 0.87),
    ("deepseek-ai__DeepSeek-V3.1__lm-arena-chat", "B200", 8, 2048, 9302, 5862, 1.59),
    ("openai__gpt-oss-120b__gpqa", "H100", 2, 1024, 11939, 1139, 10.5),
    ("openai__gpt-oss-120b__gpqa", "B200", 1, 1024, 17766, 779, 22.8),
    ("Qwen__Qwen3-235B-A22B-Instruct-2507-FP8__lm-arena-chat", "H100", 8, 512, 5342, 3961, 1.35),
]


@pytest.mark.parametrize(("stem", "gpu", "n", "batch", "tps", "watts", "tpj"), MLENERGY_ROWS)
def test_mlenergy_gpu_only_tokens_per_joule_match_the_report(
    shared_data: Path, stem, gpu, n, batch, tps, watts, tpj
) -> None:
    points = read_mlenergy(shared_data / MLENERGY / "models" / f"{stem}.json")
    (point,) = [p for p in points if p.hardware == gpu and p.n_accelerators == n and p.point.batch == batch]
    assert point.boundary is PowerBoundary.CHIP
    assert point.published.isoformat() == "2026-02-16"  # index.json last_updated
    assert point.tokens_per_s == pytest.approx(tps, abs=1)
    assert point.power_w == pytest.approx(watts, abs=1)
    # the report rounds tokens/J to 2-3 significant figures
    assert point.tokens_per_joule == pytest.approx(tpj, abs=0.006 * max(1.0, tpj))


def test_mlenergy_skips_diffusion_configurations(shared_data: Path) -> None:
    path = shared_data / MLENERGY / "models" / "stabilityai__stable-diffusion-3.5-large__text-to-image.json"
    assert read_mlenergy(path) == []


def test_blackwell_over_hopper_gain_at_the_wall(shared_data: Path) -> None:
    catalog = Catalog.load(paths=[shared_data / V41, shared_data / V51])
    gain = catalog.evaluate("blackwell_gain_llama70b_wall")
    assert gain.value == pytest.approx(9.89 / 4.11, rel=0.005)  # REPORT 2.1: ~2.4x
    realized = catalog.evaluate("blackwell_10x_realized")
    assert realized.value == pytest.approx(gain.value / 10)
    assert realized.known_from.isoformat() == "2025-10-09"  # the claim is later than v5.1
    assert realized.claims == ("nvidia_blackwell_10x_per_mw",)
