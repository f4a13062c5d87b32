"""Slack texts cut to Slack's limits stay valid mrkdwn: no cut inside a link or an entity,
a visible "…", and a list says how many of its items it left out. Messages go through the
local Slack server, which refuses a section or context text over 3000 characters as Slack does."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

import pytest

from fakes.slack_server import TOKEN
from signalflow.notifiers.notification import DigestEntry, InputLine, Kind, Notification, StoryLine
from signalflow.notifiers.slack import SlackNotifier
from signalflow.notifiers.slack_blocks import MAX_INPUTS, blocks_for, digest_text, fallback_text, story_text
from signalflow.notifiers.slack_text import MARKER, fit, fit_lines

AT = datetime(2025, 3, 12, 9, 0)
CHANNEL = "C0TEXT"
LINK = "<https://reuters.test/a?b=1&amp;c=2|Ohio &amp; Texas &lt;delays&gt;>"
ENTITY = "&amp;"


def assert_valid(text: str, limit: int) -> None:
    """Within the limit, every `<` closed by its `>`, every `&` a whole entity."""
    assert len(text) <= limit, len(text)
    outside = re.sub(r"<[^<>]*>", "", text)
    assert "<" not in outside and ">" not in outside, text[-80:]
    assert re.search(r"&(?!(amp|lt|gt);)", text) is None, text[-80:]


def _cut_inside(before: str, atom: str, offset: int) -> tuple[str, int]:
    """A text with ``atom`` after ``before`` and a limit whose cut (one less, for the marker)
    falls ``offset`` characters into the atom."""
    return f"{before}{atom} and more text after it", len(before) + offset + len(MARKER)


CASES = [
    pytest.param(*_cut_inside("x" * 40 + " ", LINK, 1), "x" * 40, id="just inside a link's <"),
    pytest.param(*_cut_inside("x" * 40 + " ", LINK, 20), "x" * 40, id="inside a link's url"),
    pytest.param(*_cut_inside("x" * 40 + " ", LINK, LINK.index("&amp; Texas") + 2), "x" * 40, id="inside an entity in a link's label"),
    pytest.param(*_cut_inside("x" * 40 + " ", LINK, len(LINK) - 1), "x" * 40, id="just before a link's >"),
    pytest.param(*_cut_inside("x" * 40 + " ", LINK, len(LINK)), "x" * 40 + " " + LINK, id="just after a link"),
    pytest.param(*_cut_inside("Ohio ", ENTITY, 1), "Ohio", id="just inside an entity"),
    pytest.param(*_cut_inside("Ohio ", ENTITY, 4), "Ohio", id="before an entity's ;"),
    pytest.param(*_cut_inside("Ohio ", "&lt;!channel&gt;", 14), "Ohio &lt;!channel", id="inside the second of two entities"),
    pytest.param("y" * 3000, 3000, "y" * 3000, id="exactly at the limit"),
    pytest.param("y" * 3001, 3000, "y" * 2999, id="one over the limit"),
    pytest.param((LINK + " ") * 2000, 3000, None, id="far over, links all along"),
    pytest.param(("&lt;b&gt; " + LINK) * 500, 3000, None, id="far over, entities and links"),
    pytest.param(LINK * 3, len(LINK) // 2, "", id="a limit shorter than the first link"),
]


@pytest.mark.parametrize(("text", "limit", "kept"), CASES)
def test_a_cut_never_breaks_a_link_or_an_entity(text: str, limit: int, kept: str | None) -> None:
    cut = fit(text, limit)
    assert_valid(cut, limit)
    if len(text) <= limit:
        assert cut == text
        return
    assert cut.endswith(MARKER) and text.startswith(cut[: -len(MARKER)])
    if kept is not None:
        assert cut == kept + MARKER


def test_every_limit_over_a_text_of_links_and_entities_gives_valid_mrkdwn() -> None:
    text = f"Stories {LINK} &amp; {LINK}, then &lt;!channel&gt; &amp; the rest"
    for limit in range(1, len(text) + 2):
        cut = fit(text, limit)
        assert_valid(cut, limit)
        assert cut == text or cut.endswith(MARKER)


def story(i: int, title: str = "Microsoft delays 300 MW data center & more <x>", outlets: int = 2) -> StoryLine:
    return StoryLine("news.deployment_delay[MSFT]", f"2025-03-{i + 1:02d}T10:00:00", title, outlets, f"https://reuters.test/{i}")


LINES = [story_text(story(i, "A long title &amp; " * 20)) for i in range(10)]


@pytest.mark.parametrize(
    ("limit", "shown", "marker"),
    [
        (len("\n".join(["Head", *LINES])), 10, None),
        (len("\n".join(["Head", *LINES])) - 1, 9, "… and 1 more story"),
        (len("\n".join(["Head", *LINES[:3], "… and 7 more stories"])), 3, "… and 7 more stories"),
        (len("\n".join(["Head", *LINES[:3], "… and 7 more stories"])) - 1, 2, "… and 8 more stories"),
        (len(LINES[0]), 0, "… and 10 more stories"),
    ],
)
def test_a_list_shows_whole_items_and_says_how_many_it_left_out(limit: int, shown: int, marker: str | None) -> None:
    text = fit_lines(["Head"], LINES, limit, ("story", "stories"))
    assert_valid(text, limit)
    assert text.split("\n") == ["Head", *LINES[:shown], *([marker] if marker else [])]


def test_a_head_too_long_for_the_limit_is_cut_itself() -> None:
    text = fit_lines([LINK * 100], LINES, 3000, ("story", "stories"), tail=["_Not acknowledged_"])
    assert_valid(text, 3000)
    assert text.endswith(MARKER)


def alert(**changes) -> Notification:
    n = Notification(
        key="delays/delays_repeat/1/firing@slack",
        alert_key="delays/delays_repeat/1",
        kind=Kind.FIRING,
        severity="soft_warning",
        thesis="delays",
        title="Delays repeat",
        rule="delays_repeat",
        at=AT,
        summary="Deployment delays repeat",
        inputs=(InputLine("news.deployment_delay[MSFT]", 2.0, threshold=">= 2"),),
        stories=(story(9, outlets=2), story(3, outlets=1)),
        plan="Hold the first tranche",
    )
    return replace(n, **changes)


def test_the_single_alert_fallback_names_each_story_first_seen_and_outlets_as_the_digest_does(fake_slack):
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    n = alert()
    slack.send(n)
    [root] = fake_slack.roots(CHANNEL)
    assert root.text.split("\n") == [
        "Soft Warning: Delays repeat — delays_repeat: Deployment delays repeat — Plan: Hold the first tranche",
        "• 2025-03-10 10:00 UTC <https://reuters.test/9|Microsoft delays 300 MW data center &amp; more &lt;x&gt;> (2 outlets)",
        "• 2025-03-04 10:00 UTC <https://reuters.test/3|Microsoft delays 300 MW data center &amp; more &lt;x&gt;> (1 outlet)",
    ]
    entry = DigestEntry(n.alert_key, n.thesis, n.title, n.rule, n.severity, AT, stories=n.stories)
    digest = fallback_text(replace(n, kind=Kind.DIGEST, title="Daily digest", digest=(entry,)))
    assert root.text.split("\n")[1:] == digest.split("\n")[2:], "one formatter for both"


def test_an_alert_with_stories_and_inputs_over_slacks_limits_is_posted_whole_items_and_counts(fake_slack):
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    long_title = "Microsoft delays a data center <in Ohio> & Texas " * 18  # 1080 characters escaped: two fit
    inputs = tuple(InputLine(f"fred.SERIES{i}", float(i), source_ref="s &amp; p " * 400) for i in range(MAX_INPUTS + 3))
    n = alert(stories=tuple(story(i, long_title) for i in range(5)), inputs=inputs, note="x" * 4000)
    slack.send(n)  # the local server refuses a section or context text over 3000 characters
    [root] = fake_slack.roots(CHANNEL)

    texts = [t["text"] for b in root.blocks for t in [b.get("text") or {}, *b.get("elements", ())] if isinstance(t.get("text"), str)]
    for text in texts:
        assert_valid(text, 3000)
    stories = next(t for t in texts if t.startswith("*Stories behind the value*"))
    assert stories.split("\n")[-1] == "… and 3 more stories" and stories.count("<https://reuters.test/") == 2
    assert "… and 3 more inputs" in texts
    assert sum(t.startswith("*fred.SERIES") and t.endswith(MARKER) for t in texts) == MAX_INPUTS
    assert_valid(root.text, 3000)
    assert root.text.endswith("… and 3 more stories") and root.text.count(" (2 outlets)") == 2


def test_a_digest_over_slacks_limits_counts_the_alerts_and_lines_it_left_out(fake_slack):
    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    long_title = "Delay &amp; more <x> " * 60
    entries = tuple(
        DigestEntry(f"t{i}/r/1", f"t{i}", "T", "r", "soft_warning", AT, stories=(story(i, long_title),)) for i in range(6)
    )
    many_inputs = tuple(InputLine(f"fred.S{i}", 1.0, source_ref="ref &amp; " * 30) for i in range(20))
    entries += (replace(entries[0], alert_key="big/r/1", thesis="big", inputs=many_inputs),)
    n = Notification(
        key="digest@slack", alert_key="", kind=Kind.DIGEST, severity="info", thesis="", title="Daily digest",
        rule="", at=AT, summary="7 alerts still firing", digest=entries,
    )  # fmt: skip
    slack.send(n)
    [root] = fake_slack.roots(CHANNEL)
    assert_valid(root.text, 3000)
    assert re.search(r"\n… and [1-6] more alerts$", root.text)
    shown = root.text.count("(2 outlets)")
    assert f"… and {7 - shown} more alerts" in root.text

    big = digest_text(entries[-1], {})
    assert_valid(big, 3000)
    assert re.search(r"\n… and \d+ more inputs and stories\n_Not acknowledged_$", big)
    assert json.dumps(root.blocks).count("more inputs and stories") == 1


def footer(blocks: list[dict]) -> str:
    """The text of the message's last context block (the footer, below the divider)."""
    return [b for b in blocks if b["type"] == "context"][-1]["elements"][0]["text"]


