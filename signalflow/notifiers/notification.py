"""The notification value: everything a notifier shows, already decided and formatted.

It is built once when an alert changes (``alerts/message.py``), stored as JSON in the
outbox, and read back by the delivery worker, so a message delivered after a restart is the
same message that was decided before it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from signalflow.store.enums import Kind, Severity


@dataclass(frozen=True)
class InputLine:
    """One input of the rule as known at the evaluated instant."""

    ref: str
    value: float | None
    unit: str = ""
    threshold: str = ""  # e.g. '> 5' when the rule compares this input with a number
    period: str = ""  # '2025-01-01' or '2025-01-01..2025-03-31'
    known_at: str = ""  # ISO instant the value became known
    source_ref: str = ""
    url: str = ""  # a page for the source: SEC filing index, FRED series page
    stale: bool = False
    basis: str = ""  # how known_at was found: a KnownAtBasis value ('' unknown)
    published: str = ""  # the same in the publisher's words: 'published 2010-01-25 16:31 ET, accession …'

    @property
    def known(self) -> str:
        """When the value became known, with how that instant was found unless it was
        reported by the source: '2025-04-02T00:00:00 (assumed)'."""
        if not self.known_at:
            return ""
        return f"{self.known_at} ({self.basis})" if self.basis not in ("", "reported") else self.known_at

    @property
    def known_text(self) -> str:
        """:attr:`known`, then how the publisher released it when that is known."""
        return f"{self.known}; {self.published}" if self.published else self.known


@dataclass(frozen=True)
class StoryLine:
    """A news story behind an input's value, as known at the evaluated instant. The title
    comes from a feed: notifiers show it as text, never as markup."""

    ref: str  # the input it stands behind: 'news.deployment_delay[MSFT]'
    known_at: str  # ISO instant the story was first seen
    title: str
    outlets: int  # distinct outlets that had carried it by then
    url: str  # the first outlet's page
    story: str = ""  # its id, as ``signalflow news --json`` lists it

    @property
    def first_seen(self) -> str:
        """'2025-03-04 10:00' (UTC, to the minute)."""
        return self.known_at.replace("T", " ")[:16]

    @property
    def outlets_text(self) -> str:
        """'1 outlet', '2 outlets'."""
        return f"{self.outlets} outlet{'' if self.outlets == 1 else 's'}"

    @property
    def text(self) -> str:
        """'2025-03-04 10:00 UTC  Microsoft delays … (2 outlets)'."""
        return f"{self.first_seen} UTC  {self.title} ({self.outlets_text})"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class DigestEntry:
    """One alert still firing, as a reminder digest lists it."""

    alert_key: str  # thesis/rule/episode
    thesis: str
    title: str
    rule: str
    severity: Severity
    fired_at: datetime
    summary: str = ""
    inputs: tuple[InputLine, ...] = ()  # the latest values, each with its period and known_at
    decision: str = ""  # '' when never acknowledged; else the decision that no longer silences it
    plan: str = ""  # what the thesis's tranche plan says to do on this severity
    channel: str = ""  # the alert's thread on this route, when its first message was delivered
    ts: str = ""
    stories: tuple[StoryLine, ...] = ()  # news stories behind the latest values, newest first

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def severity_label(self) -> str:
        return self.severity.label

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fired_at"] = self.fired_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestEntry:
        values = _known(cls, data)
        values["fired_at"] = datetime.fromisoformat(values["fired_at"])
        values["inputs"] = tuple(InputLine(**_known(InputLine, i)) for i in values.get("inputs", ()))
        values["stories"] = tuple(StoryLine(**_known(StoryLine, i)) for i in values.get("stories", ()))
        return cls(**values)


@dataclass(frozen=True)
class Notification:
    """One message about one alert (or a test message)."""

    key: str  # the outbox dedup key: unique per message and route
    alert_key: str  # thesis/rule/episode
    kind: Kind
    severity: Severity
    thesis: str
    title: str
    rule: str
    at: datetime
    summary: str = ""
    why: str = ""
    cause: str = ""  # what made the rule change state: a new period, a revision (old -> new), time, an edit
    expression: str = ""
    state: str = ""  # the thesis state: ok | soft_warning | kill_switch
    quadrant: str = ""
    growth: bool | None = None
    liquidity: bool | None = None
    fired_at: datetime | None = None
    inputs: tuple[InputLine, ...] = ()
    stories: tuple[StoryLine, ...] = ()  # news stories behind the inputs, newest first
    links: tuple[Link, ...] = ()
    position: tuple[tuple[str, str], ...] = ()
    firing: tuple[str, ...] = ()  # every rule of the thesis firing at `at`
    note: str = ""  # the last decision, or why a reminder re-armed
    plan: str = ""  # what the thesis's tranche plan says to do on this severity ('' without a plan)
    chart_path: str = ""
    channel: str = ""  # route override: Slack channel
    recipients: tuple[str, ...] = ()  # route override: email recipients
    url: str = ""  # route override: webhook URL
    digest: tuple[DigestEntry, ...] = ()  # Kind.DIGEST: the alerts still firing on the route

    def __post_init__(self) -> None:
        # Built from the engine's strings as well as from members: hold members either way.
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))

    @property
    def severity_label(self) -> str:
        return self.severity.label

    @property
    def headline(self) -> str:
        if self.kind is Kind.DIGEST:
            return self.title
        prefix = {
            Kind.RESOLVED: "Resolved",
            Kind.REMINDER: "Still firing",
            Kind.ESCALATED: "Escalated",
            Kind.REARMED: "Re-armed",
            Kind.TEST: "Test",
            Kind.MISSED: "Missed while down",
            Kind.CASCADE: "Cascade",
            Kind.ADD: "Plan add",
        }.get(self.kind, "")
        text = f"{self.severity_label}: {self.title}"
        return f"{prefix} — {text}" if prefix else text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["at"] = self.at.isoformat()
        data["fired_at"] = self.fired_at.isoformat() if self.fired_at else None
        data["digest"] = [entry.to_dict() for entry in self.digest]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=_plain)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        values = _known(cls, data)
        values["kind"] = Kind(values["kind"])
        values["at"] = datetime.fromisoformat(values["at"])
        fired = values.get("fired_at")
        values["fired_at"] = datetime.fromisoformat(fired) if fired else None
        values["inputs"] = tuple(InputLine(**_known(InputLine, i)) for i in values.get("inputs", ()))
        values["stories"] = tuple(StoryLine(**_known(StoryLine, i)) for i in values.get("stories", ()))
        values["links"] = tuple(Link(**_known(Link, i)) for i in values.get("links", ()))
        values["position"] = tuple(tuple(p) for p in values.get("position", ()))
        for name in ("firing", "recipients"):
            values[name] = tuple(values.get(name, ()))
        values["digest"] = tuple(DigestEntry.from_dict(e) for e in values.get("digest", ()))
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Notification:
        return cls.from_dict(json.loads(text))


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``cls`` in ``data``: a message a newer version queued, with fields this
    version does not know, is still read (and shown without them) rather than refused."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _plain(value: Any) -> Any:
    """numpy scalars (a bool or float from the engine's arrays) as the Python values they hold."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
