"""Items about one event, from any outlets, grouped into one story.

A wire story is re-published by dozens of outlets and rewritten by aggregators within
hours; counted item by item, one event looks like a trend. An item joins an open story of
the same label first seen within :data:`WINDOW` of it when the two are about the same
thing: near-identical titles (a syndicated copy), or a shared MW or USD figure together
with a shared company or a similar title (a rewrite), or a shared company with a similar
title, or the same two companies (both parties of one deal). Two items naming different
figures, different companies only, or different places only (a delay in Ohio and one in
Wisconsin) are different stories. String similarity is rapidfuzz's; what counts as "the
same event" is ours.

A story keeps one set of figures, never summed over its copies: the first item's, filled
in by a later, fuller report (a new version, known from that report's publication time).

    index = StoryIndex()
    first = index.assign(wire_event)  # Assignment(new_story=True, ...)
    copy = index.assign(syndicated_copy)  # same story, new_outlet=True; its figures unchanged
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from signalflow.series import Event, Story

WINDOW = timedelta(hours=72)  # wires and their copies land within hours; follow-ups within days
SAME_TITLE = 88  # token-set similarity (0-100) above which two titles are one text
SIMILAR_TITLE = 60  # enough, with a shared company or figure, for a rewrite
FIGURE_TOLERANCE = 0.05  # "300 MW" and "0.3 GW" agree; 300 and 350 MW are two deals

# Aggregators append the outlet to the title: "... - Reuters", "... | DCD".
_OUTLET_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—]{2,60}$")


@dataclass
class _Open:
    """A story still open to new members, with what matching needs."""

    story: Story
    text: str  # the processed title the similarity is computed on
    outlets: list[str] = field(default_factory=list)
    members: int = 1
    places: tuple[str, ...] = ()  # US states and countries its items name

    def to_dict(self) -> dict[str, object]:
        s = self.story
        return {
            "id": s.id, "label": s.label, "title": s.title, "known_at": s.known_at.isoformat(),
            "mw": s.mw, "usd": s.amount_usd, "companies": list(s.companies), "version": s.version,
            "updated_at": s.updated_at.isoformat() if s.updated_at else None,
            "outlets": self.outlets, "members": self.members, "places": list(self.places),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict) -> _Open:
        story = Story(
            id=d["id"], label=d["label"], title=d["title"], known_at=datetime.fromisoformat(d["known_at"]),
            mw=d.get("mw"), amount_usd=d.get("usd"), companies=tuple(d.get("companies", ())),
            version=int(d.get("version", 1)),
            updated_at=datetime.fromisoformat(d["updated_at"]) if d.get("updated_at") else None,
        )  # fmt: skip
        return cls(
            story, _process(story.title), list(d.get("outlets", [])), int(d.get("members", 1)),
            tuple(d.get("places", ())),
        )  # fmt: skip


@dataclass(frozen=True)
class Assignment:
    """Where one item went: its story as of this item, and what the item added to it."""

    story: Story
    new_story: bool  # the item opened the story
    new_outlet: bool  # the item's outlet had not carried the story yet (true when new_story)
    revised: bool  # the item filled in a figure the story lacked: a new version
    new_companies: tuple[str, ...] = ()  # companies this item added to the story


def _places(event: Event) -> tuple[str, ...]:
    return tuple(event.details.get("locations", ())) if event.details else ()


def _process(title: str) -> str:
    return default_process(_OUTLET_SUFFIX.sub("", title))


def _agree(a: float | None, b: float | None) -> bool | None:
    """True/False when both figures are known and agree or not; None when one is missing."""
    if a is None or b is None:
        return None
    return abs(a - b) <= FIGURE_TOLERANCE * max(abs(a), abs(b))


def same_event(
    text_a: str, figures_a: tuple[float | None, float | None], companies_a: tuple[str, ...],
    text_b: str, figures_b: tuple[float | None, float | None], companies_b: tuple[str, ...],
) -> float:
    """How surely two items report one event, 0 (not) to 100; ``text_*`` are processed titles."""  # fmt: skip
    agreements = [_agree(x, y) for x, y in zip(figures_a, figures_b)]
    if False in agreements:
        return 0.0  # two different deals (or cuts) by the same company are two stories
    shared = set(companies_a) & set(companies_b)
    if companies_a and companies_b and not shared:
        return 0.0
    similarity = fuzz.token_set_ratio(text_a, text_b)
    if similarity >= SAME_TITLE:
        return similarity
    same_figure = True in agreements
    if same_figure and (shared or similarity >= SIMILAR_TITLE):
        return max(similarity, SAME_TITLE)
    if shared and similarity >= SIMILAR_TITLE + 10:
        return similarity
    if len(shared) >= 2:
        return max(similarity, SIMILAR_TITLE)  # both parties of one deal, in one window: one deal
    return 0.0


class StoryIndex:
    """The stories still open (first seen within the window of the latest item), by label."""

    def __init__(self, window: timedelta = WINDOW) -> None:
        self.window = window
        self._open: dict[str, list[_Open]] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._open.values())

    def assign(self, event: Event) -> Assignment | None:
        """Put a labelled item into its story (opening one if none fits); None when unlabelled."""
        if event.label is None:
            return None
        text = _process(event.title)
        figures = (event.mw, event.amount_usd)
        places = _places(event)
        best, best_score = None, 0.0
        for candidate in self._open.get(event.label, ()):
            if abs(event.published - candidate.story.known_at) > self.window:
                continue
            if places and candidate.places and not set(places) & set(candidate.places):
                continue
            s = candidate.story
            score = same_event(text, figures, event.companies, candidate.text, (s.mw, s.amount_usd), s.companies)
            if score > best_score:
                best, best_score = candidate, score
        if best is None:
            story = Story(
                id=event.entry_id, label=event.label, title=event.title, known_at=event.published,
                mw=event.mw, amount_usd=event.amount_usd, companies=event.companies,
            )  # fmt: skip
            self._open.setdefault(event.label, []).append(_Open(story, text, [event.outlet], places=places))
            return Assignment(story, True, True, False, event.companies)
        return self._join(best, event)

    def _join(self, open_: _Open, event: Event) -> Assignment:
        s = open_.story
        mw = s.mw if s.mw is not None else event.mw
        usd = s.amount_usd if s.amount_usd is not None else event.amount_usd
        revised = (mw, usd) != (s.mw, s.amount_usd)
        added = tuple(c for c in event.companies if c not in s.companies)
        if revised or added:
            s = replace(
                s, mw=mw, amount_usd=usd, companies=s.companies + added,
                version=s.version + 1 if revised else s.version,
                updated_at=max(event.published, s.known_at) if revised else s.updated_at,
            )  # fmt: skip
            open_.story = s
        open_.places += tuple(p for p in _places(event) if p not in open_.places)
        new_outlet = event.outlet not in open_.outlets
        if new_outlet:
            open_.outlets.append(event.outlet)
        open_.members += 1
        return Assignment(s, False, new_outlet, revised, added)

    def prune(self, now: datetime) -> None:
        """Close the stories first seen more than a window before ``now``."""
        for label, stories in self._open.items():
            self._open[label] = [o for o in stories if now - o.story.known_at <= self.window]

    def to_json(self) -> str:
        return json.dumps([o.to_dict() for stories in self._open.values() for o in stories])

    @classmethod
    def from_json(cls, text: str | None, window: timedelta = WINDOW) -> StoryIndex:
        index = cls(window)
        for d in json.loads(text) if text else []:
            o = _Open.from_dict(d)
            index._open.setdefault(o.story.label, []).append(o)
        return index
