"""SEC companyfacts: parse-and-normalize time per file and per MB, side by side with
(1) a plain json -> DataFrame flattening of every fact (the floor any parser pays), and
(2) edgartools parsing the same payload and deriving its quarterly income and cash-flow
    statements (``EntityFactsParser.parse_company_facts`` + ``income_statement`` and
    ``cash_flow_statement`` with ``period="quarterly"``).

Prints figures; asserts nothing. Every step starts from the file's bytes in memory, so disk
time is excluded and JSON parsing is included in all three. Best of ``--repeat`` runs.

edgartools runs in its own environment, with sockets disabled (no network calls)::

    python -m venv benchmarks/.venv-edgartools
    benchmarks/.venv-edgartools/bin/pip install edgartools
    python benchmarks/bench_sec.py [--data ../shared/data/sec] [--repeat 5]

Target: Apple's 4 MB file to all canonical quarterly series in under 2x the flattening
floor, and at least 3x faster than edgartools.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EDGAR_PYTHON = HERE / ".venv-edgartools" / "bin" / "python"
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "sec"


def _unwrap(data: dict) -> dict:
    return data["raw_payload"] if isinstance(data.get("raw_payload"), dict) else data


def _best(func, raw: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(raw)
        times.append(time.perf_counter() - start)
    return min(times)


def flatten(raw: bytes):
    """Every fact of every concept and unit as one DataFrame row."""
    import pandas as pd

    payload = _unwrap(json.loads(raw))
    records = [
        (taxonomy, concept, unit, r.get("start"), r["end"], r["val"], r["accn"], r.get("fy"), r.get("fp"), r["form"], r["filed"])
        for taxonomy, concepts in payload["facts"].items()
        for concept, spec in concepts.items()
        for unit, rows in spec["units"].items()
        for r in rows
    ]
    columns = ["taxonomy", "concept", "unit", "start", "end", "val", "accn", "fy", "fp", "form", "filed"]
    return pd.DataFrame.from_records(records, columns=columns)


def signalflow_normalize(raw: bytes):
    """signalflow: every canonical metric as point-in-time quarterly observations."""
    from signalflow.sources.sec_concepts import load_metrics
    from signalflow.sources.sec_facts import normalize_companyfacts

    payload = _unwrap(json.loads(raw))
    return normalize_companyfacts(payload, "BENCH", load_metrics())


def edgartools_worker(paths: list[str], repeat: int) -> None:
    """Runs inside the edgartools environment; prints {path: seconds or error} as JSON."""
    import os
    import socket

    def no_network(*args, **kwargs):
        raise OSError("network disabled by bench_sec.py")

    socket.socket.connect = no_network  # type: ignore[method-assign]
    socket.create_connection = no_network  # type: ignore[assignment]
    os.environ.setdefault("EDGAR_IDENTITY", "signalflow benchmark bench@example.com")
    from edgar.entity.parser import EntityFactsParser

    def work(raw: bytes) -> None:
        facts = EntityFactsParser.parse_company_facts(_unwrap(json.loads(raw)))
        facts.income_statement(period="quarterly", periods=40, as_dataframe=True)
        facts.cash_flow_statement(period="quarterly", periods=40, as_dataframe=True)

    results: dict[str, float | str] = {}
    for path in paths:
        raw = Path(path).read_bytes()
        try:
            results[path] = _best(work, raw, repeat)
        except Exception as exc:  # report, do not stop: the other files still count
            results[path] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(results))


def run_edgartools(paths: list[Path], repeat: int) -> dict[str, float | str]:
    if not EDGAR_PYTHON.exists():
        reason = f"edgartools environment missing ({EDGAR_PYTHON}); see this script's docstring"
        return {str(p): reason for p in paths}
    done = subprocess.run(
        [str(EDGAR_PYTHON), __file__, "--edgartools-worker", "--repeat", str(repeat), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {str(p): f"edgartools failed: {reason}" for p in paths}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--edgartools-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.edgartools_worker:
        edgartools_worker(args.paths, args.repeat)
        return
    paths = [Path(p) for p in args.paths] or sorted(
        p for p in args.data.rglob("*companyfacts*.json")
    )
    if not paths:
        sys.exit(f"no companyfacts files under {args.data}")
    edgar = run_edgartools(paths, args.repeat)
    header = f"{'file':42} {'MB':>5} {'signalflow':>11} {'s/MB':>7} {'flatten':>9} {'s/MB':>7} {'edgartools':>11} {'s/MB':>7} {'sf/flat':>8} {'edgar/sf':>9}"
    print(header)
    print("-" * len(header))
    for path in paths:
        raw = path.read_bytes()
        mb = len(raw) / 1e6
        ours = _best(signalflow_normalize, raw, args.repeat)
        floor = _best(flatten, raw, args.repeat)
        theirs = edgar.get(str(path))
        edgar_cells = (
            f"{theirs:>10.3f}s {theirs / mb:>7.3f} {'':>8} {theirs / ours:>8.1f}x"
            if isinstance(theirs, float)
            else f"{'n/a':>11} {'':>7}"
        )
        print(
            f"{path.name[:42]:42} {mb:>5.2f} {ours:>10.3f}s {ours / mb:>7.3f} {floor:>8.3f}s {floor / mb:>7.3f} "
            + (edgar_cells.replace(f"{'':>8}", f"{ours / floor:>7.2f}x", 1) if isinstance(theirs, float) else f"{edgar_cells} {ours / floor:>7.2f}x")
        )
        if not isinstance(theirs, float):
            print(f"    edgartools: {theirs}")
    print(
        "\nsignalflow = json + all canonical metrics as point-in-time quarterly observations; "
        "flatten = json + every fact as one DataFrame row; edgartools = json + EntityFacts + "
        "quarterly income and cash-flow statements. Targets (Apple): sf/flat < 2, edgar/sf >= 3."
    )


if __name__ == "__main__":
    main()
