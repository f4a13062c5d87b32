"""What the engine reads and what it says: series frames in, states and transitions out.

The engine never sends anything. ``alerts/`` turns :class:`Transition` and
:class:`ThesisStatus` into notifications; the CLI prints them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from signalflow.store.engine_state import EngineState
from signalflow.series import SeriesFrame, describe_known_at
from signalflow.thesis.ast import Node


class RuleState(str, enum.Enum):
    """Prometheus alerting-rule states."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


class ThesisState(str, enum.Enum):
    OK = "ok"
    SOFT_WARNING = "soft_warning"
    KILL_SWITCH = "kill_switch"


class Quadrant(str, enum.Enum):
    GROWTH_AND_LIQUIDITY = "growth and liquidity"
    GROWTH_ONLY = "growth only"
    LIQUIDITY_ONLY = "liquidity only"
    NEITHER = "neither"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, growth: bool | None, liquidity: bool | None) -> Quadrant:
        if growth is None or liquidity is None:
            return cls.UNKNOWN
        if growth and liquidity:
            return cls.GROWTH_AND_LIQUIDITY
        if growth:
            return cls.GROWTH_ONLY
        if liquidity:
            return cls.LIQUIDITY_ONLY
        return cls.NEITHER


ACCESSION = re.compile(r"(\d{10})-(\d{2})-(\d{6})")
COMPANY_CIK = re.compile(r"CIK=0*(\d+)")


def filing_url(source_ref: str, company_url: str = "") -> str:
    """The SEC filing index for an accession number found in ``source_ref``, or ''.

    EDGAR files a filing under the company's CIK, taken from the series' company page when
    known. The first ten digits of an accession name whoever submitted it, often a filing agent,
    so they are only the fallback (right for companies that file themselves, such as Apple).
    """
    match = ACCESSION.search(source_ref or "")
    if not match:
        return ""
    company = COMPANY_CIK.search(company_url or "")
    cik = int(company.group(1)) if company else int(match.group(1))
    return f"https://www.sec.gov/Archives/edgar/data/{cik}/{''.join(match.groups())}/"


def source_url(value: InputValue) -> str:
    """Where a reader can check an input: its own URL, the SEC filing, or the FRED series page."""
    if value.ref.startswith("sec."):
        return filing_url(value.source_ref, value.url) or value.url
    if value.url:
        return value.url
    if value.ref.startswith("fred."):
        return f"https://fred.stlouisfed.org/series/{value.ref.split('.', 1)[1]}"
    return ""


@dataclass(frozen=True)
class InputValue:
    """The value of one series input at an instant, with where it came from and the
    threshold its rule compares it with, so an alert can state it without evaluating."""

    ref: str
    value: float | None
    period_start: date | None = None
    period_end: date | None = None
    known_at: datetime | None = None
    source_ref: str = ""
    unit: str = ""
    url: str = ""
    stale: bool = False
    basis: str = ""  # how known_at was found (KnownAtBasis value); '' when not said
    threshold: str = ""  # the rule's comparison for this input, e.g. '< -10%'
    # A news stream's stories behind the value (ids, newest first; see thesis/stories.py):
    # an alert names them with their titles, outlets and URLs from the store.
    stories: tuple[str, ...] = ()

    @property
    def link(self) -> str:
        """The page a reader checks this value on (see :func:`source_url`)."""
        return source_url(self)

    @property
    def published(self) -> str:
        """How the value became public, in its publisher's time zone: 'published 2010-01-25
        16:31 ET, accession 0001193125-10-012091' ('' without a known_at)."""
        return describe_known_at(self.ref, self.known_at, self.basis, self.source_ref)


class CauseKind(str, enum.Enum):
    """What made a rule change state at an instant."""

    NEW_PERIOD = "new_period"  # an input gained a period it had never had
    REVISION = "revision"  # an already known period of an input changed value
    TIME = "time"  # nothing the rule reads changed: `for`, `keep_firing_for`, a window moving on
    RULE_CHANGE = "rule_change"  # the thesis was edited (its fingerprint changed)
    START = "start"  # the first evaluation: the data already known when the timeline began


