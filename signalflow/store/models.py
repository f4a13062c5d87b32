"""The tables. Times are naive UTC; dates are periods.

Point in time is the core: an observation row is one *version* of one period of one series,
with the instant it became known. A revision is a new row; nothing is updated in place, so a
read as of T can always return exactly what was known at T.
"""

from __future__ import annotations

from datetime import date, datetime

import enum

from sqlalchemy import Column, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from signalflow.redact import redact
from signalflow.series import utcnow
from signalflow.store.enums import AlertState, Decision, Kind, OutboxStatus, Severity


def Instant(**kwargs):  # noqa: N802 - reads like a type in the table definitions
    """A naive-UTC datetime column (the whole project keeps UTC without tzinfo)."""
    return Field(sa_type=DateTime(), **kwargs)


class EnumText(TypeDecorator):
    """A ``StrEnum`` kept in a plain VARCHAR: the schema stays a string column (no database
    enum type, nothing to migrate when a member is added), rows read back as members."""

    impl = String
    cache_ok = True

    def __init__(self, members: type[enum.StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.members = members

    def process_bind_param(self, value, dialect):
        return None if value is None else self.members(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.members(value)


class RedactedText(TypeDecorator):
    """A TEXT column that never stores a secret: every known secret value (settings tokens,
    URL credentials) is replaced by ``***`` on the way in. Error messages, payloads and
    source state go through it, whichever code writes them."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value if not value else redact(value)


def Member(members: type[enum.StrEnum], **kwargs):  # noqa: N802 - reads like a type, as Instant
    """A column holding one member of ``members`` (see :class:`EnumText`)."""
    return Field(sa_type=EnumText(members), **kwargs)


class SeriesRow(SQLModel, table=True):
    __tablename__ = "series"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=200)
    source: str = Field(max_length=40)
    kind: str = Field(default="level", max_length=20)
    unit: str = Field(default="", max_length=80)
    frequency: str = Field(default="", max_length=20)
    title: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=500)
    created_at: datetime = Instant(default_factory=utcnow)
    updated_at: datetime = Instant(default_factory=utcnow)


class ObservationRow(SQLModel, table=True):
    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint(
            "series_id", "period_start", "period_end", "known_at", "source_ref", name="uq_observation_version"
        ),
        Index("ix_observation_series_known", "series_id", "known_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="series.id")
    period_start: date
    period_end: date
    value: float | None = None
    unit: str = Field(default="", max_length=80)
    known_at: datetime = Instant()
    known_at_basis: str = Field(default="reported", max_length=20)
    source_ref: str = Field(default="", max_length=300)
    collected_at: datetime = Instant(default_factory=utcnow)


class EventRow(SQLModel, table=True):
    """A news item, classified or not; kept whole so classification can be re-run."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("source", "entry_id", name="uq_event_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=100)
    entry_id: str = Field(max_length=500)
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    link: str = Field(default="", max_length=1000)
    published: datetime = Instant(index=True)
    label: str | None = Field(default=None, max_length=40, index=True)
    mw: float | None = None
    amount_usd: float | None = None
    companies: str = Field(default="", max_length=500)  # comma-separated tickers
    rule: str = Field(default="", max_length=200)
    collected_at: datetime = Instant(default_factory=utcnow)
    story: str = Field(default="", max_length=300, index=True)  # StoryRow.id; empty when unlabelled
    outlet: str = Field(default="", max_length=200)
    language: str = Field(default="en", max_length=8)
    details_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class StoryRow(SQLModel, table=True):
    """One story: the items (``EventRow.story``) about one event, counted once. The figures
    are the latest version; every version is in the ``news.*`` observation series."""

    __tablename__ = "story"

    id: str = Field(primary_key=True, max_length=300)  # the first item's entry id
    label: str = Field(max_length=40, index=True)
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    known_at: datetime = Instant(index=True)  # when its first item was published
    mw: float | None = None
    amount_usd: float | None = None
    companies: str = Field(default="", max_length=500)  # comma-separated tickers
    version: int = 1
    updated_at: datetime | None = Instant(default=None)


class SourceStateRow(SQLModel, table=True):
    """Small persistent memory of a source: ETags, Last-Modified, cursors."""

    __tablename__ = "source_state"

    source: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=500)
    value: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    updated_at: datetime = Instant(default_factory=utcnow)


class SourceHealthRow(SQLModel, table=True):
    __tablename__ = "source_health"

    source: str = Field(primary_key=True, max_length=40)
    last_attempt: datetime | None = Instant(default=None)
    last_success: datetime | None = Instant(default=None)
    consecutive_failures: int = 0
    total_failures: int = 0
    last_error: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    observations_stored: int = 0


class RuleStateRow(SQLModel, table=True):
    """The engine's memory for one thesis (``EngineState`` as JSON)."""

    __tablename__ = "rule_state"

    thesis: str = Field(primary_key=True, max_length=100)
    state_json: str = Field(sa_column=Column(Text, nullable=False))
    status_json: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Instant(default_factory=utcnow)


class AlertRow(SQLModel, table=True):
    """One alert per (thesis, rule, episode): an episode starts when a rule fires."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("thesis", "rule", "episode", name="uq_alert_episode"),)

    id: int | None = Field(default=None, primary_key=True)
    thesis: str = Field(max_length=100, index=True)
    rule: str = Field(max_length=100)
    severity: Severity = Member(Severity)
    episode: int = 1
    state: AlertState = Member(AlertState, default=AlertState.FIRING)
    fired_at: datetime = Instant()
    resolved_at: datetime | None = Instant(default=None)
    last_notified_at: datetime | None = Instant(default=None)
    summary: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    detail_json: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))


class OutboxRow(SQLModel, table=True):
    """A notification waiting for, or done with, delivery. Written in the same transaction as
    the state change that caused it; ``dedup_key`` makes a second write of it a no-op."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=300, unique=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    kind: Kind = Member(Kind)
    notifier: str = Field(max_length=40)
    route: str = Field(default="", max_length=100)
    payload_json: str = Field(sa_column=Column(RedactedText, nullable=False))
    status: OutboxStatus = Member(OutboxStatus, default=OutboxStatus.PENDING, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Instant(default_factory=utcnow)
    last_error: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    created_at: datetime = Instant(default_factory=utcnow)
    sent_at: datetime | None = Instant(default=None)
    receipt_json: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    # The deliverer working on the row (host:pid:start:nonce) and until when its claim holds.
    lease_owner: str = Field(default="", max_length=200)
    lease_until: datetime | None = Instant(default=None)


class OutboxStepRow(SQLModel, table=True):
    """One step of delivering an outbox row (Slack: the post or reply, the root's edit, the
    chart's upload), with its own outcome: a retry repeats only the steps not done."""

    __tablename__ = "outbox_step"
    __table_args__ = (UniqueConstraint("outbox_id", "name", name="uq_outbox_step"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    name: str = Field(max_length=40)
    status: OutboxStatus = Member(OutboxStatus, default=OutboxStatus.PENDING)
    attempts: int = 0
    last_error: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    receipt_json: str = Field(default="", sa_column=Column(RedactedText, nullable=False, default=""))
    updated_at: datetime = Instant(default_factory=utcnow)


class DecisionRow(SQLModel, table=True):
    """The decision journal: what the owner decided about an alert. Never deleted."""

    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    thesis: str = Field(max_length=100, index=True)
    rule: str = Field(default="", max_length=100)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
    decision: Decision = Member(Decision)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    until: datetime | None = Instant(default=None)
    unless_expr: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decided_at: datetime = Instant(default_factory=utcnow)
    rearmed_at: datetime | None = Instant(default=None)


class LayerBindingRow(SQLModel, table=True):
    """One move of the binding bottleneck layer: from ``at`` on, ``layer`` ("" = none) had
    the highest share of theses warning (``theses_json``: their ids). Never updated."""

    __tablename__ = "layer_binding"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Instant(unique=True, index=True)
    layer: str = Field(default="", max_length=40)
    previous: str = Field(default="", max_length=40)
    share: float = 0.0
    theses_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    recorded_at: datetime = Instant(default_factory=utcnow)


class InteractionRow(SQLModel, table=True):
    """A Slack request acted on once: claimed by a stable key (a request's signature, a
    submitted decision's content) so that retries, replays and double clicks change nothing
    the second time. Never updated."""

    __tablename__ = "interaction"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=40)
    user: str = Field(default="", max_length=40)
    received_at: datetime = Instant(default_factory=utcnow)


class TrancheRow(SQLModel, table=True):
    """The tranche journal: a tranche of a thesis's plan the owner says was taken
    (``signalflow tranche``). ``number`` is the add's number, 0 for the first tranche. Never deleted."""

    __tablename__ = "tranche"

    id: int | None = Field(default=None, primary_key=True)
    thesis: str = Field(max_length=100, index=True)
    number: int = Field(default=0)
    size: float | None = Field(default=None)  # percent of the intended position, per the plan then
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    taken_at: datetime = Instant(default_factory=utcnow)


class PlanAddRow(SQLModel, table=True):
    """Where each add of a thesis's plan stands for the daemon: whether its condition's
    episode is open (``due_since``), whether it was announced, and why it is withheld."""

    __tablename__ = "plan_add"
    __table_args__ = (UniqueConstraint("thesis", "number", name="uq_plan_add"),)

    id: int | None = Field(default=None, primary_key=True)
    thesis: str = Field(max_length=100)
    number: int
    due_since: datetime | None = Instant(default=None)
    announced_at: datetime | None = Instant(default=None)
    withheld: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Instant(default_factory=utcnow)
