"""Benchmark the thesis evaluator: prints figures, asserts nothing.

    python benchmarks/bench_engine.py [--theses 100] [--inputs 10] [--years 20]
                                      [--promtool-theses 2] [--store-years 1]

1. Backtest N theses x M inputs x Y years of daily data (each thesis: growth, liquidity, two
   Soft Warnings, two Kill Switches; series are random walks made of straight 30-day pieces)
   and print rule evaluations per second (float64) and peak memory.
2. When ``promtool`` is installed (Debian package ``prometheus``; this script installs
   nothing), run ``promtool test rules`` on the equivalent rule set over the same series
   (written in its expanding notation) for the first ``--promtool-theses`` theses (it is
   slow: minutes for a handful of 20-year theses), count its rule evaluations the same way
   (one per rule per daily evaluation) and print both rates side by side with the ratio.
3. Live: with series indexes kept between passes (``LiveEvaluator``), one new observation
   for N theses, a daily grid tick for all N, and one new observation over a SQLite store
   (the store read included).
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

from signalflow.thesis.context import thesis_refs
from signalflow.thesis.engine import backtest
from signalflow.thesis.live import LiveEvaluator
from signalflow.thesis.loader import read_thesis
from signalflow.series import FRAME_COLUMNS, MemoryProvider, SeriesFrame

START = datetime(2005, 1, 1)


SEGMENT = 30  # days per straight piece of the generated series


def segments(days: int, rng: np.random.Generator) -> list[tuple[float, float, int]]:
    """A random walk made of straight pieces ``(start, slope, length)``: the same series can
    be written in promtool's expanding notation (``start+slopexN``) and fed to us exactly."""
    out, value, left = [], 50.0, days
    while left > 0:
        n = min(SEGMENT, left)
        slope = round(float(rng.normal(0, 0.2)), 2)
        out.append((round(value, 2), slope, n))
        value = round(value + slope * n, 2)
        left -= n
    return out


def values_of(pieces: list[tuple[float, float, int]]) -> np.ndarray:
    return np.concatenate([start + slope * np.arange(n) for start, slope, n in pieces])


def expanding(pieces: list[tuple[float, float, int]]) -> str:
    return " ".join(f"{start}{slope:+}x{n - 1}" for start, slope, n in pieces)