@dataclass(frozen=True)
class Change:
    """One version of one period that became known: a new period (``old`` is None) or a
    revision of a period already known with another value."""

    ref: str
    period: str  # a label: '2021-09', 'FY2025Q2', '2025-01-01..2025-03-31'
    period_end: date
    old: float | None
    new: float | None
    known_at: datetime
    source_ref: str = ""
    basis: str = ""
    event: bool = False  # one occurrence of an event stream (a headline), not a period

    @property
    def revision(self) -> bool:
        return self.old is not None

    @property
    def relative(self) -> float | None:
        """(new - old) / |old| for a revision, else None."""
        if self.old is None or self.new is None or self.old == 0:
            return None
        return (self.new - self.old) / abs(self.old)

    def text(self) -> str:
        when = _when(self.known_at)
        if self.event:
            return f"{self.ref} gained an event on {when}"
        if self.old is not None:
            return f"{self.ref} {self.period} was revised from {_number(self.old)} to {_number(self.new)} on {when}"
        return f"{self.ref} {self.period} was first published ({_number(self.new)}) on {when}"

    def short(self, ref: str = "") -> str:
        """A few words for a change named beside another of series ``ref``: '2021-10 new: 531'."""
        name = self.period if self.ref == ref else f"{self.ref} {self.period}"
        if self.event:
            return f"a {self.ref} event"
        if self.old is not None:
            return f"{name} revised {_number(self.old)} -> {_number(self.new)}"
        return f"{name} new: {_number(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "period": self.period,
            "period_end": self.period_end.isoformat(),
            "old": self.old,
            "new": self.new,
            "relative": self.relative,
            "known_at": self.known_at.isoformat(),
            "source_ref": self.source_ref,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class Cause:
    """Why a rule changed state: the change of an input that made it (``change``, with the
    other changes it needed in ``also``), or the passage of time, a rule change or the start
    of the timeline (said in ``detail``)."""

    kind: CauseKind
    change: Change | None = None
    also: tuple[Change, ...] = ()
    detail: str = ""

    def text(self) -> str:
        """One sentence, e.g. 'fred.X 2021-09 was revised from 194 to 312 on 2021-11-05'."""
        if self.change is None:
            return self.detail or self.kind.value.replace("_", " ")
        out = self.change.text()
        if self.also:
            named = [c.short(self.change.ref) for c in self.also[:2]]
            more = len(self.also) - len(named)
            out += f" (with {', '.join(named)}{f' and {more} more' if more else ''})"
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "text": self.text(),
            "change": self.change.to_json() if self.change else None,
            "also": [c.to_json() for c in self.also],
            "detail": self.detail,
        }


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d}" if (at.hour, at.minute, at.second) == (0, 0, 0) else f"{at:%Y-%m-%d %H:%M} UTC"


def _number(x: float | None) -> str:
    if x is None:
        return "unknown"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


@dataclass(frozen=True)
class RuleStatus:
    name: str
    severity: str  # soft_warning | kill_switch
    state: RuleState
    condition: bool | None  # the `when` value at this instant (None = unknown)
    active_at: datetime | None = None
    fired_at: datetime | None = None
    summary: str = ""
    expression: str = ""
    # Every rule's in an explanation; in a live evaluation those of the rules that changed
    # state or fire, the ones an alert speaks of.
    inputs: tuple[InputValue, ...] = ()
    why: str = ""  # one sentence: why the rule is in this state
    # What caused the transition into this state, when it happened in the evaluated span.
    cause: Cause | None = None


@dataclass(frozen=True)
class Transition:
    at: datetime
    thesis: str
    rule: str
    severity: str
    from_state: RuleState
    to_state: RuleState
    # What caused it: a Cause, or a function computing it on first use (a backtest's
    # transitions are many and their causes seldom all read); None when not determined.
    origin: Cause | Callable[[], Cause] | None = field(default=None, compare=False, repr=False)

    @property
    def cause(self) -> Cause | None:
        origin = self.origin
        if callable(origin):
            origin = origin()
            object.__setattr__(self, "origin", origin)
        return origin

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "rule": self.rule,
            "severity": self.severity,
            "from": self.from_state.value,
            "to": self.to_state.value,
            "cause": self.cause.to_json() if self.cause else None,
        }


