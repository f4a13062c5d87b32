"""Benchmark the command line: how long each command a user types takes, start to exit.

    python benchmarks/bench_cli.py [--runs 5] [--workdir DIR] [--series 200] [--years 10]
                                   [--no-large] [--only NAME ...] [--fred-history DIR]

Runs every command as a user would (``python -m signalflow ...``, a fresh process each time)
and prints the median wall time of ``--runs`` runs, the fastest run and the median CPU time
(user + system; on a busy machine the wall time waits for a core, the CPU time does not),
against the targets of issue 16: ``--help`` < 0.15 s, ``check rules/`` < 0.5 s,
``evaluate --as-of`` and ``status`` on the FRED history < 0.8 s, ``demo`` < 3 s.

Two stores:

- **fred**: the FRED history in ``../shared/data/fred/chzanotti_liquidez-monitor/history``,
  imported with ``signalflow import`` (its saved 429 replies make the import exit 1: expected).
  Skipped, and said so, when that folder is absent.
- **large**: ``--series`` series (200) of ``--years`` years (10) of daily values, written
  through ``Store.add_batch``: every series the shipped theses read (news events left out)
  and ``csv.bench_NNN`` fillers up to the count. ``--no-large`` skips it.

Bytecode is written and reused as for an installed package (``PYTHONDONTWRITEBYTECODE`` is
dropped for the commands): the warm-up run of each command compiles what it imports.

Stores are built once per ``--workdir`` (a temporary folder by default) and reused when it
is given again. Every command runs in the work folder with the shipped ``rules/`` and its
own data folder, never the user's. Prints figures, asserts nothing; the exit status is 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
RULES = PROJECT / "rules"
FRED_HISTORY = PROJECT.parent / "shared" / "data" / "fred" / "chzanotti_liquidez-monitor" / "history"


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    store: str | None = None  # "fred", "large" or None (no store needed)
    target: float | None = None  # seconds, from issue 16


def cases(workdir: Path) -> list[Case]:
    demo_out = str(workdir / "demo-charts")
    out = [
        Case("--help", ("--help",), None, 0.15),
        Case("check rules/", ("check", str(RULES)), None, 0.5),
        Case("classify", ("classify", "Microsoft signs 500 MW power deal for Ohio data center"), None),
        Case("demo", ("demo", "-o", demo_out), None, 3.0),
    ]
    for store, target in (("fred", 0.8), ("large", None)):
        out += [
            Case("evaluate --as-of", ("evaluate", "liquidity_regime", "--as-of", "2026-06-01"), store, target),
            Case("evaluate --as-of (all)", ("evaluate", "--as-of", "2026-06-01"), store),
            Case("status", ("status",), store, target),
            Case("explain --as-of", ("explain", "liquidity_regime", "--as-of", "2026-07-15"), store),
            Case("backtest 100 days", ("backtest", "liquidity_regime", "--from", "2026-05-01", "--to", "2026-08-08"), store),
            Case("journal", ("journal",), store),
        ]
    return out


def env_for(workdir: Path, store: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
    # An installed package has its bytecode compiled (pip does it); with this set, every run
    # would compile the project's modules again (~0.15 s of `check`). The warm-up run writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH", "")]))
    env["SIGNALFLOW_RULES_DIR"] = str(RULES)
    env["SIGNALFLOW_DATA_DIR"] = str(workdir / "data")
    env["SIGNALFLOW_CONFIG"] = str(workdir / "absent.toml")
    env["SIGNALFLOW_DATABASE_URL"] = f"sqlite:///{workdir / ((store or 'empty') + '.db')}"
    env["COLUMNS"] = "80"
    return env


def run(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system of the child), exit status, last stderr line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "signalflow", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return wall, cpu, done.returncode, last


def build_fred(workdir: Path, history: Path) -> str | None:
    """Import the FRED history into fred.db; None when it is ready, else why it is skipped."""
    if (workdir / "fred.db").exists():
        return None
    if not history.is_dir():
        return f"{history} not found"
    start = time.perf_counter()
    _, _, code, last = run(("import", str(history)), env_for(workdir, "fred"), workdir)
    # The folder holds a few saved 429 replies: the import reports them and exits 1.
    if code not in (0, 1) or not (workdir / "fred.db").exists():
        return f"import failed ({code}): {last}"
    print(f"fred: imported {history} in {time.perf_counter() - start:.1f} s")
    return None


def build_large(workdir: Path, n_series: int, years: int) -> str | None:
    """Write ``n_series`` daily series of ``years`` years into large.db."""
    path = workdir / "large.db"
    if path.exists():
        return None
    sys.path.insert(0, str(PROJECT))
    import numpy as np
    import pandas as pd

    from signalflow.series import OBSERVATION_COLUMNS, Batch, SeriesInfo, SeriesKind, default_kind
    from signalflow.settings import Settings
    from signalflow.store import Store
    from signalflow.thesis.model import thesis_refs
    from signalflow.thesis.loader import load_rules_dir

    start = time.perf_counter()
    ruleset = load_rules_dir(RULES, settings=Settings(_env_file=None))
    refs = sorted({r for t in ruleset.theses for r in thesis_refs(t) if default_kind(r) is not SeriesKind.EVENT})
    keys = refs + [f"csv.bench_{i:03d}" for i in range(max(0, n_series - len(refs)))]
    end = pd.Timestamp("2026-08-31")
    days = pd.date_range(end=end, periods=365 * years, freq="D")
    rng = np.random.default_rng(16)
    store = Store.open(f"sqlite:///{path}")
    try:
        for key in keys:
            # A random walk around a level that keeps ratios and logs defined.
            values = 100 + np.cumsum(rng.normal(0, 1, len(days))).round(3)
            frame = pd.DataFrame(
                {
                    "series": key,
                    "period_start": days,
                    "period_end": days,
                    "value": np.abs(values) + 1,
                    "known_at": days + pd.Timedelta(days=1),
                    "unit": "",
                    "source_ref": "bench",
                    "known_at_basis": "assumed",
                },
                columns=OBSERVATION_COLUMNS,
            )
            info = SeriesInfo(key=key, source=key.split(".", 1)[0], frequency="daily", title="benchmark")
            store.add_batch(Batch(series=[info], frame=frame))
    finally:
        store.close()
    rows = len(keys) * len(days)
    print(f"large: {len(keys)} series x {len(days)} days = {rows:,} rows in {time.perf_counter() - start:.1f} s")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (a warm-up run is not counted)")
    parser.add_argument("--workdir", type=Path, help="keep the stores here and reuse them")
    parser.add_argument("--series", type=int, default=200, help="series in the large store")
    parser.add_argument("--years", type=int, default=10, help="years of daily values in the large store")
    parser.add_argument("--no-large", action="store_true", help="skip the large store")
    parser.add_argument("--fred-history", type=Path, default=FRED_HISTORY, help="the FRED history folder")
    parser.add_argument("--only", nargs="*", help="only the cases whose name starts with one of these")
    opts = parser.parse_args()

    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="signalflow-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    skipped = {"fred": build_fred(workdir, opts.fred_history), "large": "--no-large" if opts.no_large else None}
    if not opts.no_large:
        skipped["large"] = build_large(workdir, opts.series, opts.years)

    print(f"\n{opts.runs} runs each, python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'command':<26} {'store':<6} {'median':>7} {'best':>6} {'cpu':>6} {'target':>7}  verdict")
    over = []
    for case in cases(workdir):
        if opts.only and not any(case.name.startswith(o) for o in opts.only):
            continue
        if case.store and skipped.get(case.store):
            print(f"{case.name:<26} {case.store:<6} skipped: {skipped[case.store]}")
            continue
        env = env_for(workdir, case.store)
        run(case.args, env, workdir)  # warm the page cache
        runs = [run(case.args, env, workdir) for _ in range(opts.runs)]
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        median = statistics.median(walls)
        failed = [r for r in runs if r[2] not in (0, 1)]
        target = f"{case.target:.2f}" if case.target else ""
        verdict = ""
        if case.target:
            verdict = "ok" if median < case.target else "OVER"
            if median >= case.target:
                over.append(case.name)
        if failed:
            verdict = f"exit {failed[0][2]}: {failed[0][3][:60]}"
        print(
            f"{case.name:<26} {case.store or '-':<6} {median:7.2f} {min(walls):6.2f} "
            f"{statistics.median(cpus):6.2f} {target:>7}  {verdict}"
        )
    print(f"\nabove target: {', '.join(over) if over else 'none'}  (work folder: {workdir})")


if __name__ == "__main__":
    main()
