"""Block Kit for an alert, built with ``slack_sdk.models.blocks``."""

from __future__ import annotations

import json
import logging

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from signalflow.errors import DeliveryError
from signalflow.notifiers.base import describe
from signalflow.notifiers.notification import DigestEntry, InputLine, Kind, Notification, StoryLine
from signalflow.notifiers.slack_text import HEADER_LIMIT, MESSAGE_LIMIT, SECTION_LIMIT, fit, fit_lines, fitting, more

log = logging.getLogger(__name__)
EMOJI = {"kill_switch": ":rotating_light:", "soft_warning": ":warning:", "info": ":information_source:"}
MAX_INPUTS = 12  # Slack allows 50 blocks; the rest of the message needs about a dozen
MAX_DIGEST_ENTRIES = 45  # one section each, within Slack's 50 blocks
INPUTS = ("input", "inputs")
STORIES = ("story", "stories")
LINKS = ("link", "links")
ALERTS = ("alert", "alerts")
MAX_LINKS = 5  # a thesis's links in an alert's footer
VALUE_LIMIT = 2000  # Slack's limit for a button's value
ACTIONS_BLOCK = "signalflow_decide"
DECISIONS = ("hold", "trim", "exit", "ignore")
EXPLAIN = "explain"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "unknown")


def escape(text: str) -> str:
    """Feed text as literal mrkdwn: no links, mentions (``<!channel>``) or entities of its own."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    """``<url|label>`` for an http(s) URL from a feed, else the label alone."""
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return escape(label)
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def story_text(line: StoryLine) -> str:
    """'• 2025-03-04 10:00 UTC <url|title> (2 outlets)', the title escaped."""
    return f"• {line.first_seen} UTC {_link(line.url, line.title)} ({line.outlets_text})"


def stories_text(n: Notification) -> str:
    """The news stories behind the inputs, one line each, as many as fit in a section ('' without any)."""
    if not n.stories:
        return ""
    return fit_lines(["*Stories behind the value*"], [story_text(line) for line in n.stories], SECTION_LIMIT, STORIES)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=fit(text, SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=fit(text, SECTION_LIMIT))])


def input_text(line: InputLine) -> str:
    value = describe(line.value)
    if line.unit:
        value += f" {line.unit}"
    parts = [f"*{line.ref}*: {value}"]
    if line.threshold:
        parts.append(f"(threshold {line.threshold})")
    if line.stale:
        parts.append("_stale_")
    detail = []
    if line.period:
        detail.append(f"period {line.period}")
    if line.known_at:
        detail.append(f"known {line.known}")
        if line.published:
            detail.append(line.published)
    if line.url:  # a source_ref may quote a feed's own text: escaped, never markup
        detail.append(_link(line.url, line.source_ref or "source"))
    elif line.source_ref:
        detail.append(escape(line.source_ref))
    text = " ".join(parts)
    return f"{text}\n{' · '.join(detail)}" if detail else text


def blocks_for(n: Notification, links: dict[str, str] | None = None, interactive: bool = False) -> list[Block]:
    """Header (severity and thesis title), rule summary, inputs, quadrant, checklist, links;
    for a digest, one section per alert (``links``: alert key -> its thread's permalink).
    ``interactive`` adds the decision buttons (an alert's root message, not a resolve)."""
    if n.kind is Kind.DIGEST:
        return digest_blocks(n, links or {})
    emoji = ":white_check_mark:" if n.kind is Kind.RESOLVED else EMOJI.get(n.severity, "")
    blocks: list[Block] = [HeaderBlock(text=fit(f"{emoji} {n.headline}".strip(), HEADER_LIMIT))]
    rule_text = f"*{n.rule}* — {n.summary}"
    if n.expression:
        rule_text += f"\n`{n.expression}`"
    if n.why:
        rule_text += f"\n{n.why}"
    if n.cause:
        rule_text += f"\nBecause {n.cause}"
    blocks.append(_section(rule_text))
    blocks += [_section(input_text(line)) for line in n.inputs[:MAX_INPUTS]]
    if len(n.inputs) > MAX_INPUTS:
        blocks.append(_context(more(len(n.inputs) - MAX_INPUTS, INPUTS)))
    if n.stories:
        blocks.append(_section(stories_text(n)))
    blocks.append(
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Growth × Liquidity*\n{n.quadrant or 'unknown'}"),
                MarkdownTextObject(text=f"*Thesis state*\n{n.state or 'unknown'}"),
                MarkdownTextObject(text=f"*Growth*\n{_yes_no(n.growth)}"),
                MarkdownTextObject(text=f"*Liquidity*\n{_yes_no(n.liquidity)}"),
            ]
        )
    )
    if n.plan:
        blocks.append(_section(f"*Plan*: {n.plan}"))
    if n.position:
        checklist = "\n".join(f"• {k.replace('_', ' ')}: {v}" for k, v in n.position)
        blocks.append(_section(f"*Position checklist*\n{checklist}"))
    if n.note:
        blocks.append(_context(f"Decision: {n.note}"))
    blocks.append(DividerBlock())
    head = [f"thesis `{n.thesis}`", f"at {n.at:%Y-%m-%d %H:%M} UTC"]
    if n.fired_at:
        head.append(f"firing since {n.fired_at:%Y-%m-%d %H:%M}")
    blocks.append(_context(_footer(head, [_link(link.url, link.label) for link in n.links])))
    if interactive and n.kind is not Kind.RESOLVED:
        try:
            blocks.append(decision_buttons(n))
        except DeliveryError as exc:  # the alert itself still goes out, without its buttons
            log.warning("%s", exc)
            blocks.append(_context("No decision buttons: decide with `signalflow ack`."))
    return blocks


