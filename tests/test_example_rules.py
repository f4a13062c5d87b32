"""The example theses in rules/: each passes `signalflow check`, and each rule test file
under tests/rules passes `signalflow test`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
TEST_FILES = sorted((ROOT / "tests" / "rules").glob("*.test.yaml"))

# The hyperscaler thesis reads a user series, which a user declares in signalflow.toml.
CONFIG = """\
[[tabular]]
name = "gpu_utilization"
url = "gpu_utilization.csv"
frequency = "weekly"
"""


def test_every_example_thesis_passes_check(tmp_path: Path) -> None:
    (tmp_path / "signalflow.toml").write_text(CONFIG)
    result = CliRunner().invoke(app, ["check", str(RULES), "--json"])
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.output
    for thesis in ("ai_factory", "hyperscaler_capex", "power_bottleneck", "liquidity_regime", "memory_hbm"):
        assert f'"{thesis}"' in result.output


def test_every_example_thesis_has_a_test_file() -> None:
    tested = {p.name.removesuffix(".test.yaml") for p in TEST_FILES}
    assert tested == {p.stem for p in RULES.glob("*.yaml")}


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_rule_test_file_passes(path: Path) -> None:
    result = CliRunner().invoke(app, ["test", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    assert "PASS" in result.output and "FAIL" not in result.output


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_each_test_file_exercises_a_soft_warning_and_a_kill_switch(path: Path) -> None:
    text = path.read_text()
    assert "state: soft_warning" in text and "state: kill_switch" in text
