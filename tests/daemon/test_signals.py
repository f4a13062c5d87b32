"""A SIGTERM'd daemon exits 0 and leaves the database consistent; SIGHUP reloads the rules."""

from __future__ import annotations

import signal
import sqlite3
import time

from daemon_harness import DaemonProcess, daemon_env, recent, write_thesis


def consistent(path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone() == (0,)


def test_sigterm_exits_zero_and_leaves_the_database_consistent(tmp_path, feed, fake_slack, daemons):
    for i in range(5):
        feed.publish("AAA", recent(5 - i), 3 + i)  # crosses 5: the soft warning fires
    write_thesis(tmp_path / "rules", "calm_aaa", "AAA")
    db = tmp_path / "sf.db"
    daemon = DaemonProcess(daemon_env(f"sqlite:///{db}", tmp_path / "rules", feed, fake_slack), tmp_path / "d.log")
    daemons.append(daemon)
    daemon.wait_ready("leader")
    daemon.wait_for(lambda: fake_slack.keys(), what="the firing alert to reach Slack")
    daemon.signal(signal.SIGTERM)
    assert daemon.stop() == 0
    assert any(e.get("event") == "daemon stopped" for e in daemon.events())
    consistent(db)
    assert fake_slack.keys() == ["calm_aaa/high/1/firing@slack"]


def test_sighup_applies_a_valid_edit_and_keeps_the_previous_set_on_a_broken_one(tmp_path, feed, fake_slack, daemons):
    feed.publish("AAA", recent(1), 3)
    rules = tmp_path / "rules"
    write_thesis(rules, "calm_aaa", "AAA")
    env = daemon_env(f"sqlite:///{tmp_path / 'sf.db'}", rules, feed, fake_slack, SIGNALFLOW_RULES_POLL="0s")
    daemon = DaemonProcess(env, tmp_path / "d.log")
    daemons.append(daemon)
    daemon.wait_ready("leader")
    (rules / "broken.yaml").write_text("thesis: broken\ntitle: x\ngrowth:\n  when: fred.AAA >\n")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: fake_slack.keys(), what="the rejected-edit ops notification")
    [key] = fake_slack.keys()
    assert key.startswith("ops/rules/")
    assert any(e.get("event", "").startswith("rules not reloaded") for e in daemon.events())
    assert daemon.readiness()["ready"]
    (rules / "broken.yaml").unlink()
    write_thesis(rules, "calm_bbb", "AAA", limit=2)
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda: any(e.get("event") == "rules reloaded" for e in daemon.events()), what="the reload")
    daemon.wait_for(lambda: "calm_bbb/high/1/firing@slack" in fake_slack.keys(), what="the new thesis's alert")
    assert daemon.stop() == 0


def test_sigterm_during_retries_stops_at_once(tmp_path, http_server, feed, fake_slack, daemons):
    """A source backing off against a failing server does not hold a stopping daemon: its
    waits end and nothing more is retried (systemd would SIGKILL it after TimeoutStopSec)."""
    from fakes.http_server import Reply

    http_server.routes["/fredgraph.csv"] = Reply(503, "busy", {"Retry-After": "20"})
    write_thesis(tmp_path / "rules", "calm_aaa", "AAA")
    env = daemon_env(f"sqlite:///{tmp_path / 'sf.db'}", tmp_path / "rules", feed, fake_slack)
    daemon = DaemonProcess(env, tmp_path / "d.log")
    daemons.append(daemon)
    daemon.wait_ready("leader")
    daemon.wait_for(lambda: http_server.requests, what="the first FRED request")
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.stop() == 0
    assert time.monotonic() - started < 10  # a single Retry-After wait alone is 20 s
    assert any("signalflow is stopping" in str(e.get("error", "")) for e in daemon.events())
