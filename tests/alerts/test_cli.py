"""The alert commands through the real CLI: ack, journal, deliver, notify-test."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from fakes.theses import evaluation, thesis
from signalflow.alerts import record_evaluation
from signalflow.cli import app
from signalflow.settings import Settings
from signalflow.store import Store

T0 = datetime(2025, 5, 1, 12, 0)
SOON = datetime.now(timezone.utc).date() + timedelta(days=30)  # ack refuses an --until not ahead


def test_ack_journal_and_deliver(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    store = Store.open(url)
    with store.session() as session:
        record_evaluation(session, thesis(), evaluation(T0, {"spread_widening"}), Settings(database_url=url), T0)
    store.close()
    runner = CliRunner()

    bad = runner.invoke(app, ["ack", "liquidity_regime", "--decision", "panic", "--note", "x"])
    unknown = runner.invoke(app, ["ack", "nope", "--decision", "hold", "--note", "x"])
    syntax = runner.invoke(app, ["ack", "liquidity_regime", "--decision", "hold", "--note", "x", "--unless", "fred.X >"])
    past = runner.invoke(app, ["ack", "liquidity_regime", "--decision", "hold", "--note", "x", "--until", "2025-06-01"])
    acked = runner.invoke(app, ["ack", "liquidity_regime", "--decision", "hold", "--note", "spreads below 6",
                                "--until", SOON.isoformat(), "--unless", "fred.BAMLH0A0HYM2 > 7", "--json"])
    listed = runner.invoke(app, ["journal", "--json"])
    delivered = runner.invoke(app, ["deliver", "--json"])

    assert (bad.exit_code, unknown.exit_code, syntax.exit_code) == (1, 1, 1)
    assert "hold, trim, exit, ignore" in bad.output and "nope" in unknown.output and "--unless" in syntax.output
    assert past.exit_code == 1 and "--until: 2025-06-01 00:00 is not in the future" in past.output
    assert acked.exit_code == 0, acked.output
    assert json.loads(acked.output)[0]["until"] == f"{SOON.isoformat()}T00:00:00"
    entries = json.loads(listed.output)
    assert [(e["entry"], e["rule"], e["what"]) for e in entries] == [
        ("alert", "spread_widening", "soft_warning"),
        ("decision", "spread_widening", "hold"),
    ]
    assert delivered.exit_code == 0, delivered.output
    # The alert only: the decision, still active, silences today's digest reminder.
    outcomes = json.loads(delivered.stdout)
    assert [(o["key"].split("/")[0], o["result"]) for o in outcomes] == [("liquidity_regime", "sent")]


def test_notify_test_reports_each_route(monkeypatch):
    monkeypatch.setenv("SIGNALFLOW_ROUTES", '[{"name": "desk", "notifier": "console"}, {"name": "x", "notifier": "nope"}]')
    result = CliRunner().invoke(app, ["notify-test", "--json"])
    assert result.exit_code == 1
    reports = json.loads(result.stdout)
    assert [(r["route"], r["ok"]) for r in reports] == [("desk", True), ("x", False)]
