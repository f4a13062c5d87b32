"""Every command the README shows is true on a fresh checkout: each one is run, in the order
the README tells it, in a fresh folder holding a copy of the rules (and ../shared/data
linked where the README uses it), at 80 columns. Commands that need the network (`run`,
`collect`) are left out; placeholders (THESIS, KEY, DATE) take the tour's own values."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"
SHARED_DATA = PROJECT.parent / "shared" / "data"

NEEDS_NETWORK = {"run", "collect"}
# A bare command name in a sentence ("`signalflow check` reports ...") names the command; it
# is not a command line to run.
FLIP_LINE = re.compile(r"  \w+ since \S+ .*because \S+ fired: ")
NEEDS_ARGUMENTS = {"check", "test", "import", "backtest", "explain", "ack", "plot"}
PLACEHOLDERS = {"THESIS": "liquidity_regime", "KEY": "fred.BAMLH0A0HYM2", "DATE": "2026-06-01"}
# What the README says a command does besides exit 0.
EXPECTED_EXIT = {
    # "A file that cannot be imported is reported and the others go on; the command then exits
    # 1 (the FRED history folder below holds a few real 429 replies the collector saved)"
    "signalflow import ../shared/data/fred/chzanotti_liquidez-monitor/history": 1,
    # "Once a thesis has fired an alert, ... (before any alert it says there is nothing to
    # acknowledge and exits 1)": the tour's data fires none at today's date.
    'signalflow ack liquidity_regime --decision hold --note "spreads still < 6" --until 2027-01-31 '
    '--unless "fred.BAMLH0A0HYM2 > 7"': 1,
}
# Boards whose cells must never be cut to stubs at 80 columns (columns are dropped instead).
BOARDS = {"status", "evaluate", "feeds", "hypotheses", "efficiency", "import", "series", "journal", "explain"}
# One diagnostic or setting per line, whatever its length, so editors and grep can use them.
LINE_ORIENTED = {"check", "test", "config"}


def readme_commands() -> list[str]:
    """Every `signalflow ...` line of a sh block and every inline `signalflow ...` span, in
    the README's order, each once."""
    text = README.read_text()
    found: list[tuple[int, str]] = []
    for block in re.finditer(r"```sh\n(.*?)```", text, re.S):
        offset = block.start(1)
        for line in block.group(1).splitlines(keepends=True):
            command = line.split("  #")[0].strip()
            if command.startswith("signalflow "):
                found.append((offset, command))
            offset += len(line)
    for span in re.finditer(r"`(signalflow [^`]+)`", text):
        found.append((span.start(), " ".join(span.group(1).split())))
    seen: dict[str, None] = {}
    for _, command in sorted(found):
        seen.setdefault(command, None)
    return list(seen)


def runnable(command: str) -> str | None:
    """The command line to run for a README command, or None when it is not one to run here."""
    words = shlex.split(command)[1:]
    if not words or words[0] in NEEDS_NETWORK or (len(words) == 1 and words[0] in NEEDS_ARGUMENTS):
        return None
    for name, value in PLACEHOLDERS.items():
        command = re.sub(rf"\b{name}\b", value, command)
    return command.replace("[", "").replace("]", "")


def test_the_readme_names_its_tour_commands() -> None:
    commands = readme_commands()
    assert "signalflow import ../shared/data/efficiency/mlcommons" in commands
    assert "signalflow efficiency" in commands
    assert commands.index("signalflow import ../shared/data/fred/chzanotti_liquidez-monitor/history") < commands.index(
        "signalflow evaluate liquidity_regime --as-of 2026-06-01"
    )


@pytest.fixture
def fresh_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(PROJECT / "rules", root / "rules")
    shutil.copytree(PROJECT / "tests" / "rules", root / "tests" / "rules")
    if SHARED_DATA.is_dir():
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "data").symlink_to(SHARED_DATA)
    # The README's own example of a plain date,value CSV for `signalflow import my.csv`.
    (root / "my.csv").write_text("date,value\n2026-01-01,1.5\n2026-02-01,1.7\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("COLUMNS", "80")
    return root


def test_every_readme_command_runs_on_a_fresh_checkout(fresh_checkout: Path) -> None:
    runner = CliRunner()
    ran, skipped, problems = [], [], []
    for command in readme_commands():
        line = runnable(command)
        if line is None:
            continue
        if "../shared/data" in line and not SHARED_DATA.is_dir():
            skipped.append(line)
            continue
        args = []
        for word in shlex.split(line)[1:]:
            args.extend(sorted(glob.glob(word)) if "*" in word else [word])
        result = runner.invoke(app, args)
        ran.append(line)
        expected = EXPECTED_EXIT.get(command, 0)
        if result.exit_code != expected:
            problems.append(f"{line}: exit {result.exit_code} (expected {expected}):\n{result.output[-1500:]}")
            continue
        words = shlex.split(line)[1:]
        # explain's "<state> since <when> because <rule> fired: <what changed>" is one line on
        # purpose (issue 14: the reason a thesis flipped reads, greps and copies as one line).
        wide = [w for w in result.stdout.splitlines() if len(w) > 80 and not FLIP_LINE.match(w)]
        if wide and words[0] not in LINE_ORIENTED and "--json" not in words:
            problems.append(f"{line}: {len(wide)} line(s) wider than 80 columns, e.g. {wide[0]!r}")
        if words[0] in BOARDS and "…" in result.stdout:
            problems.append(f"{line}: cells cut to stubs at 80 columns:\n{result.stdout[:1500]}")
        if re.search(r"a \[\] table|\[/\]|\[/?(?:bold|red|yellow|green|dim)\b", result.stdout):
            problems.append(f"{line}: rich markup leaked or was eaten: {result.stdout[:300]!r}")
    assert not problems, "\n\n".join(problems)
    assert len(ran) >= 20, ran
    if skipped:
        pytest.skip(f"../shared/data is absent: {len(skipped)} README commands not run ({', '.join(skipped)})")


def test_efficiency_reads_what_import_stored(fresh_checkout: Path) -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real payloads not found at {SHARED_DATA}")
    runner = CliRunner()
    before = runner.invoke(app, ["efficiency", "--json"])
    assert "b200_llama70b_facility" in __import__("json").loads(before.stdout)["unavailable"]
    imported = runner.invoke(app, ["import", "../shared/data/efficiency/mlcommons"])
    assert imported.exit_code == 0, imported.output
    import json

    after = json.loads(runner.invoke(app, ["efficiency", "--json"]).stdout)
    estimates = {e["name"]: e for e in after["estimates"]}
    assert estimates["b200_llama70b_facility"]["value"] == pytest.approx(6.97, abs=0.006)
    assert estimates["b200_llama70b_facility"]["from"] == "store"
    assert "b200_llama70b_facility" not in after["unavailable"]
    behind = {d["id"] for d in after["datapoints"]}
    assert set(estimates["b200_llama70b_facility"]["datapoints"]) <= behind
    text = runner.invoke(app, ["efficiency"]).stdout
    assert "is not loaded" not in text and "efficiency.b200_llama70b_facility" in text


def test_help_shows_no_bool_metavar() -> None:
    from signalflow.cli import app as cli

    runner = CliRunner()
    for args in (["--help"], ["run", "--help"], ["evaluate", "--help"], ["import", "--help"], ["backtest", "--help"]):
        result = runner.invoke(cli, args, env={"COLUMNS": "80"})
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout and "BOOLEAN" not in result.stdout, args
