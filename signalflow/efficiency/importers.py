"""Read reference measurements from the files benchmarks publish.

- MLPerf Inference ``summary_results.json``: one row per system x model x scenario; the
  rows with ``has_power`` carry ``Power_Result`` in watts, measured at the node's AC input
  during the performance run. Only rows whose performance is in Tokens/s become datapoints.
  The published watts are MLCommons' figure; the domain report computed its watts from the
  raw power logs and says they may differ by a few percent.
- ML.ENERGY leaderboard ``models/<org>__<model>__<task>.json`` and ``tasks/<task>.json``:
  one configuration per GPU model x GPU count x batch, GPU-only energy (NVML), output
  tokens. The publication date is ``last_updated`` of the leaderboard's ``index.json``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from signalflow.efficiency.model import EfficiencyDatapoint, OperatingPoint, PowerBoundary, TokenBasis, slug
from signalflow.errors import PayloadError

_ACCELERATORS = ("gb300", "gb200", "b300", "b200", "h200", "h100", "mi355x", "mi350x", "mi325x", "mi300x")


class FileKind:
    """What :func:`sniff` recognised."""

    MLPERF = "mlperf"
    MLENERGY = "mlenergy"
    MLENERGY_INDEX = "mlenergy_index"


def sniff(head: bytes) -> str | None:
    """The kind of efficiency file ``head`` (its first bytes) starts, or None."""
    if b'"has_power"' in head and b'"Performance_Result"' in head:
        return FileKind.MLPERF
    if b'"configurations"' in head and b'"gpu_model"' in head:
        return FileKind.MLENERGY
    if b'"last_updated"' in head and b'"architectures"' in head:
        return FileKind.MLENERGY_INDEX
    return None


def accelerator_key(name: str) -> str:
    """'NVIDIA B200-SXM-180GB' -> 'b200'; the hardware-profile key, or '' when unknown."""
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    for key in _ACCELERATORS:
        if key in flat:
            return key
    return ""


def read_datapoints(path: Path, mlperf_rounds: Mapping[str, date]) -> list[EfficiencyDatapoint]:
    """Every datapoint in one file (MLPerf or ML.ENERGY); [] for an ML.ENERGY index."""
    with path.open("rb") as fh:
        kind = sniff(fh.read(65536))
    if kind == FileKind.MLPERF:
        return read_mlperf(path, mlperf_rounds)
    if kind == FileKind.MLENERGY:
        return read_mlenergy(path)
    if kind == FileKind.MLENERGY_INDEX:
        return []
    raise PayloadError(str(path), "not an MLPerf summary_results.json nor an ML.ENERGY leaderboard file")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise PayloadError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None


def read_mlperf(path: Path, rounds: Mapping[str, date]) -> list[EfficiencyDatapoint]:
    """The rows of an MLPerf ``summary_results.json`` with power measured in watts and
    performance in tokens per second."""
    rows = _load(path)
    if not isinstance(rows, list):
        raise PayloadError(str(path), "expected a JSON list of result rows")
    points = []
    for index, row in enumerate(rows):
        if not row.get("has_power") or row.get("Power_Units") != "Watts":
            continue
        if row.get("Performance_Units") != "Tokens/s":
            continue
        version = str(row.get("version", ""))
        published = rounds.get(version)
        if published is None:
            raise PayloadError(
                str(path),
                f"row {index}: MLPerf round {version!r} has no publication date; "
                "add it under [mlperf_rounds] in the efficiency estimates file",
            )
        try:
            per_node = int(float(row["a#"]))
            nodes = int(row.get("Nodes") or 1)
            tokens = float(row["Performance_Result"])
            watts = float(row["Power_Result"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise PayloadError(str(path), f"row {index}: bad or missing field {exc}") from None
        if not (math.isfinite(tokens) and math.isfinite(watts) and tokens >= 0 and watts > 0 and per_node * nodes > 0):
            raise PayloadError(str(path), f"row {index}: Performance_Result, Power_Result and a# must be finite and positive")
        points.append(
            EfficiencyDatapoint(
                id=slug(f"mlperf {version}", row["Platform"], row["Model"], row["Scenario"]),
                benchmark=f"MLPerf Inference {version}",
                hardware=row.get("Accelerator", ""),
                accelerator=accelerator_key(row.get("Accelerator", "")),
                n_accelerators=per_node * nodes,
                tokens_per_s=tokens,
                power_w=watts,
                boundary=PowerBoundary.NODE_WALL,
                point=OperatingPoint(
                    model=row["Model"],
                    precision=row.get("weight_data_types", ""),
                    scenario=row["Scenario"],
                    token_basis=TokenBasis.OUTPUT,
                ),
                published=published,
                source_ref=f"mlcommons/inference_results_{version}:{row.get('Location', '')}",
                system=f"{row.get('Submitter', '')} {row.get('System', '')}".strip(),
            )
        )
    return points


def leaderboard_date(path: Path) -> date | None:
    """``last_updated`` of the ML.ENERGY ``index.json`` beside the file or one level up."""
    for folder in (path.parent, path.parent.parent):
        index = folder / "index.json"
        if index.is_file():
            data = _load(index)
            if isinstance(data, dict) and data.get("last_updated"):
                return date.fromisoformat(data["last_updated"])
    return None


def read_mlenergy(path: Path, published: date | None = None) -> list[EfficiencyDatapoint]:
    """The LLM configurations of an ML.ENERGY model or task file (diffusion rows, which
    count images or videos rather than tokens, are left out)."""
    data = _load(path)
    if not isinstance(data, dict) or not isinstance(data.get("configurations"), list):
        raise PayloadError(str(path), "expected an object with a 'configurations' list")
    published = published or leaderboard_date(path)
    if published is None:
        raise PayloadError(str(path), "no index.json with last_updated beside it: the publication date is unknown")
    task = data.get("task") or path.stem
    points = []
    for index, config in enumerate(data["configurations"]):
        tokens = config.get("output_throughput_tokens_per_sec")
        watts = config.get("avg_power_watts")
        if tokens is None or watts is None:
            continue
        model = config.get("model_id") or data.get("model_id")
        if not model:
            raise PayloadError(str(path), f"configuration {index}: no model_id")
        try:
            gpu = str(config["gpu_model"])
            n = int(config["num_gpus"])
            batch = int(config["max_num_seqs"])
            tokens, watts = float(tokens), float(watts)
            itl = float(config["median_itl_ms"]) if config.get("median_itl_ms") else None
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise PayloadError(str(path), f"configuration {index}: bad or missing field {exc}") from None
        if not (all(math.isfinite(v) for v in (tokens, watts, itl or 1.0)) and tokens >= 0 and watts > 0 and n > 0):
            raise PayloadError(str(path), f"configuration {index}: throughput, power, latency and num_gpus must be finite and positive")
        points.append(
            EfficiencyDatapoint(
                id=slug("mlenergy", model, task, f"{n}x{gpu}", f"b{batch}"),
                benchmark="ML.ENERGY leaderboard",
                hardware=gpu,
                accelerator=accelerator_key(gpu),
                n_accelerators=n,
                tokens_per_s=tokens,
                power_w=watts,
                boundary=PowerBoundary.CHIP,
                point=OperatingPoint(
                    model=model,
                    precision=config.get("weight_precision") or data.get("weight_precision", ""),
                    scenario=f"{task} batch={batch}",
                    batch=batch,
                    tokens_per_s_per_user=1000.0 / itl if itl else None,
                    token_basis=TokenBasis.OUTPUT,
                ),
                published=published,
                source_ref=f"ml-energy/leaderboard:public/data/{path.parent.name}/{path.name}#{index}",
            )
        )
    return points
