"""Alerts on news rules name the stories behind the value: first seen, title, outlets and
URL, as known at the evaluated instant, in every notifier and in ``explain``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import yaml
from sqlmodel import select

from signalflow.notifiers.console import render
from signalflow.notifiers.email import compose
from signalflow.notifiers.notification import Kind, Notification
from signalflow.notifiers.slack_blocks import blocks_for, fallback_text
from signalflow.settings import Route, Settings
from signalflow.store.models import OutboxRow
from signalflow.thesis.loader import read_thesis

from tests.news.test_import import cli_env  # noqa: F401 - a fixture
from tests.news.test_stories import collect, feed

OHIO = "https://reuters.test/msft-ohio"
WISCONSIN = "https://www.datacenterdynamics.test/msft-wisconsin"
FIRST = feed(("wire-1", "Microsoft delays 300 MW data center in Ohio by six months", "Tue, 04 Mar 2025 10:00:00 GMT", OHIO))
COPY = feed(
    ("agg-1", "Microsoft delays 300 MW data center in Ohio by six months - Yahoo Finance",
     "Tue, 04 Mar 2025 13:00:00 GMT", "https://finance.yahoo.test/msft-ohio"),
)  # fmt: skip
SECOND = feed(
    ("dcd-1", "Microsoft delays 500 MW data center in Wisconsin by a year &amp; more",
     "Mon, 10 Mar 2025 09:00:00 GMT", WISCONSIN),
)  # fmt: skip
LATER = feed(
    ("bb-1", "Microsoft delays 1 GW data center campus in Texas by a year", "Thu, 20 Mar 2025 09:00:00 GMT",
     "https://bloomberg.test/msft-texas"),
)  # fmt: skip
AT = datetime(2025, 3, 12)
DOC = {
    "thesis": "delays", "title": "Delays repeat", "series": {},
    "growth": {"reason": "g", "when": "1 > 0"}, "liquidity": {"reason": "l", "when": "1 > 0"},
    "soft_warning": [{"name": "delays_repeat", "when": "count(news.deployment_delay[MSFT], 30d) >= 2"}],
    "kill_switch": [{"name": "never", "when": "1 < 0"}],
}  # fmt: skip


def collect_all(http_server, store) -> None:
    state: dict[str, str] = {}
    for path, body, now in [
        ("/wire", FIRST, datetime(2025, 3, 4, 11)),
        ("/agg", COPY, datetime(2025, 3, 4, 14)),
        ("/dcd", SECOND, datetime(2025, 3, 10, 10)),
        ("/bb", LATER, datetime(2025, 3, 20, 10)),
    ]:
        store.add_batch(collect(http_server, {path: body}, state, now))


def fired(http_server, store) -> Notification:
    from signalflow import service

    collect_all(http_server, store)
    thesis, problems = read_thesis("delays.yaml", yaml.safe_dump(DOC, sort_keys=False))
    assert thesis is not None, problems
    settings = Settings(database_url="sqlite://", routes=[Route(name="desk", notifier="console")])
    service.evaluate(settings, store, [thesis], at=AT)
    with store.session() as session:
        rows = list(session.exec(select(OutboxRow)))
    assert [r.kind for r in rows] == ["firing"]
    return Notification.from_json(rows[0].payload_json)


def test_a_news_alert_lists_the_stories_behind_its_value_as_known_then(http_server, store):
    n = fired(http_server, store)
    assert n.kind is Kind.FIRING and n.inputs[0].ref == "news.deployment_delay[MSFT]"
    # Newest first; the syndicated copy is one story with two outlets; the Texas story,
    # first seen after the instant, is not named.
    assert [(s.known_at, s.outlets, s.url) for s in n.stories] == [
        ("2025-03-10T09:00:00", 1, WISCONSIN),
        ("2025-03-04T10:00:00", 2, OHIO),
    ]
    assert n.stories[1].title == "Microsoft delays 300 MW data center in Ohio by six months"
    assert all(s.ref == "news.deployment_delay[MSFT]" and s.story for s in n.stories)

    blocks = json.dumps([b.to_dict() for b in blocks_for(n)])
    assert f"<{OHIO}|Microsoft delays 300 MW data center in Ohio by six months> (2 outlets)" in blocks
    assert "by a year &amp; more>" in blocks  # feed text is escaped
    # The notification preview shows them as the digest's does: first seen, title, outlets.
    text = fallback_text(n)
    assert f"\n• 2025-03-04 10:00 UTC <{OHIO}|Microsoft delays 300 MW data center in Ohio by six months> (2 outlets)" in text
    assert f"\n• 2025-03-10 09:00 UTC <{WISCONSIN}|" in text and "by a year &amp; more> (1 outlet)" in text

    # A title or URL from a feed is literal text: no mention, link or markup of its own.
    hostile = replace(
        n, stories=(replace(n.stories[0], title="<!channel> <https://evil.test|win>", url="https://x.test/a|b>c"),)
    )
    shown = json.dumps([b.to_dict() for b in blocks_for(hostile)]) + fallback_text(hostile)
    assert "<!channel>" not in shown and "<https://evil.test" not in shown
    assert "<https://x.test/a%7Cb&gt;c|&lt;!channel&gt; &lt;https://evil.test|win&gt;>" in shown

    email = compose(n, "a@x.test", ("b@x.test",), None).get_content()
    assert "(2 outlets)" in email and OHIO in email and WISCONSIN in email

    webhook = json.loads(n.to_json())
    assert [s["url"] for s in webhook["stories"]] == [WISCONSIN, OHIO]
    assert webhook["stories"][1]["outlets"] == 2

    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(render(n))
    shown = console.export_text()
    assert "by a year & more" in shown and OHIO in shown


def test_a_resolve_names_the_stories_still_behind_the_value(http_server, store):
    from signalflow import service

    fired(http_server, store)
    thesis, _ = read_thesis("delays.yaml", yaml.safe_dump(DOC, sort_keys=False))
    settings = Settings(database_url="sqlite://", routes=[Route(name="desk", notifier="console")])
    # By 12 April the Ohio and Wisconsin stories left the 30-day window: one story, resolved.
    service.evaluate(settings, store, [thesis], at=datetime(2025, 4, 12))
    with store.session() as session:
        rows = list(session.exec(select(OutboxRow).order_by(OutboxRow.id)))
    assert [r.kind for r in rows] == ["firing", "resolved"]
    resolved = Notification.from_json(rows[1].payload_json)
    assert [(s.url, s.outlets) for s in resolved.stories] == [("https://bloomberg.test/msft-texas", 1)]


def test_explain_names_the_stories_with_the_outlets_known_at_the_instant(http_server, cli_env, tmp_path):
    from typer.testing import CliRunner

    from signalflow.cli import app
    from signalflow.store import Store

    store = Store.open(cli_env)
    try:
        collect_all(http_server, store)
    finally:
        store.close()
    rules = tmp_path / "theses"
    rules.mkdir()
    (rules / "delays.yaml").write_text(yaml.safe_dump(DOC, sort_keys=False))
    runner = CliRunner()

    def stories(at: str) -> list[dict]:
        out = runner.invoke(app, ["explain", "delays", "--as-of", at, "--rules", str(rules), "--json"])
        assert out.exit_code == 0, out.output
        (rule,) = [r for r in json.loads(out.output)["rules"] if r["name"] == "delays_repeat"]
        return rule["inputs"][0]["stories"]

    # Before the copy: one outlet. Later, both stories with the copy counted as an outlet.
    assert [(s["url"], s["outlets"]) for s in stories("2025-03-04T12:00")] == [(OHIO, 1)]
    assert [(s["url"], s["outlets"]) for s in stories("2025-03-12")] == [(WISCONSIN, 1), (OHIO, 2)]

    text = runner.invoke(app, ["explain", "delays", "--as-of", "2025-03-12", "--rules", str(rules)])
    assert text.exit_code == 0, text.output
    assert "story first seen 2025-03-04 10:00 UTC, 2 outlets" in text.output
    assert "Microsoft delays 300 MW data center in Ohio by six months" in text.output
    assert OHIO in text.output and "Texas" not in text.output


def test_a_digest_entry_for_a_news_alert_lists_its_stories_in_every_notifier(http_server, store, fake_slack):
    from datetime import timedelta

    from rich.console import Console

    from fakes.slack_server import TOKEN
    from signalflow.alerts.digest import queue_due
    from signalflow.notifiers.email import digest_lines
    from signalflow.notifiers.slack import SlackNotifier
    from signalflow.notifiers.slack_blocks import digest_text
    from signalflow.store.models import utcnow

    fired(http_server, store)
    settings = Settings(database_url="sqlite://", reminder_mode="digest", routes=[Route(name="desk", notifier="console")])
    with store.session() as session:
        [row] = queue_due(session, settings, utcnow() + timedelta(days=2))
    n = Notification.from_json(row.payload_json)
    [entry] = n.digest
    assert [(s.url, s.outlets) for s in entry.stories] == [(WISCONSIN, 1), (OHIO, 2)]

    slack = digest_text(entry, {})
    assert f"<{OHIO}|Microsoft delays 300 MW data center in Ohio by six months> (2 outlets)" in slack
    assert "by a year &amp; more>" in slack  # feed text is escaped
    hostile = replace(entry, stories=(replace(entry.stories[0], title="<!channel> <https://evil.test|win>"),))
    assert "<!channel>" not in digest_text(hostile, {}) and "&lt;!channel&gt;" in digest_text(hostile, {})

    # The plain text Slack shows in the notification names them as well, escaped alike.
    slack_settings = Settings(slack_bot_token=TOKEN, slack_channel="C0DIGEST", slack_api_url=fake_slack.api_url)
    notifier = SlackNotifier.from_settings(slack_settings)
    notifier.send(n)
    notifier.send(replace(n, key=f"{n.key}/hostile", digest=(hostile,)))
    plain, hostile_plain = [m.text for m in fake_slack.roots("C0DIGEST")]
    assert plain.startswith("Daily digest: 1 alert still firing — delays/delays_repeat\ndelays/delays_repeat:\n")
    assert f"• 2025-03-04 10:00 UTC <{OHIO}|Microsoft delays 300 MW data center in Ohio by six months> (2 outlets)" in plain
    assert f"• 2025-03-10 09:00 UTC <{WISCONSIN}|" in plain and "by a year &amp; more> (1 outlet)" in plain
    assert "<!channel>" not in hostile_plain and "<https://evil.test" not in hostile_plain
    assert "|&lt;!channel&gt; &lt;https://evil.test|win&gt;> (1 outlet)" in hostile_plain

    email = "\n".join(digest_lines(n))
    assert "(2 outlets)" in email and OHIO in email and WISCONSIN in email

    console = Console(record=True, width=250)
    console.print(render(n))
    shown = console.export_text()
    assert "by a year & more" in shown and OHIO in shown and WISCONSIN in shown