@dataclass(frozen=True)
class ThesisStatus:
    thesis: str
    title: str
    at: datetime
    state: ThesisState
    quadrant: Quadrant
    growth: bool | None
    liquidity: bool | None
    rules: tuple[RuleStatus, ...]
    layer: str = ""
    stale_inputs: tuple[str, ...] = ()
    since: datetime | None = None  # when the thesis entered `state`
    # The rule transition at `since` that put the thesis in `state` (with its cause).
    flip: Transition | None = None

    @property
    def because(self) -> str:
        """One line: why the thesis is in its state and since when, e.g. 'soft_warning since
        2021-11-05 because payrolls_weak fired: fred.X 2021-09 was revised from 194 to 312 on
        2021-11-05' ('' when the transition is not known)."""
        if self.flip is None or self.flip.cause is None:
            return ""
        verb = "fired" if self.flip.to_state is RuleState.FIRING else "stopped firing"
        return f"{self.state.value} since {_when(self.flip.at)} because {self.flip.rule} {verb}: {self.flip.cause.text()}"

    @property
    def firing(self) -> list[str]:
        return [r.name for r in self.rules if r.state is RuleState.FIRING]

    @property
    def pending(self) -> list[str]:
        return [r.name for r in self.rules if r.state is RuleState.PENDING]

    def to_json(self) -> dict[str, Any]:
        return {
            "thesis": self.thesis,
            "title": self.title,
            "layer": self.layer,
            "at": self.at.isoformat(),
            "state": self.state.value,
            "quadrant": self.quadrant.value,
            "growth": self.growth,
            "liquidity": self.liquidity,
            "firing": self.firing,
            "pending": self.pending,
            "since": self.since.isoformat() if self.since else None,
            "stale_inputs": list(self.stale_inputs),
            "because": self.because,
            "flip": self.flip.to_json() if self.flip else None,
            "rules": [
                {
                    "name": r.name,
                    "severity": r.severity,
                    "state": r.state.value,
                    "condition": r.condition,
                    "active_at": r.active_at.isoformat() if r.active_at else None,
                    "fired_at": r.fired_at.isoformat() if r.fired_at else None,
                    "expression": r.expression,
                    "why": r.why,
                    "cause": r.cause.to_json() if r.cause else None,
                    "inputs": [
                        {
                            "ref": i.ref,
                            "value": i.value,
                            "period_start": i.period_start.isoformat() if i.period_start else None,
                            "period_end": i.period_end.isoformat() if i.period_end else None,
                            "known_at": i.known_at.isoformat() if i.known_at else None,
                            "source_ref": i.source_ref,
                            "unit": i.unit,
                            "stale": i.stale,
                            "basis": i.basis,
                            "published": i.published,
                            "threshold": i.threshold,
                            "stories": list(i.stories),
                        }
                        for i in r.inputs
                    ],
                }
                for r in self.rules
            ],
        }


@dataclass
class Evaluation:
    """The result of one live pass for one thesis."""

    status: ThesisStatus
    transitions: list[Transition]
    state: EngineState


@dataclass
class Backtest:
    """A thesis over a time range: one row per evaluation instant."""

    thesis: str
    timeline: pd.DataFrame  # index: instants; columns: state, quadrant, growth, liquidity, <rule>…
    transitions: list[Transition]
    final: ThesisStatus | None
    status_at: Callable[[datetime], ThesisStatus | None] | None = field(default=None, repr=False)
    # The series the engine read (thesis ref -> frame, as known at the end of the range).
    inputs: dict[str, SeriesFrame] = field(default_factory=dict, repr=False)
    evaluated: Callable[[Node], np.ndarray] | None = field(default=None, repr=False)

    def at(self, when: datetime) -> ThesisStatus | None:
        """The status after the last evaluation at or before ``when`` (None before the first)."""
        return self.status_at(when) if self.status_at else None

    def values(self, node: Node) -> np.ndarray:
        """``node``'s value at each instant of the timeline, as the engine evaluated it (NaN =
        unknown): what a chart draws, read from the evaluation instead of computed again."""
        if self.evaluated is None:
            return np.full(len(self.timeline), np.nan)
        return self.evaluated(node)
