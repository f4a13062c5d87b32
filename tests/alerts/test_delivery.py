"""The delivery worker against a local Slack Web API: threads, edits, retries, Retry-After,
timeouts reconciled instead of reposted, permanent failures, charts, webhook mode."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from fakes.slack_server import TOKEN, Fault
from fakes.theses import ACCESSION, evaluation, thesis
from signalflow.alerts import deliver_pending, record_evaluation
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow

T0 = datetime(2025, 5, 1, 12, 0)
SOFT = "spread_widening"
CHANNEL = "C0ALERTS"


@pytest.fixture
def db(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield store
    store.close()


def slack_settings(fake, **extra) -> Settings:
    values = dict(
        database_url="sqlite://",
        slack_bot_token=TOKEN,
        slack_channel=CHANNEL,
        slack_api_url=fake.api_url,
        routes=[Route(name="slack", notifier="slack")],
        delivery_timeout=1,
    )
    values.update(extra)
    return Settings(**values)


def record(store, config, at, firing, previous=frozenset(), chart=""):
    with store.session() as session:
        record_evaluation(session, thesis(), evaluation(at, firing, previous), config, at, chart_path=chart)


def statuses(store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(r.kind, r.status) for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]


def test_an_episode_is_one_thread_whose_root_shows_the_current_state(db, fake_slack):
    config = slack_settings(fake_slack, reminder_mode="thread")
    record(db, config, T0, {SOFT})
    first = deliver_pending(db, config, now=T0)
    record(db, config, T0 + timedelta(days=1), {SOFT}, {SOFT})
    record(db, config, T0 + timedelta(days=1, hours=2), set(), {SOFT})
    later = deliver_pending(db, config, now=T0 + timedelta(days=2))

    assert (first.sent, later.sent) == (1, 2)
    [root] = fake_slack.roots(CHANNEL)
    assert [m.text.split(" — ")[0] for m in fake_slack.replies(root)] == [
        "Still firing",
        "Resolved",
    ]
    header = root.blocks[0]["text"]["text"]
    assert "Soft Warning: Liquidity regime: credit spreads stay tight" in header
    body = str(root.blocks)
    for fact in ("fred.BAMLH0A0HYM2", "threshold > 5", "period 2025-04-01", "known 2025-04-02",
                 "https://fred.stlouisfed.org/series/BAMLH0A0HYM2", "growth only", "first tranche: 1/3 of target",
                 "add size: 1/3 after two confirming quarters"):
        assert fact in body
    assert [edit["text"].split(" — ")[0] for edit in root.edits] == ["Still firing", "Resolved"]
    assert root.metadata["event_payload"]["key"] == f"liquidity_regime/{SOFT}/1/firing@slack"
    assert statuses(db) == [("firing", "sent"), ("reminder", "sent"), ("resolved", "sent")]


def test_kill_switch_message_links_the_sec_filing(db, fake_slack):
    config = slack_settings(fake_slack)
    record(db, config, T0, {"revenue_collapse"})
    deliver_pending(db, config, now=T0)
    [root] = fake_slack.roots()
    assert f"https://www.sec.gov/Archives/edgar/data/1045810/{ACCESSION.replace('-', '')}/" in str(root.blocks)
    assert ":rotating_light: Kill Switch" in root.blocks[0]["text"]["text"]


@pytest.mark.parametrize(
    ("faults", "slept"),
    [
        ([Fault(status=429, retry_after="7")], [7.0]),
        ([Fault(status=500), Fault(status=503)], [10.0, 20.0]),  # backoff 10s, doubling
    ],
)
def test_transient_errors_retry_with_backoff_and_post_once(db, fake_slack, faults, slept):
    config = slack_settings(fake_slack)
    fake_slack.fail("chat.postMessage", *faults)
    record(db, config, T0, {SOFT})
    waits: list[float] = []
    report = deliver_pending(db, config, now=T0, sleep=waits.append)
    assert waits == slept
    assert report.sent == 1
    assert len(fake_slack.messages) == 1
    assert fake_slack.calls.count("chat.postMessage") == len(faults) + 1


def test_a_long_retry_after_reschedules_instead_of_sleeping(db, fake_slack):
    config = slack_settings(fake_slack)
    fake_slack.fail("chat.postMessage", Fault(status=429, retry_after="120"))
    record(db, config, T0, {SOFT})
    waits: list[float] = []
    early = deliver_pending(db, config, now=T0, sleep=waits.append)
    too_soon = deliver_pending(db, config, now=T0 + timedelta(seconds=60), sleep=waits.append)
    due = deliver_pending(db, config, now=T0 + timedelta(seconds=121), sleep=waits.append)
    assert (early.count("retry"), too_soon.outcomes, due.sent) == (1, (), 1)
    assert waits == []
    assert len(fake_slack.messages) == 1


def test_a_post_whose_answer_never_comes_is_reconciled_not_reposted(db, fake_slack):
    config = slack_settings(fake_slack)
    # Slack stores the message, then the answer is lost: the client times out.
    fake_slack.fail("chat.postMessage", Fault(hang=3, record=True))
    record(db, config, T0, {SOFT})
    first = deliver_pending(db, config, now=T0)
    assert first.count("unknown") == 1
    assert statuses(db) == [("firing", "sending")]
    second = deliver_pending(db, config, now=T0 + timedelta(minutes=5))
    assert second.count("reconciled") == 1
    assert len(fake_slack.messages) == 1
    assert "conversations.history" in fake_slack.calls


def test_a_bad_token_fails_for_good_without_retrying(db, fake_slack):
    config = slack_settings(fake_slack, slack_bot_token="xoxb-wrong")
    record(db, config, T0, {SOFT})
    waits: list[float] = []
    report = deliver_pending(db, config, now=T0, sleep=waits.append)
    assert report.failed == 1 and waits == []
    assert statuses(db) == [("firing", "failed")]
    with db.session() as session:
        assert "invalid_auth" in session.exec(select(OutboxRow)).one().last_error


def test_a_chart_is_uploaded_into_the_alert_thread(db, fake_slack, tmp_path):
    chart = tmp_path / "spread.png"
    chart.write_bytes(b"\x89PNG fake chart bytes")
    config = slack_settings(fake_slack)
    record(db, config, T0, {SOFT}, chart=str(chart))
    deliver_pending(db, config, now=T0)
    [root] = fake_slack.roots()
    [upload] = fake_slack.uploads.values()
    assert upload["data"] == chart.read_bytes() and upload["filename"] == "spread.png"
    [done] = fake_slack.completed
    assert (done["channel_id"], done["thread_ts"]) == (CHANNEL, root.ts)


def test_webhook_mode_posts_without_threads(db, fake_slack):
    config = slack_settings(fake_slack, slack_bot_token=None, slack_webhook_url=f"{fake_slack.url}/webhook")
    record(db, config, T0, {SOFT})
    record(db, config, T0 + timedelta(hours=1), set(), {SOFT})
    report = deliver_pending(db, config, now=T0 + timedelta(hours=1))
    assert report.sent == 2
    assert [p["text"].split(" — ")[0] for p in fake_slack.webhook_posts] == ["Soft Warning: Liquidity regime: credit spreads stay tight", "Resolved"]
    assert all("thread_ts" not in p for p in fake_slack.webhook_posts)
    assert fake_slack.messages == []


def test_two_delivery_passes_at_once_post_each_notification_once(db, fake_slack):
    """The daemon may run its delivery job while an evaluation's own delivery pass is still
    sending: the second pass must skip a row in flight, not reconcile it (finding nothing
    yet) and post it again."""
    import threading

    config = slack_settings(fake_slack, reminder_mode="thread")
    record(db, config, T0, {SOFT})
    fake_slack.fail("chat.postMessage", Fault(hang=0.5))  # the first post takes a while
    first = threading.Thread(target=deliver_pending, args=(db, config), kwargs={"now": T0})
    first.start()
    threading.Event().wait(0.2)  # the first pass has claimed the row and is sending it
    second = deliver_pending(db, config, now=T0)
    first.join()
    assert second.sent == 0 and second.count("deferred") == 1
    assert len(fake_slack.roots(CHANNEL)) == 1
    assert statuses(db) == [("firing", "sent")]


def reply_with_failing_edit(db, fake_slack, fault: Fault):
    """An alert's thread exists; its reminder's reply goes out and the root's edit fails once."""
    config = slack_settings(fake_slack, reminder_mode="thread")
    record(db, config, T0, {SOFT})
    assert deliver_pending(db, config, now=T0).sent == 1
    record(db, config, T0 + timedelta(days=1), {SOFT}, {SOFT})
    fake_slack.fail("chat.update", fault)
    return config


