"""SlackNotifier on its own against the local Slack Web API server: a thread per alert,
follow-ups as replies that also edit the root, reconciliation by the message's key, and the
incoming-webhook mode. (The delivery worker drives it end to end in tests/alerts.)"""

from __future__ import annotations

from datetime import datetime

import pytest

from fakes.slack_server import TOKEN, Fault
from signalflow.errors import ConfigError, DeliveryError
from signalflow.notifiers.notification import InputLine, Kind, Notification
from signalflow.notifiers.slack import SlackNotifier

AT = datetime(2025, 5, 1, 12, 0)
CHANNEL = "C0ALERTS"


def note(kind: Kind) -> Notification:
    return Notification(
        key=f"liquidity_regime/spread_widening/1/{kind.value}@slack",
        alert_key="liquidity_regime/spread_widening/1",
        kind=kind,
        severity="soft_warning",
        thesis="liquidity_regime",
        title="Liquidity regime",
        rule="spread_widening",
        at=AT,
        summary="High-yield spreads widen",
        inputs=(InputLine("fred.BAMLH0A0HYM2", 5.6, "percent", "> 5", "2025-04-01", "2025-04-02T00:00:00"),),
    )


def test_an_alert_opens_a_thread_and_its_follow_up_replies_in_it(fake_slack):
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    assert slack.threaded
    root = slack.send(note(Kind.FIRING))
    reply = slack.send_all(note(Kind.RESOLVED), thread=root)  # the reply, then the root's edit

    [message] = fake_slack.roots(CHANNEL)
    assert (root.notifier, root.channel, root.ts) == ("slack", CHANNEL, message.ts)
    assert [r.ts for r in fake_slack.replies(message)] == [reply.ts]
    assert reply.thread_ts == root.ts
    assert message.edits, "a follow-up edits the root to show the current state"
    assert fake_slack.keys() == [note(Kind.FIRING).key, note(Kind.RESOLVED).key]


def test_reconcile_finds_a_message_that_arrived_and_none_that_did_not(fake_slack):
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    assert slack.reconcile(note(Kind.FIRING)) is None
    sent = slack.send(note(Kind.FIRING))
    assert slack.reconcile(note(Kind.FIRING)) == sent


def test_an_api_refusal_is_a_delivery_error(fake_slack):
    fake_slack.fail("chat.postMessage", Fault(error="channel_not_found"))
    with pytest.raises(DeliveryError, match="channel_not_found"):
        SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2).send(note(Kind.FIRING))


def test_the_incoming_webhook_mode_posts_without_threads(fake_slack):
    slack = SlackNotifier(webhook_url=f"{fake_slack.url}/webhook", timeout=2)
    assert not slack.threaded
    slack.send(note(Kind.FIRING))
    [post] = fake_slack.webhook_posts
    assert "Liquidity regime" in str(post)


def test_it_needs_a_token_or_a_webhook():
    with pytest.raises(ConfigError):
        SlackNotifier()


@pytest.mark.parametrize("interactive", [True, False])
def test_decision_buttons_only_when_interactivity_is_configured(fake_slack, monkeypatch, interactive):
    from signalflow.settings import Settings

    monkeypatch.setenv("SIGNALFLOW_SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SIGNALFLOW_SLACK_CHANNEL", CHANNEL)
    monkeypatch.setenv("SIGNALFLOW_SLACK_API_URL", fake_slack.api_url)
    if interactive:
        monkeypatch.setenv("SIGNALFLOW_SLACK_SIGNING_SECRET", "s3cret")
    slack = SlackNotifier.from_settings(Settings())
    root = slack.send(note(Kind.FIRING))
    slack.send_all(note(Kind.REMINDER), thread=root)

    [message] = fake_slack.roots(CHANNEL)
    actions = [b for b in message.blocks if b["type"] == "actions"]
    edited = [b for b in message.edits[-1]["blocks"] if b["type"] == "actions"]
    if not interactive:
        assert actions == edited == []
        return
    [block] = actions
    assert [e["action_id"] for e in block["elements"]] == [
        "signalflow_hold", "signalflow_trim", "signalflow_exit", "signalflow_ignore", "signalflow_explain"
    ]
    assert {e["value"] for e in block["elements"]} == {
        '{"thesis":"liquidity_regime","rule":"spread_widening","alert":"liquidity_regime/spread_widening/1"}'
    }
    assert len(edited) == 1, "the root keeps its buttons when a follow-up edits it"


@pytest.mark.parametrize("url", ["", "https://example.test/item"])
def test_an_input_source_quoted_from_a_feed_is_text_not_markup(url: str) -> None:
    """A news input's source_ref carries the feed's own id and outlet: `<!channel>` or a
    link of its own in it must reach Slack as literal text."""
    from signalflow.notifiers.slack_blocks import input_text

    hostile = "<!channel> <https://evil.test|click> @datacenterdynamics.test"
    text = input_text(InputLine("news.deployment_delay[MSFT]", 2.0, source_ref=hostile, url=url))
    assert "<!channel>" not in text and "<https://evil.test" not in text
    assert "&lt;!channel&gt;" in text
    if url:
        assert text.count("<https://example.test/item|") == 1


def test_a_button_value_is_whole_json_of_ids_and_refused_never_cut_when_over_slacks_limit(fake_slack, caplog):
    import json
    from dataclasses import replace

    from signalflow.notifiers.slack_blocks import VALUE_LIMIT, button_value

    # The longest ids the store keeps (100 characters each), quotes and all: well within the limit.
    longest = replace(note(Kind.FIRING), thesis="t" * 100, rule='r"\\' * 33 + "r", alert_key=f"{'t' * 100}/{'r' * 100}/999999")
    value = button_value(longest)
    assert len(value) < VALUE_LIMIT / 2
    assert json.loads(value) == {"thesis": longest.thesis, "rule": longest.rule, "alert": longest.alert_key}

    huge = replace(note(Kind.FIRING), rule="r" * 2500, alert_key=f"liquidity_regime/{'r' * 2500}/1")
    with pytest.raises(DeliveryError, match="over a button's 2000"):
        button_value(huge)
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2, interactive=True)
    slack.send(huge)  # the alert itself goes out, without buttons
    [message] = fake_slack.roots(CHANNEL)
    assert [b for b in message.blocks if b["type"] == "actions"] == []
    last = message.blocks[-1]
    assert last["type"] == "context" and "decide with `signalflow ack`" in last["elements"][0]["text"]
    assert "over a button's 2000" in caplog.text