def _footer(head: list[str], links: list[str]) -> str:
    """'thesis `x` · at … UTC · <url|label> · … and 2 more links': the first links, whole."""

    def shown(kept: int) -> str:
        left = [more(len(links) - kept, LINKS)] if kept < len(links) else []
        return " · ".join([*head, *links[:kept], *left])

    return shown(fitting(shown, len(links), SECTION_LIMIT, most=MAX_LINKS))


def button_value(n: Notification) -> str:
    """What the decision buttons carry: the ids of the thesis, rule and alert, as compact
    JSON: a few hundred characters for ids as the store keeps them (100 characters each).
    A value over Slack's 2000 characters is refused, never cut into broken JSON."""
    value = json.dumps({"thesis": n.thesis, "rule": n.rule, "alert": n.alert_key}, separators=(",", ":"), ensure_ascii=False)
    if len(value) > VALUE_LIMIT:
        raise DeliveryError(
            "slack", f"the ids of alert {n.alert_key[:100]!r} take {len(value)} characters, over a button's {VALUE_LIMIT}",
            permanent=True,
        )
    return value


def decision_buttons(n: Notification) -> ActionsBlock:
    """Hold, Trim, Exit, Ignore (each opens the decision modal) and Explain; every button's
    value names the thesis, rule and alert it is about (:func:`button_value`)."""
    value = button_value(n)
    buttons = [
        ButtonElement(text=choice.title(), action_id=f"signalflow_{choice}", value=value,
                      style="danger" if choice == "exit" else None)
        for choice in DECISIONS
    ]
    buttons.append(ButtonElement(text="Explain", action_id=f"signalflow_{EXPLAIN}", value=value))
    return ActionsBlock(block_id=ACTIONS_BLOCK, elements=buttons)


def digest_blocks(n: Notification, links: dict[str, str]) -> list[Block]:
    """The digest: a header, then per alert its severity, thesis, rule, since when, latest
    values, decision and a link to its thread."""
    blocks: list[Block] = [HeaderBlock(text=fit(f":bell: {n.headline}", HEADER_LIMIT))]
    shown = n.digest[:MAX_DIGEST_ENTRIES]
    for entry in shown:
        blocks.append(_section(digest_text(entry, links)))
    blocks.append(DividerBlock())
    blocks.append(_context(_digest_footer(n, [escape(f"{e.thesis}/{e.rule}") for e in n.digest[len(shown):]])))
    return blocks


def _digest_footer(n: Notification, rest: list[str]) -> str:
    """'at … UTC · 60 more: a/r, b/r, … and 58 more alerts · note': the alerts without a
    section of their own, by whole names, as many as fit."""
    note = [f"{n.note} (see `signalflow journal`)"] if n.note else []

    def shown(kept: int) -> str:
        names = rest[:kept] + ([more(len(rest) - kept, ALERTS)] if kept < len(rest) else [])
        listed = [f"{len(rest)} more: " + ", ".join(names)] if rest else []
        return " · ".join([f"at {n.at:%Y-%m-%d %H:%M} UTC", *listed, *note])

    return shown(fitting(shown, len(rest), SECTION_LIMIT))


def digest_text(entry: DigestEntry, links: dict[str, str]) -> str:
    emoji = EMOJI.get(entry.severity, "")
    lines = [f"{emoji} *{entry.severity_label} · {entry.title}* — `{entry.thesis}` / *{entry.rule}*".strip()]
    if entry.summary:
        lines.append(entry.summary)
    since = f"firing since {entry.fired_at:%Y-%m-%d %H:%M} UTC"
    if entry.alert_key in links:
        since += f" · <{links[entry.alert_key]}|thread>"
    elif entry.ts:
        since += f" · thread {entry.channel} {entry.ts}"
    lines.append(since)
    values = [f"• {input_text(line).replace(chr(10), ' · ')}" for line in entry.inputs]
    values += [story_text(line) for line in entry.stories]
    tail = [f"*Plan*: {entry.plan}"] if entry.plan else []
    tail.append(f"_Decision: {entry.decision}_" if entry.decision else "_Not acknowledged_")
    return fit_lines(lines, values, SECTION_LIMIT, ("input or story", "inputs and stories"), tail)


def fallback_text(n: Notification) -> str:
    """The plain text shown in notifications and by clients without Block Kit: the headline,
    then the stories behind the values as the sections show them (a digest's under each
    alert's name), as many as fit."""
    if n.kind is Kind.DIGEST:
        news = [
            "\n".join([f"{e.thesis}/{e.rule}:", *(story_text(line) for line in e.stories)])
            for e in n.digest
            if e.stories
        ]
        return fit_lines([f"{n.headline} — {n.summary}"], news, MESSAGE_LIMIT, ("alert", "alerts"))
    plan = f" — Plan: {n.plan}" if n.plan else ""
    head = f"{n.headline} — {n.rule}: {n.summary}{plan}"
    return fit_lines([head], [story_text(line) for line in n.stories], MESSAGE_LIMIT, STORIES)
