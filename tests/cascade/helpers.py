"""Theses and series the cascade tests write: one thesis per (layer, series), warning while
its series is above 1 (Soft Warning) or above 5 (Kill Switch)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from signalflow.series import Batch, Observation
from signalflow.thesis.data import LiteralProvider, frame_from_points
from signalflow.thesis.loader import load_files
from signalflow.thesis.model import Thesis

T0 = datetime(2025, 1, 1)


def thesis_yaml(tid: str, layer: str, ref: str, extra_soft: str = "") -> str:
    soft = f"    - name: high\n      when: {ref} > 1\n"
    if extra_soft:
        soft += f"    - name: read\n      when: {extra_soft}\n"
    return (
        f"thesis: {tid}\ntitle: {tid}\n" + (f"layer: {layer}\n" if layer else "") +
        f"growth:\n  reason: g\n  when: {ref} > -1000\n"
        f"liquidity:\n  reason: l\n  when: {ref} > -1000\n"
        f"soft_warning:\n{soft}"
        f"kill_switch:\n    - name: gone\n      when: {ref} > 5\n"
    )


def write(directory: Path, texts: dict[str, str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = directory / f"{name}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def load(directory: Path, texts: dict[str, str]) -> list[Thesis]:
    ruleset = load_files(write(directory, texts))
    ruleset.raise_for_errors()
    return list(ruleset.theses)


def points(values: dict[int, float]) -> list[tuple[date, float, datetime]]:
    """day offset from T0 -> value, each known at its day."""
    out = []
    for day, value in sorted(values.items()):
        at = T0 + timedelta(days=day)
        out.append((at.date(), value, at))
    return out


def provider(series: dict[str, dict[int, float]]) -> LiteralProvider:
    return LiteralProvider({key: frame_from_points(key, points(v)) for key, v in series.items()})


def batch(series: dict[str, dict[int, float]]) -> Batch:
    return Batch(observations=[Observation(key, d, d, v, at) for key, vals in series.items() for d, v, at in points(vals)])
