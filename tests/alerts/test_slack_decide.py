"""Deciding from Slack over the daemon's Request URL, against the local Slack stand-in: a
click opens the modal, a submit records one decision (like `signalflow ack`) and shows it in
the thread and on the root; forged, stale, replayed and foreign requests change nothing."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from fakes import slack_user
from fakes.slack_server import TOKEN
from fakes.theses import evaluation, thesis
from signalflow.alerts import record_evaluation
from signalflow.notifiers.slack import SlackNotifier
from signalflow.ops import Counters, OpsServer, Probe, Readiness
from signalflow.settings import Settings
from signalflow.slackapp import PATHS, SlackDesk
from signalflow.store import Store
from signalflow.store.models import DecisionRow, StoryRow
from signalflow.notifiers.notification import Kind
from signalflow.alerts.delivery import deliver_pending

T0 = datetime(2025, 5, 1, 12, 0)
CHANNEL = "C0ALERTS"
DECIDER, STRANGER = "U0123", "U0999"
NEW_YORK = timezone(timedelta(hours=-5))
# A re-arm instant as a user in New York picks it: 09:30 their time, a month from now.
SOON = (datetime.now(timezone.utc) + timedelta(days=30)).astimezone(NEW_YORK).replace(hour=9, minute=30, second=0, microsecond=0)
SOON_UTC = SOON.astimezone(timezone.utc).replace(tzinfo=None)  # 14:30, as the store keeps instants
PAST = int(datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def desk(fake_slack, monkeypatch, database_url):
    """A store (every backend) with one firing alert posted to Slack with its buttons, the
    desk, and the daemon's HTTP server serving the Slack paths."""
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_CHANNEL": CHANNEL,
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_SIGNING_SECRET": slack_user.SECRET,
        "SLACK_DECIDERS": f"{DECIDER}, U0456",
        "ROUTES": '[{"name": "desk", "notifier": "slack"}]',
    }.items():
        monkeypatch.setenv(f"SIGNALFLOW_{name}", value)
    settings = Settings()
    store = Store.open(settings.database_url)
    with store.session() as session:
        record_evaluation(session, thesis(notify=("desk",)), evaluation(T0, {"spread_widening"}), settings, T0)
    deliver_pending(store, settings)
    counters = Counters()
    desk = SlackDesk(settings, store, theses=lambda: [thesis()], counters=counters)
    probe = Probe(
        readiness=lambda: Readiness(True, True, True, "leader"),
        metrics=lambda: json.dumps(counters.slack_requests),
        posts={path: desk.http for path in PATHS},
    )
    server = OpsServer("127.0.0.1", 0, probe).start()
    host, port = server.address
    desk.url = f"http://{host}:{port}"
    yield desk
    server.stop()
    store.close()


def alert_root(fake_slack):
    """The alert's root message (the delivery pass also posts today's digest, without buttons)."""
    [root] = [m for m in fake_slack.roots(CHANNEL) if any(b["type"] == "actions" for b in m.blocks)]
    return root


def send(desk, payload: dict, **sign) -> tuple[int, str]:
    body = slack_user.interactive(payload)
    return slack_user.post(f"{desk.url}/slack/interactions", body, slack_user.signed(body, **sign))


def decisions(desk) -> list[DecisionRow]:
    with desk.store.session() as session:
        return list(session.exec(select(DecisionRow)))