def make_series(key: str, values: np.ndarray) -> SeriesFrame:
    days = len(values)
    ends = pd.date_range(START, periods=days, freq="D").as_unit("ns")  # the SeriesFrame contract
    data = pd.DataFrame(
        {
            "period_start": ends,
            "period_end": ends,
            "value": values,
            "known_at": ends,
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


def promtool_rate(pieces: dict[str, list], theses: int, days: int) -> tuple[float, int, float] | None:
    """``promtool test rules`` on the equivalent rule set over the same series (same
    values, one evaluation a day, growth and liquidity as two more alerting rules):
    (rule evaluations per second, evaluations, seconds); None when promtool is absent."""
    promtool = shutil.which("promtool")
    if promtool is None or theses <= 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        groups, series = [], []
        for i in range(theses):
            rules = [
                {"alert": f"growth_{i}", "expr": f"delta(s{i}_2[90d]) > 0"},
                {"alert": f"liquidity_{i}", "expr": f"s{i}_3 < 60 and (s{i}_0 - s{i}_1) < 5"},
                {"alert": f"drift_{i}", "expr": f"avg_over_time(s{i}_4[30d]) > 55", "for": "14d"},
                {"alert": f"jump_{i}", "expr": f"delta(s{i}_5[30d]) > 4 or s{i}_6 > 65", "for": "1d"},
                {"alert": f"crash_{i}", "expr": f"s{i}_7 < 35", "keep_firing_for": "30d"},
                {"alert": f"stress_{i}", "expr": f"s{i}_8 > 70 and s{i}_9 > 50"},
            ]
            groups.append({"name": f"g{i}", "interval": "1d", "rules": rules})
            series += [{"series": f"s{i}_{k}", "values": expanding(pieces[f"csv.s{i}_{k}"])} for k in range(10)]
        Path(tmp, "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
        # A few checked instants; promtool evaluates every group each day up to the last.
        checks = [{"eval_time": f"{d}d", "alertname": "stress_0", "exp_alerts": []} for d in (days // 4, days // 2, days - 1)]
        test = {"rule_files": ["rules.yaml"], "evaluation_interval": "1d",
                "tests": [{"interval": "1d", "input_series": series, "alert_rule_test": checks}]}
        Path(tmp, "test.yaml").write_text(yaml.safe_dump(test))
        began = time.perf_counter()
        done = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - began
    if done.returncode != 0:
        # A failed expectation still evaluates everything; a rule-file error does not.
        print(f"  promtool exited {done.returncode}: {(done.stdout + done.stderr).strip().splitlines()[:3]}")
    evaluations = theses * 6 * days
    return evaluations / elapsed, evaluations, elapsed


def live_passes(theses, provider, end: datetime) -> tuple[float, float]:
    """(ms for one new observation, ms for a grid tick) over all theses, through a
    LiveEvaluator that has already evaluated them once."""
    live = LiveEvaluator(provider)
    states = {e.state.thesis: e.state for e in live.evaluate_all([(t, None) for t in theses], end)}
    frame = provider.frames["csv.s0_0"]
    new = frame.data.iloc[[-1]].copy()
    new["period_start"] = new["period_end"] = pd.Timestamp(end)
    new["known_at"] = pd.Timestamp(end) + pd.Timedelta(hours=1)
    frame.data = pd.concat([frame.data, new], ignore_index=True)
    began = time.perf_counter()
    done = live.evaluate_all([(t, states[t.id]) for t in theses], end + timedelta(hours=1))
    one = time.perf_counter() - began
    states = {e.state.thesis: e.state for e in done}
    began = time.perf_counter()
    live.evaluate_all([(t, states[t.id]) for t in theses], end + timedelta(days=1))
    tick = time.perf_counter() - began
    return one * 1000, tick * 1000


def store_pass(theses, days: int, rng: np.random.Generator) -> tuple[float, int]:
    """ms of one live pass over a SQLite store (rows read since the last pass, all theses)
    after one new observation, and the number of rows stored."""
    from signalflow.series import Batch, Observation
    from signalflow.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        ends = pd.date_range(START, periods=days, freq="D")
        keys = sorted({r for t in theses for r in thesis_refs(t)})
        rows = 0
        for key in keys:
            values = values_of(segments(days, rng))
            frame = pd.DataFrame({"series": key, "period_start": ends.date, "period_end": ends.date, "value": values,
                                  "known_at": ends, "unit": "", "source_ref": "", "known_at_basis": "reported"})
            store.add_batch(Batch(frame=frame))
            rows += days
        end = START + timedelta(days=days)
        live = LiveEvaluator(store)
        states = {e.state.thesis: e.state for e in live.evaluate_all([(t, None) for t in theses], end)}
        store.add_batch(Batch(observations=[Observation(keys[0], end.date(), end.date(), 51.0, end + timedelta(hours=1))]))
        began = time.perf_counter()
        live.evaluate_all([(t, states[t.id]) for t in theses], end + timedelta(hours=1))
        elapsed = time.perf_counter() - began
        store.close()
    return elapsed * 1000, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theses", type=int, default=100)
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--promtool-theses", type=int, default=2, help="theses given to promtool (it is slow)")
    parser.add_argument("--store-years", type=int, default=1, help="history stored in SQLite for the store pass")
    args = parser.parse_args()
    days = args.years * 365
    rng = np.random.default_rng(7)
    docs = [thesis_doc(i, args.inputs) for i in range(args.theses)]
    theses = [load(d) for d in docs]
    keys = [f"csv.s{i}_{k}" for i in range(args.theses) for k in range(args.inputs)]
    pieces = {key: segments(days, rng) for key in keys}
    provider = MemoryProvider({key: make_series(key, values_of(pieces[key])) for key in keys})
    end = START + timedelta(days=days - 1)
    began = time.perf_counter()
    evaluations = 0
    for thesis in theses:
        bt = backtest(thesis, provider, None, end)
        evaluations += len(bt.timeline) * (2 + len(thesis.rules))
    elapsed = time.perf_counter() - began
    ours = evaluations / elapsed
    print(f"backtest: {args.theses} theses x {args.inputs} inputs x {args.years} years daily (float64)")
    print(f"  signalflow: {evaluations:,} rule evaluations in {elapsed:.2f} s = {ours:,.0f} evaluations/s")
    print(f"  peak memory (max RSS): {peak_mib():.0f} MiB")

    prom = promtool_rate(pieces, min(args.promtool_theses, args.theses), days)
    if prom is None:
        print("  promtool: not installed (Debian package 'prometheus') or --promtool-theses 0; no comparison")
    else:
        rate, n, secs = prom
        print(f"  promtool test rules ({min(args.promtool_theses, args.theses)} of the theses, same series): "
              f"{n:,} rule evaluations in {secs:.2f} s = {rate:,.0f} evaluations/s")
        print(f"  side by side: signalflow {ours:,.0f}/s vs promtool {rate:,.0f}/s = {ours / rate:,.1f}x")

    one, tick = live_passes(theses, provider, end)
    print(f"live (indexes kept): one new observation, {args.theses} theses: {one:.1f} ms; "
          f"a daily grid tick for all {args.theses}: {tick:.1f} ms")
    ms, rows = store_pass(theses, args.store_years * 365, rng)
    print(f"live over SQLite ({rows:,} rows stored): one new observation, {args.theses} theses, store read included: {ms:.1f} ms")


if __name__ == "__main__":
    main()
