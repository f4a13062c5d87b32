"""kill -9 the delivery worker at every step, restart it, and count what Slack received:
each notification exactly once, the thread's root edited to the final state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from fakes.slack_server import TOKEN, Fault
from fakes.theses import evaluation, thesis
from signalflow.alerts import deliver_pending, record_evaluation
from signalflow._faults import KILL_AT, POINTS
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow

pytestmark = pytest.mark.slow

T0 = datetime(2025, 5, 1, 12, 0)
SOFT = "spread_widening"
WORKER = """
from signalflow.alerts import deliver_pending
from signalflow.settings import Settings
from signalflow.store import Store

settings = Settings()
store = Store.open(settings.database_url)
deliver_pending(store, settings, sleep=lambda seconds: None)
store.close()
"""


@pytest.fixture
def queued(tmp_path, fake_slack):
    """Three notifications of one episode waiting in a SQLite file: firing, reminder, resolve."""
    url = f"sqlite:///{tmp_path / 'kill9.db'}"
    config = Settings(database_url=url, routes=[Route(name="slack", notifier="slack")], reminder_mode="thread")
    store = Store.open(url)
    steps = [(T0, {SOFT}, set()), (T0 + timedelta(days=1), {SOFT}, {SOFT}), (T0 + timedelta(days=1, hours=1), set(), {SOFT})]
    for at, firing, previous in steps:
        with store.session() as session:
            record_evaluation(session, thesis(), evaluation(at, firing, previous), config, at)
    with store.session() as session:
        keys = [row.dedup_key for row in session.exec(select(OutboxRow).order_by(OutboxRow.id))]
    yield store, keys, worker_env(url, fake_slack)
    store.close()


def worker_env(url: str, fake_slack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
    env.update(
        SIGNALFLOW_DATABASE_URL=url,
        SIGNALFLOW_SLACK_BOT_TOKEN=TOKEN,
        SIGNALFLOW_SLACK_CHANNEL="C0ALERTS",
        SIGNALFLOW_SLACK_API_URL=fake_slack.api_url,
        SIGNALFLOW_DELIVERY_TIMEOUT="30",
    )
    return env


def worker(env: dict[str, str], kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(env, **({KILL_AT: kill_at} if kill_at else {}))
    return subprocess.run([sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, timeout=120)


def assert_delivered_once(store, fake_slack, keys) -> None:
    assert sorted(fake_slack.keys()) == sorted(keys)
    [root] = fake_slack.roots()
    assert len(fake_slack.replies(root)) == 2
    assert root.edits[-1]["text"].startswith("Resolved")
    with store.session() as session:
        assert {row.status for row in session.exec(select(OutboxRow))} == {"sent"}


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_each_step_and_restarted_delivers_each_notification_once(queued, fake_slack, point):
    store, keys, env = queued
    killed = worker(env, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    restarted = worker(env)
    assert restarted.returncode == 0, restarted.stderr
    assert_delivered_once(store, fake_slack, keys)


def test_killed_while_slack_holds_the_answer_is_reconciled(queued, fake_slack):
    store, keys, env = queued
    fake_slack.fail("chat.postMessage", Fault(hang=30, record=True))
    killed = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert fake_slack.posted.wait(timeout=120)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    fake_slack.release.set()
    restarted = worker(env)
    assert restarted.returncode == 0, restarted.stderr
    assert_delivered_once(store, fake_slack, keys)
    assert "conversations.history" in fake_slack.calls


@pytest.fixture
def digest_due(tmp_path, fake_slack):
    """Two alerts firing since 2025, their first messages delivered: today's digest is due
    and the worker (on the real clock) composes it."""
    url = f"sqlite:///{tmp_path / 'digest.db'}"
    env = worker_env(url, fake_slack)
    config = Settings(database_url=url, slack_bot_token=TOKEN, slack_channel="C0ALERTS",
                      slack_api_url=fake_slack.api_url, routes=[Route(name="slack", notifier="slack")])
    store = Store.open(url)
    for name in ("alpha", "beta"):
        ev = evaluation(T0, {SOFT})
        ev.status = replace(ev.status, thesis=name)
        with store.session() as session:
            record_evaluation(session, replace(thesis(), id=name), ev, config, T0)
    assert deliver_pending(store, config, now=T0).sent == 2
    yield store, env
    store.close()


@pytest.mark.parametrize("point", ["claimed", "posted", "recorded"])
def test_killed_while_sending_the_digest_posts_it_once(digest_due, fake_slack, point):
    store, env = digest_due
    killed = worker(env, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    restarted = worker(env)
    assert restarted.returncode == 0, restarted.stderr
    digests = [k for k in fake_slack.keys() if k.startswith("digest/")]
    assert len(digests) == 1 and digests[0].endswith("@slack")
    with store.session() as session:
        assert [(r.kind, r.status) for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))] == [
            ("firing", "sent"), ("firing", "sent"), ("digest", "sent")
        ]
