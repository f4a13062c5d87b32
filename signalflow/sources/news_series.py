"""The ``news.*`` series: their references (``news.LABEL[TICKER].FIELD``) and the rows one
story adds to them.

    from signalflow.sources.news_series import parse_ref, series_key
    parse_ref("news.deployment_delay[MSFT].mw")   # ("deployment_delay", "MSFT", "mw")
    series_key("deployment_delay", "MSFT", "mw")  # "news.deployment_delay[MSFT].mw"
"""

from __future__ import annotations

import re

from signalflow.series import Event, KnownAtBasis, Observation, story_ref

FIELDS = ("mw", "usd")
_REF = re.compile(r"^news\.([A-Za-z0-9_]+)(?:\[([^\]]*)\])?(?:\.([A-Za-z0-9_]+))?$")


def parse_ref(ref: str) -> tuple[str, str | None, str | None] | None:
    """``news.label[TICKER].field`` -> (label, ticker, field), or None if not that shape."""
    match = _REF.match(ref)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def series_key(label: str, ticker: str | None = None, field: str | None = None) -> str:
    key = f"news.{label}" + (f"[{ticker}]" if ticker else "")
    return f"{key}.{field}" if field else key


def story_observations(assignment, event: Event, basis: KnownAtBasis = KnownAtBasis.EXACT) -> list[Observation]:
    """The ``news.*`` rows one item adds to its story (an :class:`~signalflow.news.stories.Assignment`):
    an outlet row when its outlet is new to the story (or it names a company new to it), the
    story's figures when it opened the story, a new version of them when it filled one in."""
    story = assignment.story
    day = story.known_at.date()
    out: list[Observation] = []

    def row(series: str, value: float, unit: str, ref: str) -> None:
        out.append(
            Observation(
                series=series, period_start=day, period_end=day, value=value, known_at=event.published,
                unit=unit, source_ref=ref[:300], known_at_basis=basis,
            )  # fmt: skip
        )

    figures = [(f, v, u) for f, v, u in (("mw", story.mw, "MW"), ("usd", story.amount_usd, "USD")) if v is not None]
    for ticker in (None, *story.companies):
        new_here = ticker in assignment.new_companies
        if assignment.new_outlet or new_here:
            row(series_key(story.label, ticker), 1.0, "event", story_ref(story.id, event.outlet))
        if assignment.new_story or assignment.revised or new_here:
            for field, value, unit in figures:
                row(series_key(story.label, ticker, field), value, unit, story_ref(story.id, version=story.version))
    return out
