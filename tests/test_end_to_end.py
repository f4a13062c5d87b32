"""One thesis end to end: FRED data collected or imported, stored point in time, evaluated,
and its alert on the console and in Slack."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakes.http_server import Reply
from signalflow.cli import app
from signalflow.thesis.loader import load_rules_dir

from .conftest import PROJECT_ROOT

HISTORY = "fred/chzanotti_liquidez-monitor/history"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def snapshot_day(path: Path) -> date:
    """history/<ID>/<commit time>_<sha>.json: the day the snapshot was taken."""
    return date.fromisoformat(path.name[:10])


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", target)
    return target


def test_real_fred_history_evaluates_point_in_time(shared_data, tmp_path, rules, monkeypatch):
    """Importing the real FRED snapshots and evaluating `--as-of T` gives exactly the state a
    store holding only the snapshots taken by T gives: nothing later leaks in."""
    history = shared_data / HISTORY
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'all.db'}")
    result = CliRunner().invoke(app, ["import", str(history), "--json"])
    reports = json.loads(result.stdout)
    # The real 429 replies saved among the snapshots are reported, and the rest imported.
    failed = [r for r in reports if r["error"]]
    assert failed and all("429" in r["error"] for r in failed)
    assert result.exit_code == 1
    assert sum(r["observations_added"] for r in reports) > 500

    now = json.loads(invoke("evaluate", "liquidity_regime", "--json"))
    assert [s["thesis"] for s in now] == ["liquidity_regime"]
    assert now[0]["state"] in {"ok", "soft_warning", "kill_switch"}

    quadrants = {}
    for day in ("2026-05-25", "2026-08-08"):
        as_of = json.loads(invoke("evaluate", "liquidity_regime", "--as-of", day, "--json"))[0]
        quadrants[day] = as_of["quadrant"]

        partial = tmp_path / f"upto-{day}.db"
        monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{partial}")
        known = [p for p in history.rglob("*.json") if snapshot_day(p) <= date.fromisoformat(day)]
        CliRunner().invoke(app, ["import", *map(str, known), "--json"])
        alone = json.loads(invoke("evaluate", "liquidity_regime", "--as-of", day, "--json"))[0]
        monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'all.db'}")
        for key in ("state", "quadrant", "growth", "liquidity", "firing", "pending"):
            assert as_of[key] == alone[key], (day, key)
    # What was known changed the answer: spreads and net liquidity moved over the summer.
    assert quadrants["2026-05-25"] != quadrants["2026-08-08"]


THESIS = """\
thesis: credit_watch
title: "Credit watch: high yield spreads"
layer: systems
growth:
  reason: "Spreads say nothing about growth; this test thesis treats it as given"
  when: fred.TESTHY > 0
liquidity:
  reason: "Credit is open while spreads are below 5"
  when: fred.TESTHY < 5
soft_warning:
  - name: spread_widening
    when: fred.TESTHY > 5
    for: 3d
    summary: "High-yield spread above 5"
kill_switch:
  - name: spread_blowout
    when: fred.TESTHY > 8
    summary: "High-yield spread above 8: credit is closing"
"""


def fredgraph(values: list[tuple[date, float]]) -> str:
    return "observation_date,TESTHY\n" + "".join(f"{d.isoformat()},{v}\n" for d, v in values)


def test_collect_evaluate_and_alert_on_console_and_slack(tmp_path, http_server, fake_slack, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit_watch.yaml").write_text(THESIS)
    today = datetime.utcnow().date()
    calm = [(today - timedelta(days=40 - i), 4.0) for i in range(30)]
    stress = calm + [(today - timedelta(days=10 - i), 9.0) for i in range(8)]
    http_server.routes["/fredgraph.csv"] = Reply(200, fredgraph(calm), {"Content-Type": "text/csv"})

    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich truncates nothing
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sf.db'}")
    monkeypatch.setenv("SIGNALFLOW_FRED_GRAPH_URL", f"{http_server.url}/fredgraph.csv")
    monkeypatch.setenv("SIGNALFLOW_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("SIGNALFLOW_SLACK_CHANNEL", "C0TEST")
    monkeypatch.setenv("SIGNALFLOW_SLACK_API_URL", fake_slack.api_url)

    out = invoke("run", "--once")
    assert re.search(r"credit_watch\s*│\s*ok", out), out
    report = json.loads(invoke("run", "--once", "--json"))
    assert [(t["thesis"], t["state"], t["quadrant"]) for t in report["theses"]] == [
        ("credit_watch", "ok", "growth and liquidity")
    ]
    assert fake_slack.roots() == []
    assert http_server.requests[0].query["id"] == ["TESTHY"]

    http_server.routes["/fredgraph.csv"] = Reply(200, fredgraph(stress), {"Content-Type": "text/csv"})
    out = invoke("run", "--once")
    assert re.search(r"credit_watch\s*│\s*kill_switch", out), out
    assert "notifications: 2 sent" in out  # the console (always) and Slack
    assert "Kill Switch: Credit watch: high yield spreads" in out
    (root,) = fake_slack.roots("C0TEST")
    posted = json.dumps(root.blocks)
    assert "Credit watch: high yield spreads" in posted and "spread_blowout" in posted
    assert "credit is closing" in posted

    # Still firing on the next pass: nothing is posted again.
    invoke("run", "--once")
    assert len(fake_slack.roots("C0TEST")) == 1
    assert len(fake_slack.messages) == 1


def test_alert_charts_attach_the_thesis_chart_to_the_alert_thread(tmp_path, http_server, fake_slack, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit_watch.yaml").write_text(THESIS)
    today = datetime.utcnow().date()
    stress = [(today - timedelta(days=40 - i), 4.0) for i in range(30)]
    stress += [(today - timedelta(days=10 - i), 9.0) for i in range(8)]
    http_server.routes["/fredgraph.csv"] = Reply(200, fredgraph(stress), {"Content-Type": "text/csv"})
    for name, value in {
        "RULES_DIR": str(rules),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'sf.db'}",
        "DATA_DIR": str(tmp_path),
        "FRED_GRAPH_URL": f"{http_server.url}/fredgraph.csv",
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_CHANNEL": "C0TEST",
        "SLACK_API_URL": fake_slack.api_url,
        "ALERT_CHARTS": "true",
    }.items():
        monkeypatch.setenv(f"SIGNALFLOW_{name}", value)

    invoke("run", "--once")
    (root,) = fake_slack.roots("C0TEST")
    (upload,) = fake_slack.completed
    assert upload["channel_id"] == "C0TEST" and upload["thread_ts"] == root.ts
    (stored,) = fake_slack.uploads.values()
    assert stored["data"].startswith(b"\x89PNG") and stored["filename"].startswith("credit_watch")
    assert list((tmp_path / "charts").glob("credit_watch-*.png"))

    invoke("run", "--once")  # still firing: no second chart, no second post
    assert len(fake_slack.completed) == 1 and len(fake_slack.roots("C0TEST")) == 1


def test_a_fresh_install_with_no_data_raises_no_alert(tmp_path, rules, monkeypatch):
    """Before anything was collected, no example thesis is pending or firing: an event stream
    with nothing in it is unknown, not zero, and no data refutes no hypothesis."""
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    statuses = json.loads(invoke("evaluate", "--json"))
    assert len(statuses) == len(load_rules_dir(rules).theses)
    assert [(s["thesis"], s["firing"], s["pending"]) for s in statuses if s["firing"] or s["pending"]] == []
    assert {s["state"] for s in statuses} == {"ok"}