def test_a_click_a_modal_and_a_submit_record_one_decision_shown_in_the_thread(desk, fake_slack):
    root = alert_root(fake_slack)
    assert send(desk, slack_user.click(DECIDER, root, "signalflow_trim"))[0] == 200
    [opened] = fake_slack.views
    assert opened["trigger_id"] == f"trigger-{DECIDER}-1700000100.000001"
    assert opened["view"]["blocks"][1]["element"]["initial_option"]["value"] == "trim"
    [picker] = [b["element"] for b in opened["view"]["blocks"] if b.get("block_id") == "until"]
    assert picker["type"] == "datetimepicker", "a re-arm is an instant, not a day"

    payload = slack_user.submit(DECIDER, opened, "trim", "spreads at 5.6, cut half", until=int(SOON.timestamp()),
                                unless="fred.BAMLH0A0HYM2 > 7")
    status, body = send(desk, payload)
    again = send(desk, payload, timestamp=int(time.time()) + 1)  # the same decision submitted again
    desk.drain()  # the thread post and the root's edit run after the ack

    assert (status, body) == (200, "")
    assert again[0] == 200
    [row] = decisions(desk)
    assert (row.thesis, row.rule, row.decision, row.note, row.unless_expr) == (
        "liquidity_regime", "spread_widening", "trim", "spreads at 5.6, cut half", "fred.BAMLH0A0HYM2 > 7"
    )
    assert row.until == SOON_UTC and SOON_UTC.hour == 14 and row.alert_id is not None
    [reply] = [m for m in fake_slack.replies(root) if "decided" in m.text]
    assert f"<@{DECIDER}> decided *trim*" in reply.text
    assert f"re-arms at {SOON_UTC:%Y-%m-%d} 14:30 UTC" in reply.text
    shown = [b for b in root.edits[-1]["blocks"] if b.get("block_id") == "signalflow_decided"]
    assert len(shown) == 1 and "decided *trim*" in shown[0]["elements"][0]["text"]
    assert [b["type"] for b in root.edits[-1]["blocks"]][-1] == "actions", "the buttons stay"


def test_a_modal_opened_before_the_datetimepicker_still_re_arms_at_the_start_of_its_day(desk, fake_slack):
    """A datepicker modal (opened before an upgrade) keeps its recorded meaning: 00:00 UTC."""
    root = alert_root(fake_slack)
    send(desk, slack_user.click(DECIDER, root, "signalflow_hold"))
    opened = fake_slack.views[-1]
    blocks = [
        b | {"element": {"type": "datepicker", "action_id": "value"}} if b.get("block_id") == "until" else b
        for b in opened["view"]["blocks"]
    ]
    older = opened | {"view": opened["view"] | {"blocks": blocks}}
    day = SOON_UTC.date()
    assert send(desk, slack_user.submit(DECIDER, older, "hold", "wait", until=day.isoformat()))[0] == 200
    desk.drain()
    [row] = decisions(desk)
    assert row.until == datetime(day.year, day.month, day.day)
    assert any(f"re-arms at {day.isoformat()} 00:00 UTC" in m.text for m in fake_slack.replies(root))


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        ({"note": ""}, "note", "say why"),
        ({"until": PAST}, "until", "not in the future"),
        ({"unless": "fred.NOPE > 7"}, "unless", "series fred.NOPE is neither read"),
        ({"unless": "no_such_rule"}, "unless", "unknown name 'no_such_rule'"),
    ],
)
def test_the_modal_shows_what_ack_refuses_and_nothing_is_recorded(desk, fake_slack, given, field, says):
    root = alert_root(fake_slack)
    send(desk, slack_user.click(DECIDER, root, "signalflow_hold"))
    filled = {"decision": "hold", "note": "why not"} | given
    status, body = send(desk, slack_user.submit(DECIDER, fake_slack.views[-1], **filled))
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field] and says in answer["errors"][field]
    assert decisions(desk) == []


def test_a_stranger_is_refused_ephemerally_and_nothing_is_recorded(desk, fake_slack):
    root = alert_root(fake_slack)
    assert send(desk, slack_user.click(STRANGER, root, "signalflow_exit"))[0] == 200
    assert fake_slack.views == []
    [refusal] = fake_slack.ephemerals
    assert refusal["user"] == STRANGER and "not in slack_deciders" in refusal["text"]
    # A submission from a stranger (a modal opened some other way) is refused in the modal.
    opened = {"id": "V1", "view": {"callback_id": "signalflow_decision", "private_metadata": json.dumps(
        {"thesis": "liquidity_regime", "rule": "spread_widening", "alert": "", "channel": CHANNEL, "ts": root.ts})}}
    status, body = send(desk, slack_user.submit(STRANGER, opened, "exit", "sell it all"))
    assert json.loads(body)["response_action"] == "errors"
    assert decisions(desk) == []


