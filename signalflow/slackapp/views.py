"""What the Slack app shows: the decision modal, what a submission says, and the texts of
``explain``, ``status`` and ``journal`` for a thread or an ephemeral answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from signalflow.errors import DecisionRefused
from signalflow.notifiers.notification import StoryLine
from signalflow.notifiers.slack_blocks import story_text
from signalflow.notifiers.slack_text import SECTION_LIMIT, fit
from signalflow.store.enums import Decision

MODAL = "signalflow_decision"
DECIDED_BLOCK = "signalflow_decided"


@dataclass(frozen=True)
class Target:
    """The alert a button is on: its thesis, rule and alert key, and the root message."""

    thesis: str
    rule: str
    alert: str
    channel: str
    ts: str

    @classmethod
    def from_action(cls, body: dict[str, Any]) -> Target:
        action = body["actions"][0]
        value = json.loads(action.get("value") or "{}")
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
        ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
        return cls(value.get("thesis", ""), value.get("rule", ""), value.get("alert", ""), channel, ts)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"))


@dataclass(frozen=True)
class Submission:
    """A filled decision modal."""

    target: Target
    user: str
    decision: str
    note: str
    until: datetime | None
    unless: str

    @classmethod
    def from_view(cls, body: dict[str, Any]) -> Submission:
        view = body["view"]
        values = view["state"]["values"]

        def element(block: str) -> dict[str, Any]:
            return next(iter(values.get(block, {}).values()), {})

        def value(block: str) -> str:
            found = element(block)
            if found.get("type") == "static_select":
                return (found.get("selected_option") or {}).get("value", "")
            return found.get("value") or ""

        return cls(
            Target(**json.loads(view["private_metadata"])),
            body["user"]["id"],
            value("decision"),
            value("note").strip(),
            _until(element("until")),
            value("unless").strip(),
        )

    def choice(self) -> Decision:
        try:
            return Decision(self.decision)
        except ValueError:
            raise DecisionRefused("decision", "choose hold, trim, exit or ignore") from None

    def key(self) -> str:
        """Stable across Slack's retries, a double submit and a second modal filled alike."""
        what = json.dumps([self.decision, self.note, str(self.until or ""), self.unless])
        digest = hashlib.sha256(what.encode()).hexdigest()[:24]
        return f"decision:{self.target.channel}:{self.target.ts}:{self.user}:{digest}"

    def text(self) -> str:
        target = f"{self.target.thesis}/{self.target.rule}" if self.target.rule else self.target.thesis
        lines = [f":white_check_mark: <@{self.user}> decided *{self.decision}* on `{target}`: {self.note}"]
        if self.until:
            lines.append(f"re-arms at {self.until:%Y-%m-%d %H:%M} UTC")
        if self.unless:
            lines.append(f"re-arms when `{self.unless}`")
        return _cut("\n".join(lines))


def decision_modal(target: Target, decision: str) -> dict[str, Any]:
    """The modal a decision button opens: decision (preset), note (required), re-arm instant
    and re-arm condition (optional); ``private_metadata`` carries the alert it is about."""
    options = [
        {"text": {"type": "plain_text", "text": d.title()}, "value": d} for d in ("hold", "trim", "exit", "ignore")
    ]
    initial = next((o for o in options if o["value"] == decision), options[0])
    return {
        "type": "modal",
        "callback_id": MODAL,
        "private_metadata": target.to_json(),
        "title": {"type": "plain_text", "text": "Decide"},
        "submit": {"type": "plain_text", "text": "Record"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"`{target.thesis}` / *{target.rule}*")}},
            {
                "type": "input",
                "block_id": "decision",
                "label": {"type": "plain_text", "text": "Decision"},
                "element": {"type": "static_select", "action_id": "value", "options": options, "initial_option": initial},
            },
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Why (kept in the journal)"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
            {
                "type": "input",
                "block_id": "until",
                "optional": True,
                "label": {"type": "plain_text", "text": "Re-arm at"},
                "hint": {"type": "plain_text", "text": "a date and time in your own time zone"},
                "element": {"type": "datetimepicker", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "unless",
                "optional": True,
                "label": {"type": "plain_text", "text": "Re-arm when (thesis language)"},
                "hint": {"type": "plain_text", "text": "e.g. fred.BAMLH0A0HYM2 > 7"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
        ],
    }


def decided_root(blocks: list[dict], submission: Submission) -> list[dict]:
    """The root's blocks with the latest decision shown above its buttons."""
    kept = [b for b in blocks if b.get("block_id") != DECIDED_BLOCK]
    line = {
        "type": "context",
        "block_id": DECIDED_BLOCK,
        "elements": [{"type": "mrkdwn", "text": _cut(submission.text())}],
    }
    at = next((i for i, b in enumerate(kept) if b.get("type") == "actions"), len(kept))
    return kept[:at] + [line] + kept[at:]


def explain_text(status, stories: dict[tuple[str, str], tuple[StoryLine, ...]] | None = None) -> str:
    """``signalflow explain`` as Slack text: the thesis state, then each rule and its inputs,
    each input with the news stories behind its value (``stories``: (rule, input) -> lines,
    as :func:`signalflow.alerts.message.explained_stories` finds them; titles escaped)."""
    lines = [f"*{status.thesis}* at {status.at}: {status.state.value} (since {status.since}), quadrant {status.quadrant.value}"]
    if status.because:
        lines.append(status.because)
    for rule in status.rules:
        lines.append(f"• [{rule.severity}] *{rule.name}*: {rule.state.value} — `{rule.expression}`")
        lines.append(f"   why: {rule.why}")
        for i in rule.inputs:
            value = i.value if i.value is not None else "unknown"
            threshold = f" (threshold {i.threshold})" if i.threshold else ""
            lines.append(f"   {i.ref} = {value} {i.unit}{threshold}, known {i.known_at}".rstrip())
            lines += [f"      {story_text(line)}" for line in (stories or {}).get((rule.name, i.ref), ())]
    return _cut("\n".join(lines))


def status_text(states: dict[str, tuple[Any, dict]]) -> str:
    if not states:
        return "No thesis has been evaluated yet."
    lines = []
    for thesis, (state, status) in sorted(states.items()):
        when = f"{state.evaluated_at:%Y-%m-%d %H:%M}" if state.evaluated_at else "never"
        lines.append(f"• `{thesis}`: {status.get('state', 'unknown')}, {status.get('quadrant', 'unknown')} (evaluated {when} UTC)")
    return _cut("\n".join(lines))


def journal_text(entries) -> str:
    if not entries:
        return "Nothing in the journal."
    lines = [f"• {e.at:%Y-%m-%d %H:%M} {e.entry} {e.rule}: {e.what} {e.state} {e.detail}".rstrip() for e in entries[-40:]]
    return _cut("\n".join(lines))


def _until(element: dict[str, Any]) -> datetime | None:
    """The re-arm instant, naive UTC: a ``datetimepicker``'s Unix time (picked in the user's
    own time zone), or 00:00 UTC of a ``datepicker``'s day (a modal opened before the
    datetimepicker, read as it always was)."""
    if element.get("type") == "datepicker":
        day = element.get("selected_date")
        if not day:
            return None
        d = date.fromisoformat(day)
        return datetime(d.year, d.month, d.day)
    stamp = element.get("selected_date_time")
    if stamp is None:
        return None
    return datetime.fromtimestamp(int(stamp), timezone.utc).replace(tzinfo=None)


def _cut(text: str) -> str:
    return fit(text, SECTION_LIMIT)  # a section's limit: what these texts are shown in
