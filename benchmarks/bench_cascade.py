"""Benchmark the bottleneck cascade: prints figures, asserts nothing.

    python benchmarks/bench_cascade.py [--per-layer 5] [--years 5]

Every layer of the bottleneck map holds ``--per-layer`` theses over daily random walks (a
Soft Warning above 60, a Kill Switch above 80); one more thesis reads ``layer(power)``.
Times ``cascade()`` (every layered thesis backtested, the layer shares and the binding
layer's moves) against the plain backtests of the same theses, and the reader's
``layer()`` series alone (what a live pass adds before evaluating a reader).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from signalflow.series import MemoryProvider, SeriesFrame
from signalflow.thesis.cascade import cascade, readers_provider
from signalflow.thesis.engine import backtest
from signalflow.thesis.loader import load_files
from signalflow.thesis.model import LAYERS

START = datetime(2020, 1, 1)


def _thesis(tid: str, layer: str, ref: str, extra: str = "") -> str:
    read = f"    - name: read\n      when: {extra}\n" if extra else ""
    return (
        f"thesis: {tid}\ntitle: {tid}\n" + (f"layer: {layer}\n" if layer else "")
        + f"growth:\n  reason: g\n  when: {ref} > 0\nliquidity:\n  reason: l\n  when: {ref} > 0\n"
        f"soft_warning:\n    - name: high\n      when: {ref} > 60\n{read}"
        f"kill_switch:\n    - name: gone\n      when: {ref} > 80\n"
    )


def _frame(key: str, days: int, rng: np.random.Generator) -> SeriesFrame:
    at = pd.date_range(START, periods=days, freq="D").to_numpy()
    values = 50 + np.cumsum(rng.normal(0, 1.5, days))
    data = pd.DataFrame({"period_start": at, "period_end": at, "value": values, "known_at": at})
    return SeriesFrame(key, data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-layer", type=int, default=5)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    days = 365 * args.years
    frames, texts = [], {}
    for layer in LAYERS:
        for k in range(args.per_layer):
            key = f"fred.{layer.upper()}{k}"
            frames.append(_frame(key, days, rng))
            texts[f"{layer}{k}"] = _thesis(f"{layer}{k}", layer, key)
    frames.append(_frame("fred.R", days, rng))
    texts["reader"] = _thesis("reader", "", "fred.R", "layer(power) >= 40%")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, text in texts.items():
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(text)
            paths.append(path)
        ruleset = load_files(paths)
        ruleset.raise_for_errors()
    theses = list(ruleset.theses)
    provider = MemoryProvider(frames)
    end = START + timedelta(days=days)

    t0 = time.perf_counter()
    for th in theses:
        if th.layer:
            backtest(th, provider, None, end)
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = cascade(theses, provider, end)
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    readers_provider(theses, provider, end)
    reader = time.perf_counter() - t0
    layered = sum(1 for th in theses if th.layer)
    print(f"{layered} layered theses in {len(LAYERS)} layers, {args.years} years of daily data")
    print(f"  plain backtests:         {plain:7.2f} s")
    print(f"  cascade (shares, moves): {full:7.2f} s  ({len(result.moves)} moves of the binding layer)")
    print(f"  layer(power) for a reader: {reader:5.2f} s  ({args.per_layer} theses backtested)")


if __name__ == "__main__":
    main()
