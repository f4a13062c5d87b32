"""Several deliverer processes on one database at once (the daemon, a `signalflow deliver`
beside it, a second daemon) send each step of each notification exactly once: counted on
the Slack stand-in, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from fakes.slack_server import TOKEN, Fault
from fakes.theses import evaluation, thesis
from signalflow.alerts import record_evaluation
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow, OutboxStepRow

pytestmark = pytest.mark.slow

T0 = datetime(2025, 5, 1, 12, 0)
SOFT = "spread_widening"
THESES = 12
DELIVERERS = 4
# Each deliverer waits for the go file, then runs passes until nothing is left to send
# (bounded: a pass count and a deadline), as `signalflow deliver` run again and again would.
WORKER = """
import sys, time
from pathlib import Path
from signalflow.alerts import deliver_pending
from signalflow.settings import Settings
from signalflow.store import Store, outbox
from signalflow.store.enums import OutboxStatus

go, ready = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
settings = Settings()
store = Store.open(settings.database_url)
for _ in range(300):
    deliver_pending(store, settings, sleep=lambda seconds: None)
    with store.engine.connect() as conn:
        counts = outbox.status_counts(conn)
    if not counts.get(OutboxStatus.PENDING) and not counts.get(OutboxStatus.SENDING):
        break
    if time.monotonic() > deadline:
        sys.exit("deliverer gave up: notifications still waiting at the deadline")
    time.sleep(0.02)
store.close()
"""


def queue_threads(url: str, tmp_path) -> list[str]:
    """THESES alert threads, each a firing (every third with a chart), a reminder and a
    resolve, queued in the database; the outbox keys in order."""
    config = Settings(database_url=url, routes=[Route(name="slack", notifier="slack")], reminder_mode="thread")
    store = Store.open(url)
    try:
        for number in range(THESES):
            name = f"thesis_{number:02d}"
            chart = ""
            if number % 3 == 0:
                chart = str(tmp_path / f"{name}.png")
                with open(chart, "wb") as out:
                    out.write(b"\x89PNG chart of " + name.encode())
            steps = [(T0, {SOFT}, set()), (T0 + timedelta(days=1), {SOFT}, {SOFT}),
                     (T0 + timedelta(days=1, hours=1), set(), {SOFT})]
            for index, (at, firing, previous) in enumerate(steps):
                ev = evaluation(at, firing, previous)
                ev.status = replace(ev.status, thesis=name)
                with store.session() as session:
                    record_evaluation(session, replace(thesis(), id=name), ev, config, at,
                                      chart_path=chart if index == 0 else "")
        with store.session() as session:
            return [row.dedup_key for row in session.exec(select(OutboxRow).order_by(OutboxRow.id))]
    finally:
        store.close()


# The shared database_url fixture (tests/conftest.py), without the in-memory database that
# other processes cannot open.
@pytest.mark.parametrize(
    "database_url", ["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_concurrent_deliverers_send_each_step_once(database_url, tmp_path, fake_slack):
    keys = queue_threads(database_url, tmp_path)
    assert len(keys) == 3 * THESES
    # A few transient faults, retried inside a pass: only the failed step is repeated.
    fake_slack.fail("chat.update", Fault(status=500), Fault(status=429, retry_after="0"))
    fake_slack.fail("chat.postMessage", Fault(status=429, retry_after="0"))
    fake_slack.fail("files.getUploadURLExternal", Fault(status=503))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
    env.update(
        SIGNALFLOW_DATABASE_URL=database_url,
        SIGNALFLOW_SLACK_BOT_TOKEN=TOKEN,
        SIGNALFLOW_SLACK_CHANNEL="C0ALERTS",
        SIGNALFLOW_SLACK_API_URL=fake_slack.api_url,
        SIGNALFLOW_REMINDER_MODE="thread",
        SIGNALFLOW_DELIVERY_TIMEOUT="30",
    )
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(DELIVERERS)]
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(go), str(flag)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for flag in ready
    ]
    deadline = time.monotonic() + 60
    while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
        time.sleep(0.01)  # every deliverer has imported signalflow: they start together
    go.touch()
    results = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0] * DELIVERERS, [err[-2000:] for _, err in results]

    posted = Counter(fake_slack.keys())
    assert sorted(posted) == sorted(keys)
    assert set(posted.values()) == {1}, [k for k, n in posted.items() if n > 1]
    roots = fake_slack.roots("C0ALERTS")
    assert len(roots) == THESES
    for root in roots:
        replies = [m.text.split(" — ")[0] for m in fake_slack.replies(root)]
        assert replies == ["Still firing", "Resolved"]
        assert [e["text"].split(" — ")[0] for e in root.edits] == ["Still firing", "Resolved"]
    uploads = Counter(done["thread_ts"] for done in fake_slack.completed)
    with_chart = {f"thesis_{n:02d}" for n in range(0, THESES, 3)}
    charted = {r.ts for r in roots if r.metadata["event_payload"]["alert"].split("/")[0] in with_chart}
    assert uploads == Counter({ts: 1 for ts in charted})

    store = Store.open(database_url)
    try:
        with store.session() as session:
            assert {row.status for row in session.exec(select(OutboxRow))} == {"sent"}
            assert {row.lease_owner for row in session.exec(select(OutboxRow))} == {""}
            steps = Counter(step.name for step in session.exec(select(OutboxStepRow)) if step.status == "sent")
    finally:
        store.close()
    assert steps == Counter(post=THESES, upload=len(charted), reply=2 * THESES, edit=2 * THESES)
