"""Two daemons on one PostgreSQL: one runs the schedule, the other takes over within the
bound when the leader is SIGKILLed, and every alert reaches Slack exactly once."""

from __future__ import annotations

import time

import pytest

from daemon_harness import DaemonProcess, daemon_env, recent, write_thesis

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEADER_POLL = 0.5
# The standby tries the lease every LEADER_POLL; the dead leader's session ends at once on
# loopback. The bound adds the daemon's tick and a loaded CI machine's scheduling delays.
TAKEOVER_BOUND = 5.0


def test_the_standby_takes_over_when_the_leader_dies_and_no_alert_is_doubled(
    tmp_path, postgres_url, feed, fake_slack, daemons
):
    for i in range(3):
        feed.publish("AAA", recent(6 - i), 3)
    write_thesis(tmp_path / "rules", "calm_aaa", "AAA")

    def start(name: str) -> DaemonProcess:
        env = daemon_env(postgres_url, tmp_path / "rules", feed, fake_slack, SIGNALFLOW_LEADER_POLL=f"{LEADER_POLL}s")
        daemon = DaemonProcess(env, tmp_path / f"{name}.log")
        daemons.append(daemon)
        return daemon

    first = start("first")
    first.wait_ready("leader")
    second = start("second")
    second.wait_ready("standby")
    assert first.readiness()["role"] == "leader"

    feed.publish("AAA", recent(3), 8)
    first.wait_for(lambda: "calm_aaa/high/1/firing@slack" in fake_slack.keys(), what="the first alert")

    first.kill()
    killed = time.monotonic()
    second.wait_ready("leader", timeout=TAKEOVER_BOUND + 10)
    took = time.monotonic() - killed
    print(f"takeover after {took:.2f}s")
    assert took <= TAKEOVER_BOUND

    feed.publish("AAA", recent(2), 2)
    second.wait_for(lambda: "calm_aaa/high/1/resolved@slack" in fake_slack.keys(), what="the resolution")
    feed.publish("AAA", recent(1), 9)
    second.wait_for(lambda: "calm_aaa/high/2/firing@slack" in fake_slack.keys(), what="the second episode")

    third = start("third")  # the old leader restarted: it stands by
    third.wait_ready("standby")
    assert second.stop() == 0
    third.wait_ready("leader", timeout=TAKEOVER_BOUND + 10)
    third.wait_for(lambda: any(e.get("event") == "collected" for e in third.events()), what="a pass of the new leader")
    assert third.stop() == 0
    assert sorted(fake_slack.keys()) == [
        "calm_aaa/high/1/firing@slack",
        "calm_aaa/high/1/resolved@slack",
        "calm_aaa/high/2/firing@slack",
    ]
