"""Crash safety: SIGKILL the daemon again and again, at random instants of collection,
evaluation and delivery (and at each checkpoint of the delivery worker), restart it, and
check that nothing was lost or doubled and that the database is consistent."""

from __future__ import annotations

import random
import sqlite3
import threading

import pytest

from daemon_harness import DaemonProcess, daemon_env, recent, write_thesis
from signalflow._faults import KILL_AT, POINTS
from signalflow.store import Store

pytestmark = pytest.mark.slow

# Each step publishes one observation and adds what Slack must then have received.
STEPS = [
    ("AAA", 3.0, []),
    ("BBB", 4.0, []),
    ("AAA", 8.0, ["calm_aaa/high/1/firing@slack"]),
    ("BBB", 9.0, ["calm_bbb/high/1/firing@slack"]),
    ("AAA", 2.0, ["calm_aaa/high/1/resolved@slack"]),
    ("AAA", 7.0, ["calm_aaa/high/2/firing@slack"]),
    ("BBB", 1.0, ["calm_bbb/high/1/resolved@slack"]),
]
KILLS_PER_STEP = 2


def test_repeated_sigkill_loses_and_doubles_nothing(tmp_path, feed, fake_slack, daemons):
    rng = random.Random(20250602)
    rules = tmp_path / "rules"
    write_thesis(rules, "calm_aaa", "AAA")
    write_thesis(rules, "calm_bbb", "BBB")
    db = tmp_path / "crash.db"
    env = daemon_env(f"sqlite:///{db}", rules, feed, fake_slack)
    served: dict[str, dict] = {"AAA": {}, "BBB": {}}
    expected: list[str] = []
    kills = 0

    def run(extra: dict[str, str] | None = None) -> DaemonProcess:
        daemon = DaemonProcess(dict(env, **(extra or {})), tmp_path / "daemon.log")
        daemons.append(daemon)
        return daemon

    for step, (series, value, notified) in enumerate(STEPS):
        day = recent(len(STEPS) - step)
        feed.publish(series, day, value)
        served[series][day] = value
        expected += notified
        for _ in range(KILLS_PER_STEP):
            point = rng.choice((None, *POINTS))
            daemon = run({KILL_AT: point} if point else None)
            # A random instant of start-up, collection, evaluation or delivery, unless the
            # delivery worker kills itself at its checkpoint first.
            threading.Event().wait(rng.uniform(0.2, 2.0))
            daemon.kill()  # a no-op signal if it already killed itself
            kills += 1
        settle = run()  # one undisturbed pass per step, so the expected set is exact
        settle.wait_for(lambda: set(expected) <= set(fake_slack.keys()), timeout=60, what=f"step {step}")
        settle.kill()
        kills += 1

    final = run()
    final.wait_ready("leader")
    final.wait_for(lambda: any(e.get("event") == "collected" for e in final.events()[-50:]), what="a final pass")
    assert final.stop() == 0
    print(f"survived {kills} SIGKILLs")

    assert sorted(fake_slack.keys()) == sorted(expected)
    store = Store.open(f"sqlite:///{db}")
    try:
        for series, values in served.items():
            frame = store.as_of(f"fred.{series}")
            assert dict(zip(frame["period_end"].dt.date, frame["value"])) == values
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone() == (0,)