@pytest.mark.parametrize(
    "fault", [Fault(status=429, retry_after="2"), Fault(status=500)], ids=["429", "500"]
)
def test_a_failed_root_edit_is_retried_alone_and_the_reply_posted_once(db, fake_slack, fault):
    config = reply_with_failing_edit(db, fake_slack, fault)
    waits: list[float] = []
    report = deliver_pending(db, config, now=T0 + timedelta(days=1), sleep=waits.append)
    assert report.sent == 1 and len(waits) == 1
    [root] = fake_slack.roots(CHANNEL)
    assert [m.text.split(" — ")[0] for m in fake_slack.replies(root)] == ["Still firing"]
    assert fake_slack.calls.count("chat.postMessage") == 2  # the root, the reply: never again
    assert fake_slack.calls.count("chat.update") == 2  # the failed edit, then the edit alone
    assert [edit["text"].split(" — ")[0] for edit in root.edits] == ["Still firing"]
    assert statuses(db) == [("firing", "sent"), ("reminder", "sent")]


def test_an_edit_rescheduled_to_a_later_pass_does_not_post_its_reply_again(db, fake_slack):
    config = reply_with_failing_edit(db, fake_slack, Fault(status=429, retry_after="7200"))
    first = deliver_pending(db, config, now=T0 + timedelta(days=1))
    assert first.count("retry") == 1
    assert statuses(db) == [("firing", "sent"), ("reminder", "pending")]
    # The resolve waits for the reminder's edit: the root's edits land in order.
    record(db, config, T0 + timedelta(days=1, hours=1), set(), {SOFT})
    waiting = deliver_pending(db, config, now=T0 + timedelta(days=1, hours=1))
    assert waiting.count("deferred") == 1
    later = deliver_pending(db, config, now=T0 + timedelta(days=2))
    assert later.sent == 2
    [root] = fake_slack.roots(CHANNEL)
    assert [m.text.split(" — ")[0] for m in fake_slack.replies(root)] == ["Still firing", "Resolved"]
    assert [edit["text"].split(" — ")[0] for edit in root.edits] == ["Still firing", "Resolved"]
    assert sorted(fake_slack.keys()) == sorted(set(fake_slack.keys()))


