"""The closed sets the store keeps in its text columns, one definition each.

They are ``StrEnum``s: a member *is* its string (``Severity.KILL_SWITCH == "kill_switch"``),
formats as it (``f"{severity}"`` gives ``kill_switch``) and is written to JSON as it, so
stored rows, outbox payloads and ``--json`` output hold the same strings as before the
enums existed. The store sits below the thesis engine, the notifiers and the alerts, so all
of them can share these without importing one another.
"""

from __future__ import annotations

import enum


class Severity(enum.StrEnum):
    """How bad a notification is. A thesis rule is a Soft Warning or a Kill Switch
    (:data:`RULE_SEVERITIES`); ``info`` is for the daemon's messages about itself."""

    SOFT_WARNING = "soft_warning"
    KILL_SWITCH = "kill_switch"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"kill_switch": "Kill Switch", "soft_warning": "Soft Warning", "info": "Info"}[self.value]


RULE_SEVERITIES = (Severity.SOFT_WARNING, Severity.KILL_SWITCH)


class AlertState(enum.StrEnum):
    """An alert episode: open while its rule fires, resolved once it stops."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Kind(enum.StrEnum):
    """Why a notification (an outbox row) exists."""

    FIRING = "firing"  # a rule started firing: a new alert episode
    ESCALATED = "escalated"  # a Kill Switch fired while Soft Warnings of the thesis fired
    REMINDER = "reminder"  # still firing, once per reminder interval
    REARMED = "rearmed"  # an acknowledgement expired or its `unless` became true
    RESOLVED = "resolved"  # the rule stopped firing: the episode ends
    TEST = "test"  # `signalflow notify-test`
    OPS = "ops"  # the daemon about itself: a stale source, a rejected rule edit
    DIGEST = "digest"  # once per reminder interval and route: every alert still firing there
    MISSED = "missed"  # an episode that began and ended while the daemon was down
    CASCADE = "cascade"  # the binding bottleneck layer moved to another layer
    ADD = "add"  # a tranche plan's add became due (informational, never a warning)

    @property
    def starts_thread(self) -> bool:
        return self in (Kind.FIRING, Kind.ESCALATED, Kind.TEST)


class OutboxStatus(enum.StrEnum):
    """Where an outbox row is in its delivery. ``sending`` is committed before the notifier
    is called, so a row found in it after a crash has an unknown outcome to reconcile."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self in (OutboxStatus.SENT, OutboxStatus.FAILED)


class Decision(enum.StrEnum):
    """What the owner decided about an alert (``signalflow ack``)."""

    HOLD = "hold"
    TRIM = "trim"
    EXIT = "exit"
    IGNORE = "ignore"


class DecisionState(enum.StrEnum):
    """A decision silences reminders until it re-arms (its date passed or ``unless`` held)."""

    ACTIVE = "active"
    REARMED = "re-armed"


__all__ = ["RULE_SEVERITIES", "AlertState", "Decision", "DecisionState", "Kind", "OutboxStatus", "Severity"]
