"""Commands that need no data frame, database or chart start without loading the libraries
for them: each runs in a fresh interpreter, then its ``sys.modules`` is read.

Wall times are the benchmark's (``benchmarks/bench_cli.py``); what is asserted here is which
libraries a command loads, which does not depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
RULES = PROJECT / "rules"

# Loaded by the engine, the store, charts, the daemon and the senders: not by a command
# that does not use them.
FRAMES = ("pandas", "numpy")
DATABASE = ("sqlalchemy", "sqlmodel", "alembic")
OTHERS = ("matplotlib", "httpx", "slack_sdk", "feedparser", "lingua", "rapidfuzz", "apscheduler")
EVERYTHING = FRAMES + DATABASE + OTHERS

PROBE = """
import json, runpy, sys
sys.argv = ["signalflow", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("signalflow", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def run_command(args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
    env["PYTHONPATH"] = str(PROJECT)
    env["SIGNALFLOW_DATA_DIR"] = str(cwd / "data")
    env["SIGNALFLOW_DATABASE_URL"] = f"sqlite:///{cwd / 'signalflow.db'}"
    env["SIGNALFLOW_CONFIG"] = str(cwd / "signalflow.toml")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.rstrip().rsplit("\n", 1)[-1])
    modules = set(report["modules"])
    return report["code"], modules | {m.split(".")[0] for m in modules}, done.stdout


CASES = [
    (["--help"], EVERYTHING),
    (["check", str(RULES)], EVERYTHING),
    (["check", str(RULES / "liquidity_regime.yaml")], EVERYTHING),
    (["classify", "Microsoft signs 500 MW power deal for its Ohio data center"], EVERYTHING),
    (["config", "show"], EVERYTHING),
    (["journal"], FRAMES + OTHERS),
    (["status", "--rules", str(RULES)], FRAMES + ("matplotlib", "slack_sdk", "apscheduler", "feedparser")),
]


@pytest.mark.parametrize(("args", "absent"), CASES, ids=[" ".join(a[:1]) + f"-{i}" for i, (a, _) in enumerate(CASES)])
def test_a_command_loads_only_what_it_uses(args: list[str], absent: tuple[str, ...], tmp_path: Path) -> None:
    code, modules, output = run_command(args, tmp_path)
    assert code == 0, output
    loaded = sorted(set(absent) & modules)
    assert not loaded, f"signalflow {' '.join(args)} imported {loaded}"


# What only collection needs: check starts each source for its check_ref alone.
COLLECTION = (
    "signalflow.sources.http",
    "signalflow.sources.collect",
    "signalflow.sources.sec_archive",
    "signalflow.sources.sec_facts",
    "signalflow.sources.sec_calendar",
)


def test_check_starts_sources_without_their_collection_code(tmp_path: Path) -> None:
    code, modules, output = run_command(["check", str(RULES)], tmp_path)
    assert code == 0, output
    assert "signalflow.sources.sec" in modules  # the SEC source did check its references
    loaded = sorted(set(COLLECTION) & modules)
    assert not loaded, f"signalflow check imported {loaded}"


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    # evaluate runs the engine, so the probe must report pandas: the checks above can fail.
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "one.yaml").write_text(
        "thesis: one\n"
        "title: One\n"
        "growth: {reason: up, when: csv.x > 0}\n"
        "liquidity: {reason: up, when: csv.x > 0}\n"
        "soft_warning:\n  - {name: high, when: csv.x > 5, summary: high}\n"
        "kill_switch:\n  - {name: higher, when: csv.x > 9, summary: higher}\n",
        encoding="utf-8",
    )
    code, modules, output = run_command(["evaluate", "--rules", str(tmp_path / "rules"), "--as-of", "2026-01-01"], tmp_path)
    assert code == 0, output
    assert {"pandas", "sqlalchemy"} <= modules
