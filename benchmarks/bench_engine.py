"""Benchmark the thesis evaluator: prints figures, asserts nothing.

    python benchmarks/bench_engine.py [--theses 100] [--inputs 10] [--years 20]

1. Backtest N theses x M inputs x Y years of daily data (each thesis: growth, liquidity, two
   Soft Warnings, two Kill Switches) and print rule evaluations per second and peak memory.
2. When ``promtool`` is installed (Debian package ``prometheus``; this script installs
   nothing), run ``promtool test rules`` on an equivalent rule set and series and print its
   rate beside ours.
3. Live: one new observation arrives; evaluate all N theses incrementally from their stored
   states and print the time taken.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from signalflow.thesis.data import LiteralProvider
from signalflow.thesis.engine import backtest, evaluate
from signalflow.thesis.loader import read_thesis
from signalflow.thesis.results import FRAME_COLUMNS, SeriesFrame

START = datetime(2005, 1, 1)


def make_series(key: str, days: int, rng: np.random.Generator) -> SeriesFrame:
    ends = pd.date_range(START, periods=days, freq="D").as_unit("ns")  # the SeriesFrame contract
    values = 50 + np.cumsum(rng.normal(0, 1, days))
    data = pd.DataFrame(
        {
            "period_start": ends,
            "period_end": ends,
            "value": values,
            "known_at": ends + pd.Timedelta(days=1),
            "source_ref": "",
            "unit": "",
        },
        columns=FRAME_COLUMNS,
    )
    return SeriesFrame(key, data, frequency="daily")


def thesis_doc(i: int, inputs: int) -> dict:
    s = [f"csv.s{i}_{k}" for k in range(inputs)]
    return {
        "thesis": f"bench_{i}",
        "title": f"benchmark thesis {i}",
        "series": {"spread": f"{s[0]} - {s[1]}"},
        "growth": {"reason": "g", "when": f"change({s[2]}, 90d) > 0"},
        "liquidity": {"reason": "l", "when": f"{s[3]} < 60 and spread < 5"},
        "soft_warning": [
            {"name": "drift", "when": f"mean({s[4]}, 30d) > 55", "for": "14d"},
            {"name": "jump", "when": f"change({s[5]}, 30d) > 4 or {s[6]} > 65", "for": "2 releases"},
        ],
        "kill_switch": [
            {"name": "crash", "when": f"{s[7]} < 35", "keep_firing_for": "30d"},
            {"name": "stress", "when": f"{s[8]} > 70 and {s[9 % inputs]} > 50", "resolve_when": f"{s[8]} < 60"},
        ],
    }


def load(doc: dict):
    thesis, problems = read_thesis(f"{doc['thesis']}.yaml", yaml.safe_dump(doc, sort_keys=False))
    if thesis is None:
        raise SystemExit(f"benchmark thesis does not load: {problems}")
    return thesis


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def promtool_rate(theses: int, days: int) -> float | None:
    """Rule evaluations per second of `promtool test rules` on an equivalent set (one
    evaluation a day over the same span, six alerting rules per thesis)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        groups = []
        series = []
        for i in range(theses):
            rules = [
                {"alert": f"drift_{i}", "expr": f"avg_over_time(s{i}_4[30d]) > 55", "for": "14d"},
                {"alert": f"jump_{i}", "expr": f"delta(s{i}_5[30d]) > 4 or s{i}_6 > 65"},
                {"alert": f"crash_{i}", "expr": f"s{i}_7 < 35", "keep_firing_for": "30d"},
                {"alert": f"stress_{i}", "expr": f"s{i}_8 > 70 and s{i}_9 > 50"},
                {"alert": f"growth_{i}", "expr": f"delta(s{i}_2[90d]) > 0"},
                {"alert": f"liquidity_{i}", "expr": f"s{i}_3 < 60 and (s{i}_0 - s{i}_1) < 5"},
            ]
            groups.append({"name": f"g{i}", "interval": "1d", "rules": rules})
            series += [{"series": f"s{i}_{k}", "values": f"50+0.01x{days}"} for k in range(10)]
        Path(tmp, "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
        test = {
            "rule_files": ["rules.yaml"],
            "evaluation_interval": "1d",
            "tests": [{"interval": "1d", "input_series": series,
                       "alert_rule_test": [{"eval_time": f"{days - 1}d", "alertname": "crash_0", "exp_alerts": []}]}],
        }
        Path(tmp, "test.yaml").write_text(yaml.safe_dump(test))
        began = time.perf_counter()
        subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp, capture_output=True, check=False)
        elapsed = time.perf_counter() - began
    return theses * 6 * days / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theses", type=int, default=100)
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--years", type=int, default=20)
    args = parser.parse_args()
    days = args.years * 365
    rng = np.random.default_rng(7)
    docs = [thesis_doc(i, args.inputs) for i in range(args.theses)]
    theses = [load(d) for d in docs]
    provider = LiteralProvider(
        {f"csv.s{i}_{k}": make_series(f"csv.s{i}_{k}", days, rng) for i in range(args.theses) for k in range(args.inputs)}
    )
    end = START + timedelta(days=days)
    began = time.perf_counter()
    evaluations = 0
    for thesis in theses:
        bt = backtest(thesis, provider, None, end)
        evaluations += len(bt.timeline) * (2 + len(thesis.rules))
    elapsed = time.perf_counter() - began
    ours = evaluations / elapsed
    print(f"backtest: {args.theses} theses x {args.inputs} inputs x {args.years} years daily")
    print(f"  {evaluations:,} rule evaluations in {elapsed:.2f} s = {ours:,.0f} evaluations/s")
    print(f"  peak memory (max RSS): {peak_mib():.0f} MiB")

    rate = promtool_rate(args.theses, days)
    if rate is None:
        print("promtool: not installed (Debian package 'prometheus'); no comparison")
    else:
        print(f"promtool test rules: {rate:,.0f} evaluations/s; ours is {ours / rate:,.1f}x")

    at = end - timedelta(days=1)
    states = {t.id: evaluate(t, provider, at).state for t in theses}
    key = "csv.s0_0"
    frame = provider.frames[key]
    new = frame.data.iloc[[-1]].copy()
    new["period_start"] = new["period_end"] = pd.Timestamp(end)
    new["known_at"] = pd.Timestamp(end) + pd.Timedelta(hours=1)
    frame.data = pd.concat([frame.data, new], ignore_index=True)
    live_at = end + timedelta(hours=1)
    began = time.perf_counter()
    for thesis in theses:
        evaluate(thesis, provider, live_at, states[thesis.id])
    live = time.perf_counter() - began
    print(f"live: one new observation, {args.theses} theses evaluated incrementally in {live * 1000:.1f} ms")


if __name__ == "__main__":
    main()