def test_a_thesis_s_links_are_escaped_like_story_links_and_the_footer_says_how_many_it_left_out(fake_slack):
    from signalflow.notifiers.notification import Link

    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    hostile = Link("Ohio & <Texas> filings", "https://sec.test/a?b=1&c=2|<!channel>")
    plain = [Link(f"memo {i}", f"https://memo.test/{i}") for i in range(7)]
    slack.send(alert(links=(hostile, Link("<!here>", "javascript:alert(1)"), *plain)))
    [root] = fake_slack.roots(CHANNEL)
    text = footer(root.blocks)
    assert text == (
        "thesis `delays` · at 2025-03-12 09:00 UTC"
        " · <https://sec.test/a?b=1&amp;c=2%7C&lt;!channel&gt;|Ohio &amp; &lt;Texas&gt; filings>"
        " · &lt;!here&gt;"  # not a web link: its label alone, as a story's
        " · <https://memo.test/0|memo 0> · <https://memo.test/1|memo 1> · <https://memo.test/2|memo 2>"
        " · … and 4 more links"
    )
    story_link = story_text(StoryLine("x", "2025-03-01T10:00:00", hostile.label, 1, hostile.url))
    assert "<https://sec.test/a?b=1&amp;c=2%7C&lt;!channel&gt;|Ohio &amp; &lt;Texas&gt; filings>" in story_link