def test_a_failed_chart_upload_is_retried_without_posting_the_alert_again(db, fake_slack, tmp_path):
    chart = tmp_path / "spread.png"
    chart.write_bytes(b"\x89PNG fake chart bytes")
    config = slack_settings(fake_slack)
    record(db, config, T0, {SOFT}, chart=str(chart))
    fake_slack.fail("files.getUploadURLExternal", Fault(status=500))
    waits: list[float] = []
    report = deliver_pending(db, config, now=T0, sleep=waits.append)
    assert report.sent == 1 and waits == [10.0]
    assert len(fake_slack.roots()) == 1 and fake_slack.calls.count("chat.postMessage") == 1
    [done] = fake_slack.completed
    assert done["thread_ts"] == fake_slack.roots()[0].ts


def test_a_lease_of_a_live_deliverer_is_honoured_and_an_expired_one_taken_over(db, fake_slack):
    from signalflow.alerts.lease import abandoned
    from signalflow.store import outbox

    config = slack_settings(fake_slack)
    record(db, config, T0, {SOFT})
    with db.session() as session:
        [row_id] = outbox.due_ids(session, T0)
    elsewhere = "another-host:4242::cafe"  # a deliverer on another machine: alive for all we know
    now = datetime.utcnow()
    assert outbox.lease(db.engine, row_id, elsewhere, now, now + timedelta(minutes=5), abandoned)
    held = deliver_pending(db, config, now=T0)
    assert held.count("deferred") == 1 and fake_slack.messages == []
    assert outbox.renew(db.engine, row_id, elsewhere, now - timedelta(seconds=1))  # it stopped renewing
    taken = deliver_pending(db, config, now=T0)
    assert taken.sent == 1 and len(fake_slack.messages) == 1
    assert not outbox.renew(db.engine, row_id, elsewhere, now + timedelta(minutes=5))  # it lost the row


def test_a_reply_stays_in_its_thread_when_the_root_finishes_between_two_reads(db, fake_slack, monkeypatch):
    """Another deliverer finishes the root while this one asks where the reply goes: the
    reply must land in the root's thread, never as a message of its own (seen with four
    deliverers on one SQLite file: one reminder in 50 runs posted as a new root)."""
    from signalflow.alerts import delivery
    from signalflow.store import outbox

    config = slack_settings(fake_slack, reminder_mode="thread")
    record(db, config, T0, {SOFT})
    deliver_pending(db, config, now=T0)
    record(db, config, T0 + timedelta(days=1), {SOFT}, {SOFT})
    with db.session() as session:  # as the other deliverer left it a moment before it finished
        root = session.exec(select(OutboxRow).order_by(OutboxRow.id)).first()
        done = (root.status, root.receipt_json)
        root.status, root.receipt_json = "sending", ""
        root.lease_owner, root.lease_until = "other", T0 + timedelta(days=30)
        session.add(root)

    real = outbox.earlier_open

    def finished_meanwhile(session, row):
        with db.session() as other:  # the other deliverer commits the root's outcome now
            root = other.get(OutboxRow, 1)
            root.status, root.receipt_json = done
            root.lease_owner, root.lease_until = "", None
            other.add(root)
        return real(session, row)

    monkeypatch.setattr(delivery.outbox, "earlier_open", finished_meanwhile)
    deliver_pending(db, config, now=T0 + timedelta(days=1, hours=1))
    monkeypatch.setattr(delivery.outbox, "earlier_open", real)
    deliver_pending(db, config, now=T0 + timedelta(days=1, hours=2))  # a reply deferred goes now

    [root] = fake_slack.roots(CHANNEL)
    assert [m.text.split(" — ")[0] for m in fake_slack.replies(root)] == ["Still firing"]
