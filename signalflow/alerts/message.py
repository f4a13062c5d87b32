"""Build the :class:`Notification` for an alert from the evaluation that caused it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime

from signalflow.notifiers.notification import InputLine, Kind, Link, Notification
from signalflow.thesis.ast import COMPARISON, Binary, Node, Number, SeriesRef, walk
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import InputValue, RuleStatus, ThesisStatus

ACCESSION = re.compile(r"(\d{10})-(\d{2})-(\d{6})")
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


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


def thresholds(node: Node | None) -> dict[str, str]:
    """For each series compared with a literal number in an expression, the comparison
    as text ('> 5'); the first comparison of a series wins."""
    found: dict[str, str] = {}
    if node is None:
        return found
    for item in walk(node):
        if not isinstance(item, Binary) or item.op not in COMPARISON:
            continue
        if isinstance(item.right, Number):
            side, op, number = item.left, item.op, item.right
        elif isinstance(item.left, Number):
            side, op, number = item.right, _FLIPPED[item.op], item.left
        else:
            continue
        text = f"{op} {number.text or f'{number.value:g}'}"
        for ref in (n.ref for n in walk(side) if isinstance(n, SeriesRef)):
            found.setdefault(ref, text)
    return found


def _period(start: date | None, end: date | None) -> str:
    if start and end and start != end:
        return f"{start.isoformat()}..{end.isoformat()}"
    point = end or start
    return point.isoformat() if point else ""


def input_lines(rule: RuleStatus, limits: dict[str, str]) -> tuple[InputLine, ...]:
    return tuple(
        InputLine(
            ref=i.ref,
            value=i.value,
            unit=i.unit,
            threshold=limits.get(i.ref, ""),
            period=_period(i.period_start, i.period_end),
            known_at=i.known_at.isoformat() if i.known_at else "",
            source_ref=i.source_ref,
            url=source_url(i),
            stale=i.stale,
        )
        for i in rule.inputs
    )


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
) -> Notification:
    """The message for one alert at one instant, with every input, link and the checklist."""
    try:
        definition = thesis.rule(rule.name)
        limits = thresholds(definition.when)
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
        expression=expression,
        state=status.state.value,
        quadrant=status.quadrant.value,
        growth=status.growth,
        liquidity=status.liquidity,
        fired_at=fired_at,
        inputs=input_lines(rule, limits),
        links=links,
        position=tuple((k, str(v)) for k, v in thesis.position.items()),
        firing=tuple(status.firing),
        note=note,
        chart_path=chart_path,
    )


def alert_detail(thesis: Thesis, status: ThesisStatus, rule: RuleStatus, version: str) -> str:
    """What an open alert remembers of its latest evaluation (``AlertRow.detail_json``): the
    reminder digest shows these latest values without evaluating anything."""
    try:
        definition = thesis.rule(rule.name)
        limits, expression = thresholds(definition.when), rule.expression or definition.when_text
    except KeyError:
        limits, expression = {}, rule.expression
    return json.dumps(
        {
            "title": thesis.title or status.title or thesis.id,
            "expression": expression,
            "version": version,  # what was evaluated (see lifecycle): refreshed when it changes
            "inputs": [asdict(line) for line in input_lines(rule, limits)],
        },
        sort_keys=True,
    )
