"""`signalflow backtest` and `signalflow explain` over a real SQLite store and rules dir."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.series import Batch, KnownAtBasis, Observation

THESIS = {
    "thesis": "spread",
    "title": "credit spreads",
    "growth": {"reason": "g", "when": "fred.HY < 100"},
    "liquidity": {"reason": "l", "when": "fred.HY < 5"},
    "soft_warning": [{"name": "spread_widening", "when": "fred.HY > 5", "for": "30d"}],
    "kill_switch": [{"name": "credit_stress", "when": "fred.HY > 7"}],
}


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "spread.yaml").write_text(yaml.safe_dump(THESIS, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    # HY is 4 until Feb 1, 6 from Feb 1 (soft fires after 30 days), 8 on Apr 1..Apr 3 (kill).
    obs = []
    for i in range(120):
        day = date(2025, 1, 1) + timedelta(days=i)
        value = 8.0 if date(2025, 4, 1) <= day <= date(2025, 4, 3) else 6.0 if day >= date(2025, 2, 1) else 4.0
        obs.append(
            Observation("fred.HY", day, day, value, datetime.combine(day, datetime.min.time()) + timedelta(days=1),
                        unit="%", source_ref=f"vintage {day + timedelta(days=1)}", known_at_basis=KnownAtBasis.VINTAGE)
        )
    store = Store.open(url)
    store.add_batch(Batch(observations=obs))
    store.close()
    return tmp_path


def test_backtest_json_reports_transitions_days_and_notifications(setup: Path):
    result = CliRunner().invoke(app, ["backtest", "--from", "2025-01-01", "--to", "2025-04-30", "--json",
                                      "--csv", str(setup / "timeline.csv")])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output)
    moves = [(t["rule"], t["from"], t["to"], t["at"][:10]) for t in summary["transitions"]]
    assert ("spread_widening", "inactive", "pending", "2025-02-02") in moves
    assert ("spread_widening", "pending", "firing", "2025-03-04") in moves
    assert ("credit_stress", "inactive", "firing", "2025-04-02") in moves
    assert ("credit_stress", "firing", "inactive", "2025-04-05") in moves
    assert summary["days_in_state"]["kill_switch"] == pytest.approx(3)
    fired = [(n["rule"], n["event"]) for n in summary["notifications"]]
    assert ("credit_stress", "firing") in fired and ("spread_widening", "firing") in fired
    assert summary["quadrants"][0]["quadrant"] in {"unknown", "growth and liquidity"}
    assert (setup / "timeline.csv").read_text().count("\n") > 100


def test_explain_names_inputs_with_provenance(setup: Path):
    result = CliRunner().invoke(app, ["explain", "spread", "--as-of", "2025-03-10", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["state"] == "soft_warning"
    rule = next(r for r in status["rules"] if r["name"] == "spread_widening")
    (hy,) = rule["inputs"]
    assert hy["value"] == 6.0 and hy["period_end"] == "2025-03-09" and hy["source_ref"] == "vintage 2025-03-10"
    assert "firing since 2025-03-04" in rule["why"]
    assert rule["why"].endswith("fred.HY = 6 > 5 holds")
    stress = next(r for r in status["rules"] if r["name"] == "credit_stress")
    assert stress["why"] == "inactive: fred.HY = 6 > 7 does not hold"


def test_explain_states_each_input_threshold_and_known_at_basis(setup: Path):
    as_json = CliRunner().invoke(app, ["explain", "spread", "--as-of", "2025-03-10", "--json"])
    rules = {r["name"]: r for r in json.loads(as_json.output)["rules"]}
    assert [(i["threshold"], i["basis"]) for i in rules["credit_stress"]["inputs"]] == [("> 7", "vintage")]
    text = CliRunner().invoke(app, ["explain", "spread", "--as-of", "2025-03-10"])
    assert text.exit_code == 0, text.output
    printed = " ".join(text.output.split())  # the console wraps long lines
    assert "threshold > 5" in printed and "threshold > 7" in printed
    assert "known_at 2025-03-10 00:00:00 (vintage)" in printed


def test_unknown_thesis_is_one_clear_line(setup: Path):
    result = CliRunner().invoke(app, ["explain", "sprad"])
    assert result.exit_code != 0
    assert "unknown thesis 'sprad'" in result.output and "spread" in result.output