def test_forged_unsigned_stale_and_replayed_requests_get_401_and_change_nothing(desk, fake_slack, caplog):
    caplog.set_level(logging.DEBUG)
    root = alert_root(fake_slack)
    opened = {"id": "V1", "view": {"callback_id": "signalflow_decision", "private_metadata": json.dumps(
        {"thesis": "liquidity_regime", "rule": "spread_widening", "alert": "", "channel": CHANNEL, "ts": root.ts})}}
    body = slack_user.interactive(slack_user.submit(DECIDER, opened, "exit", "sell"))
    url = f"{desk.url}/slack/interactions"
    good = slack_user.signed(body)

    forged = slack_user.post(url, body, slack_user.signed(body, secret="not-the-secret"))
    unsigned = slack_user.post(url, body, {})
    stale = slack_user.post(url, body, slack_user.signed(body, timestamp=int(good["X-Slack-Request-Timestamp"]) - 301))
    tampered = slack_user.post(url, body.replace(b"sell", b"hold"), good)
    accepted = slack_user.post(url, body, good)
    replayed = slack_user.post(url, body, good)
    later = int(good["X-Slack-Request-Timestamp"]) + 1  # Slack signs a retry anew
    retry = slack_user.signed(body, timestamp=later) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    retried = slack_user.post(url, body, retry)

    assert [r[0] for r in (forged, unsigned, stale, tampered, accepted, replayed, retried)] == [
        401, 401, 401, 401, 200, 401, 200
    ]
    assert len(decisions(desk)) == 1, "the retry of the accepted request records nothing more"
    assert desk.counters.slack_requests == {"forged": 2, "unsigned": 1, "stale": 1, "replayed": 1, "accepted": 2}
    assert fake_slack.views == [] and fake_slack.ephemerals == []
    assert "refused" in caplog.text and slack_user.SECRET not in caplog.text and TOKEN not in caplog.text


def test_explain_posts_in_the_thread_once_per_click(desk, fake_slack):
    root = alert_root(fake_slack)
    click = slack_user.click(STRANGER, root, "signalflow_explain")
    send(desk, click)
    send(desk, click, timestamp=int(time.time()) + 1)  # Slack's retry of the same click, signed anew
    desk.drain()
    explained = [m for m in fake_slack.replies(root) if m.text.startswith("*liquidity_regime*")]
    assert len(explained) == 1
    assert "spread_widening" in explained[0].text
    assert decisions(desk) == []


def test_explain_names_the_news_stories_behind_a_value_as_text(desk, fake_slack, http_server):
    import yaml

    from signalflow import service
    from signalflow.thesis.loader import read_thesis
    from tests.news.test_story_alerts import AT, DOC, OHIO, WISCONSIN, collect_all
    from tests.news.test_stories import collect, feed

    collect_all(http_server, desk.store)
    iowa = feed(("iowa-1", "Microsoft delays 200 MW data center in Iowa by a year", "Tue, 11 Mar 2025 09:00:00 GMT",
                 "https://news.test/iowa"))
    desk.store.add_batch(collect(http_server, {"/iowa": iowa}, {}, datetime(2025, 3, 11, 10)))
    with desk.store.session() as session:  # a title as another source may store it (a feed's parser strips tags)
        [story] = session.exec(select(StoryRow).where(StoryRow.title.contains("Iowa")))
        story.title = "<!channel> <https://evil.test|win> Microsoft delays Iowa"
        session.add(story)
        session.commit()
    delays, problems = read_thesis("delays.yaml", yaml.safe_dump(DOC, sort_keys=False))
    assert delays is not None, problems
    settings = Settings()
    service.evaluate(settings, desk.store, [delays], at=AT)
    deliver_pending(desk.store, settings)
    [root] = [m for m in fake_slack.roots(CHANNEL) if m.metadata["event_payload"].get("alert", "").startswith("delays/")]

    explainer = SlackDesk(settings, desk.store, theses=lambda: [delays], clock=lambda: AT)
    body = slack_user.interactive(slack_user.click(STRANGER, root, "signalflow_explain"))
    assert explainer.http(slack_user.signed(body), body)[0] == 200
    explainer.drain()
    [explained] = [m.text for m in fake_slack.replies(root) if m.text.startswith("*delays*")]
    lines = explained.splitlines()
    at = lines.index("   news.deployment_delay[MSFT] = 1.0 event (threshold >= 2), known 2025-03-11 09:00:00")
    # Under the input, newest first: when each story was first seen, its link and title, and
    # how many outlets had carried it by the instant explained (Texas came later: not named).
    assert lines[at + 1:] == [
        "      • 2025-03-11 09:00 UTC <https://news.test/iowa|&lt;!channel&gt; &lt;https://evil.test|win&gt; "
        "Microsoft delays Iowa> (1 outlet)",
        f"      • 2025-03-10 09:00 UTC <{WISCONSIN}|Microsoft delays 500 MW data center in Wisconsin by a year &amp; more>"
        " (1 outlet)",
        f"      • 2025-03-04 10:00 UTC <{OHIO}|Microsoft delays 300 MW data center in Ohio by six months> (2 outlets)",
    ]
    # The hostile title stays text: no mention, no link of its own.
    assert "<!channel>" not in explained and "<https://evil.test" not in explained


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("status", "No thesis has been evaluated yet."),
        ("journal liquidity_regime", "alert spread_widening: soft_warning"),
        ("explain liquidity_regime", "explaining liquidity_regime…"),
        ("dance", "usage: /signalflow status"),
    ],
)
def test_the_slash_command_answers_ephemerally(desk, fake_slack, text, says):
    body = slack_user.slash(STRANGER, text, response_url=f"{fake_slack.url}/commands/T0/1")
    status, answer = slack_user.post(f"{desk.url}/slack/commands", body, slack_user.signed(body))
    desk.drain()
    reply = json.loads(answer)
    assert status == 200 and reply["response_type"] == "ephemeral"
    assert says in reply["text"]
    later = [r["text"] for r in fake_slack.responses]
    if text.startswith("explain"):  # the engine's answer follows through the response_url
        [explained] = later
        assert explained.startswith("*liquidity_regime*") and "spread_widening" in explained
        assert fake_slack.responses[0]["response_type"] == "ephemeral"
    else:
        assert later == []


