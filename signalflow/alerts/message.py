"""Build the :class:`Notification` for an alert from the evaluation that caused it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import date, datetime

from sqlmodel import Session

from signalflow.notifiers.notification import InputLine, Kind, Link, Notification, StoryLine
from signalflow.store.news import StoredStory, stories_known_at
from signalflow.thesis.comparisons import thresholds
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import RuleStatus, ThesisStatus, filing_url, source_url

__all__ = [
    "alert_detail", "build_notification", "explained_stories", "filing_url", "input_lines", "plan_instruction",
    "rule_stories", "source_url", "story_lines", "thresholds",
]  # fmt: skip

STORIES_SHOWN = 3  # an alert names the newest few stories behind a value, not a news feed


def _period(start: date | None, end: date | None) -> str:
    if start and end and start != end:
        return f"{start.isoformat()}..{end.isoformat()}"
    point = end or start
    return point.isoformat() if point else ""


def input_lines(rule: RuleStatus, limits: dict[str, str]) -> tuple[InputLine, ...]:
    """The rule's inputs as the evaluation carried them; ``limits`` (the same
    :func:`~signalflow.thesis.comparisons.thresholds` of the rule's definition) fills the
    threshold of an input that came without one."""
    return tuple(
        InputLine(
            ref=i.ref,
            value=i.value,
            unit=i.unit,
            threshold=i.threshold or limits.get(i.ref, ""),
            period=_period(i.period_start, i.period_end),
            known_at=i.known_at.isoformat() if i.known_at else "",
            source_ref=i.source_ref,
            url=i.link,
            stale=i.stale,
            basis=i.basis,
            published=i.published if i.basis else "",
        )
        for i in rule.inputs
    )


def story_lines(ref: str, stored: Sequence[StoredStory]) -> tuple[StoryLine, ...]:
    """``stored`` (as known at the instant) as the lines an alert shows for input ``ref``."""
    return tuple(
        StoryLine(
            ref=ref,
            known_at=s.story.known_at.isoformat(),
            title=s.story.title,
            outlets=len(s.outlets),
            url=s.members[0].link if s.members else "",
            story=s.story.id,
        )
        for s in stored
    )


def rule_stories(session: Session, rule: RuleStatus, at: datetime) -> tuple[StoryLine, ...]:
    """The news stories behind the rule's inputs at ``at``, newest first, at most
    :data:`STORIES_SHOWN`: the evaluation names them, the store knows their titles and URLs."""
    lines: list[StoryLine] = []
    for i in rule.inputs:
        if i.stories:
            lines += story_lines(i.ref, stories_known_at(session, i.stories, at))
    lines.sort(key=lambda line: line.known_at, reverse=True)
    return tuple(lines[:STORIES_SHOWN])


def explained_stories(store, status: ThesisStatus) -> dict[tuple[str, str], tuple[StoryLine, ...]]:
    """(rule, input) -> the news stories behind the input's value as known at the explained
    instant, newest first (at most :data:`STORIES_SHOWN`), with titles and URLs from the
    store: what ``signalflow explain`` and Slack's Explain show. None over a reader without
    stories (the bundled facts)."""
    if not hasattr(store, "stories_at"):
        return {}
    return {
        (rule.name, i.ref): story_lines(i.ref, store.stories_at(i.stories, status.at))[:STORIES_SHOWN]
        for rule in status.rules
        for i in rule.inputs
        if i.stories
    }


def build_notification(
    *,
    key: str,
    alert_key: str,
    kind: Kind,
    thesis: Thesis,
    status: ThesisStatus,
    rule: RuleStatus,
    fired_at: datetime | None,
    at: datetime,
    note: str = "",
    chart_path: str = "",
    stories: Sequence[StoryLine] = (),
) -> Notification:
    """The message for one alert at one instant, with every input, link and the checklist."""
    try:
        definition = thesis.rule(rule.name)
        limits = definition.thresholds
        summary = rule.summary or definition.summary
        expression = rule.expression or definition.when_text
    except KeyError:
        limits, summary, expression = {}, rule.summary, rule.expression
    links = tuple(Link(url, url) for url in thesis.links)
    return Notification(
        key=key,
        alert_key=alert_key,
        kind=kind,
        severity=rule.severity,
        thesis=thesis.id,
        title=thesis.title or status.title or thesis.id,
        rule=rule.name,
        at=at,
        summary=summary or rule.name.replace("_", " "),
        why=rule.why,
        cause=rule.cause.text() if rule.cause is not None else "",
        expression=expression,
        state=status.state.value,
        quadrant=status.quadrant.value,
        growth=status.growth,
        liquidity=status.liquidity,
        fired_at=fired_at,
        inputs=input_lines(rule, limits),
        stories=tuple(stories),
        links=links,
        position=tuple((k, str(v)) for k, v in thesis.position.items()),
        firing=tuple(status.firing),
        note=note,
        chart_path=chart_path,
        # a resolve tells the rule stopped firing: the plan's instruction for it no longer applies
        plan="" if kind is Kind.RESOLVED else plan_instruction(thesis, rule.severity),
    )


def _fields(line: InputLine | StoryLine) -> dict:
    """A line's fields by name, as ``asdict`` gives them (every field is a plain value),
    without its deep copy: an open alert's detail is rewritten every pass."""
    return {f.name: getattr(line, f.name) for f in fields(line)}


def plan_instruction(thesis: Thesis, severity: str) -> str:
    """What the thesis's tranche plan says to do on a rule of ``severity`` ('' without one)."""
    return thesis.plan.instruction(severity) if thesis.plan is not None else ""


def alert_detail(
    thesis: Thesis, status: ThesisStatus, rule: RuleStatus, version: str, stories: Sequence[StoryLine] = ()
) -> str:
    """What an open alert remembers of its latest evaluation (``AlertRow.detail_json``): the
    reminder digest shows these latest values, and the news stories behind them
    (:func:`rule_stories`), without evaluating anything."""
    try:
        definition = thesis.rule(rule.name)
        limits, expression = definition.thresholds, rule.expression or definition.when_text
    except KeyError:
        limits, expression = {}, rule.expression
    return json.dumps(
        {
            "title": thesis.title or status.title or thesis.id,
            "expression": expression,
            "version": version,  # what was evaluated (see lifecycle): refreshed when it changes
            "inputs": [_fields(line) for line in input_lines(rule, limits)],
            "plan": plan_instruction(thesis, rule.severity),
            "stories": [_fields(line) for line in stories],
        },
        sort_keys=True,
    )
