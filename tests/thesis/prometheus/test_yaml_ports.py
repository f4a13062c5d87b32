"""The Prometheus rule unit tests ported as thesis test files, run through `signalflow test`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from signalflow.cli import app

HERE = Path(__file__).parent
PORTS = HERE / "ports.test.yaml"


def test_ported_prometheus_rule_tests_pass_through_signalflow_test():
    result = CliRunner().invoke(app, ["test", str(PORTS), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    cases = report if isinstance(report, list) else report.get("results", report.get("tests", []))
    names = " ".join(str(c) for c in cases)
    for ported in ("TestAlertingRule", "TestKeepFiringFor", "TestPendingAndKeepFiringFor"):
        assert ported in names


def test_a_wrong_lifecycle_expectation_fails_and_prints_expected_against_got(tmp_path: Path):
    for name in ("alerting_1m.yaml", "manager_5m.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    # Claim keep_firing_for also holds the alert at 5m: Prometheus (and signalflow) resolve it.
    text = PORTS.read_text().replace(
        '{at: "2025-01-01T00:05:00", thesis: prom_alerting, state: ok, pending: [], firing: []}',
        '{at: "2025-01-01T00:05:00", thesis: prom_alerting, state: soft_warning, firing: [keep_firing]}',
    )
    wrong = tmp_path / "ports.test.yaml"
    wrong.write_text(text)
    result = CliRunner().invoke(app, ["test", str(wrong)])
    assert result.exit_code != 0
    assert "soft_warning" in result.output and "ok" in result.output
    assert "TestKeepFiringFor" in result.output