def test_socket_mode_runs_the_same_handlers(desk, fake_slack, monkeypatch):
    from urllib.parse import parse_qsl

    from fakes.slack_server import APP_TOKEN
    from fakes.slack_socket import FakeSocketMode

    monkeypatch.setenv("SIGNALFLOW_SLACK_APP_TOKEN", APP_TOKEN)
    socket_slack = FakeSocketMode().start()
    fake_slack.socket_url = socket_slack.url
    socket_desk = SlackDesk(Settings(), desk.store, theses=lambda: [thesis()])
    handler = socket_desk.socket_mode()
    handler.connect()
    try:
        assert socket_slack.connected.wait(10)
        root = alert_root(fake_slack)
        socket_slack.send("interactive", slack_user.click(DECIDER, root, "signalflow_hold"))
        [opened] = fake_slack.views
        refused = socket_slack.send("interactive", slack_user.submit(DECIDER, opened, "hold", "wait", until=PAST))
        accepted = socket_slack.send("interactive", slack_user.submit(DECIDER, opened, "hold", "wait for Q2"))
        command = dict(parse_qsl(slack_user.slash(STRANGER, "journal liquidity_regime").decode()))
        answered = socket_slack.send("slash_commands", command)
        socket_desk.drain()
    finally:
        handler.close()
        socket_slack.stop()
    assert refused["payload"]["response_action"] == "errors" and "until" in refused["payload"]["errors"]
    assert "payload" not in accepted or not accepted["payload"]
    [row] = decisions(desk)
    assert (row.decision, row.note) == ("hold", "wait for Q2")
    assert any("decided *hold*" in m.text for m in fake_slack.replies(root))
    assert answered["payload"]["response_type"] == "ephemeral"
    assert "decision spread_widening: hold" in answered["payload"]["text"]


def test_slash_status_lists_each_stored_thesis_state(desk):
    from signalflow.store.engine_state import EngineState

    with desk.store.session() as session:
        desk.store.save_engine_state(
            session, EngineState("liquidity_regime", evaluated_at=T0), {"state": "soft_warning", "quadrant": "goldilocks"}
        )
    body = slack_user.slash(STRANGER, "status")
    _, answer = slack_user.post(f"{desk.url}/slack/commands", body, slack_user.signed(body))
    assert json.loads(answer)["text"] == "• `liquidity_regime`: soft_warning, goldilocks (evaluated 2025-05-01 12:00 UTC)"
