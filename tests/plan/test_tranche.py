"""The tranche journal: `signalflow tranche` records the tranches taken, on every backend,
and `journal` shows them beside the alerts and decisions."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from fakes.planned import write_rules
from signalflow.cli import app
from signalflow.store.alerts import EntryKind, journal
from signalflow.store.plans import record_tranche, tranche_label, tranches


def test_tranches_are_journaled_on_every_backend(store):
    with store.session() as session:
        record_tranche(session, "planned", 0, 50.0, "bought at 100", datetime(2025, 1, 2))
        record_tranche(session, "planned", 1, 25.0, "", datetime(2025, 2, 2))
        record_tranche(session, "other", 0, 10.0, "", datetime(2025, 1, 1))
    with store.session() as session:
        rows = tranches(session, "planned")
        entries = [e for e in journal(session, "planned") if e.entry is EntryKind.TRANCHE]
    assert [(tranche_label(r.number), r.size, r.note) for r in rows] == [("first", 50.0, "bought at 100"), ("add 1", 25.0, "")]
    assert [(e.what, e.state, e.detail) for e in entries] == [
        ("first", "taken", "50% of the position; bought at 100"), ("add 1", "taken", "25% of the position"),
    ]
    assert entries[0].to_json()["entry"] == "tranche"


@pytest.fixture
def cli_env(database_url, tmp_path, monkeypatch):
    if database_url == "sqlite://":
        pytest.skip("each CLI command opens the database anew: an in-memory one would not survive between them")
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(write_rules(tmp_path)))
    return CliRunner()


def test_the_tranche_command_records_lists_and_refuses(cli_env):
    runner = cli_env
    first = runner.invoke(app, ["tranche", "planned", "first", "--note", "bought at 100"])
    assert first.exit_code == 0, first.output
    assert "planned first (50% of the position): bought at 100" in first.output
    add = runner.invoke(app, ["tranche", "planned", "add", "1", "--json"])
    assert add.exit_code == 0, add.output
    assert json.loads(add.output)[0] | {"taken_at": None} == {
        "thesis": "planned", "tranche": "add 1", "add": 1, "size_pct": 25.0, "note": "", "taken_at": None,
    }
    listed = runner.invoke(app, ["tranche", "planned", "--json"])
    assert [d["tranche"] for d in json.loads(listed.output)] == ["first", "add 1"]
    shown = runner.invoke(app, ["journal", "planned", "--json"])
    assert [(e["entry"], e["what"]) for e in json.loads(shown.output)] == [("tranche", "first"), ("tranche", "add 1")]
    for args, message in [
        (["tranche", "planned", "first"], "first of planned was recorded on"),
        (["tranche", "planned", "add", "2"], "the plan has no add 2 (its adds: 1)"),
        (["tranche", "planned", "add"], "add needs the add's number (the plan's adds: 1)"),
        (["tranche", "planned", "second"], "step 'second': use first or add N"),
        (["tranche", "nope", "first"], "no thesis 'nope'"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)


def test_explain_shows_the_plan_with_the_tranches_taken(tmp_path, monkeypatch):
    from fakes.planned import observe
    from signalflow.store import Store

    url = f"sqlite:///{tmp_path / 'explain.db'}"
    store = Store.open(url)
    for day in range(15):
        observe(store, day)
    store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(write_rules(tmp_path)))
    runner = CliRunner()
    assert runner.invoke(app, ["tranche", "planned", "first"]).exit_code == 0
    # Day 14: revenue 25 (the add's condition holds), risk 1, price flat: the add is due.
    result = runner.invoke(app, ["explain", "planned", "--as-of", "2025-01-15", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)["plan"]
    assert plan["adds"] == [
        {"add": 1, "size_pct": 25.0, "when": "fred.REV > 20", "met": True, "now": "due", "taken_at": None}
    ]
    assert plan["first"]["size_pct"] == 50.0 and plan["first"]["taken_at"] is None  # taken today, after 2025
    assert plan["stretched"] == {"when": "stretch > 20%", "value": False}
    # Day 13: the Soft Warning fires, so the add is withheld.
    text = runner.invoke(app, ["explain", "planned", "--as-of", "2025-01-14"]).output
    assert "add 1 25%: withheld: a Soft Warning fires" in text
    assert "on Soft Warning: Hold the first tranche; take no add until it clears" in text
    now = runner.invoke(app, ["explain", "planned", "--json"]).output
    assert json.loads(now)["plan"]["first"]["taken_at"] is not None
