"""The news queries: stories (one event, counted once) and the items that carried them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from signalflow.series import Story
from signalflow.store.models import EventRow, StoryRow


@dataclass(frozen=True)
class StoryMember:
    """One item of a story: who published it, where, and when."""

    outlet: str
    feed: str
    title: str
    link: str
    published: datetime


@dataclass(frozen=True)
class StoredStory:
    """A story as stored, with its members in publication order."""

    story: Story
    members: tuple[StoryMember, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """The distinct outlets that carried the story, first publisher first."""
        return tuple(dict.fromkeys(m.outlet for m in self.members))


def add_stories(session: Session, stories: Iterable[Story]) -> int:
    """Insert new stories and move revised ones to their latest version; how many changed."""
    changed = 0
    for story in {s.id: s for s in stories}.values():
        row = session.get(StoryRow, story.id)
        if row is not None and row.version >= story.version:
            continue
        row = row or StoryRow(id=story.id, label=story.label, title=story.title, known_at=story.known_at)
        row.mw, row.amount_usd = story.mw, story.amount_usd
        row.companies = ",".join(story.companies)
        row.version, row.updated_at = story.version, story.updated_at
        session.add(row)
        changed += 1
    return changed


def list_stories(
    session: Session, since: datetime | None = None, label: str | None = None, limit: int = 200
) -> list[StoredStory]:
    """The latest stories first (first seen at or after ``since``, of ``label`` when given)."""
    query = select(StoryRow).order_by(StoryRow.known_at.desc()).limit(limit)
    if since is not None:
        query = query.where(StoryRow.known_at >= since)
    if label is not None:
        query = query.where(StoryRow.label == label)
    return _with_members(session, session.exec(query).all())


def stories_known_at(session: Session, ids: Iterable[str], at: datetime) -> list[StoredStory]:
    """The stories ``ids`` as known at ``at``, in the order given: only those first seen by
    then, each with the members published by then (an outlet that carried it later is not
    counted). The figures are the latest stored version; an alert shows titles and links."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = {r.id: r for r in session.exec(select(StoryRow).where(StoryRow.id.in_(wanted), StoryRow.known_at <= at))}
    return _with_members(session, [rows[i] for i in wanted if i in rows], at)


def _with_members(session: Session, rows: Sequence[StoryRow], until: datetime | None = None) -> list[StoredStory]:
    members: dict[str, list[StoryMember]] = {r.id: [] for r in rows}
    ids = list(members)
    for i in range(0, len(ids), 500):
        query = select(EventRow).where(EventRow.story.in_(ids[i : i + 500])).order_by(EventRow.published)
        if until is not None:
            query = query.where(EventRow.published <= until)
        for e in session.exec(query):
            members[e.story].append(StoryMember(e.outlet or e.source, e.source, e.title, e.link, e.published))
    return [
        StoredStory(
            Story(
                id=r.id, label=r.label, title=r.title, known_at=r.known_at, mw=r.mw, amount_usd=r.amount_usd,
                companies=tuple(c for c in r.companies.split(",") if c), version=r.version,
                updated_at=r.updated_at,
            ),  # fmt: skip
            tuple(members[r.id]),
        )
        for r in rows
    ]