def test_links_too_long_for_the_footer_are_left_out_whole_and_counted(fake_slack):
    from signalflow.notifiers.notification import Link

    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    links = tuple(Link(f"filing {i}", f"https://sec.test/{i}/" + "a&b" * 400) for i in range(4))  # 2000+ escaped
    slack.send(alert(links=links))
    [root] = fake_slack.roots(CHANNEL)
    text = footer(root.blocks)
    assert_valid(text, 3000)
    assert text.endswith(" · … and 3 more links") and text.count("<https://sec.test/") == 1
    assert "|filing 0>" in text


def test_a_digest_names_the_alerts_beyond_its_sections_whole_and_counts_the_rest(fake_slack):
    from signalflow.notifiers.slack_blocks import MAX_DIGEST_ENTRIES

    slack = SlackNotifier(TOKEN, CHANNEL, api_url=fake_slack.api_url, timeout=2)
    total = MAX_DIGEST_ENTRIES + 100
    names = [(f"thesis_{i:03d}_" + "x" * 30, "spread_widening") for i in range(total)]  # 100 x 57: over 3000
    entries = tuple(DigestEntry(f"{t}/{r}/1", t, "T", r, "soft_warning", AT) for t, r in names)
    n = Notification(
        key="digest@slack", alert_key="", kind=Kind.DIGEST, severity="info", thesis="", title="Daily digest",
        rule="", at=AT, summary=f"{total} alerts still firing", digest=entries, note="2 decisions expired",
    )  # fmt: skip
    slack.send(n)
    [root] = fake_slack.roots(CHANNEL)
    text = footer(root.blocks)
    assert_valid(text, 3000)
    head, listed, note = text.split(" · ")
    assert (head, note) == ("at 2025-03-12 09:00 UTC", "2 decisions expired (see `signalflow journal`)")
    assert listed.startswith("100 more: ")
    *shown, rest = listed.removeprefix("100 more: ").split(", ")
    left = int(re.fullmatch(r"… and (\d+) more alerts", rest).group(1))
    assert shown == [f"{t}/{r}" for t, r in names[MAX_DIGEST_ENTRIES:MAX_DIGEST_ENTRIES + len(shown)]], "whole names"
    assert len(shown) + left == 100 and len(shown) > 40
