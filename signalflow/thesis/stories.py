"""Event streams read as stories: each story counted once, its figures never summed twice.

The news source writes one row per outlet that carried a story into a count stream
(``news.X``, source_ref ``STORY @OUTLET``) and the story's figure, then its later versions,
into a figure stream (``news.X.mw``: ``STORY``, ``STORY #2``; see ``series.story_ref``). Rows
without those marks (hand-built streams, items stored before stories) are each their own
story, carried by no known outlet. Everything here is per stream and cached on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from signalflow.series import parse_story_ref
from signalflow.thesis.frames import PitSeries


@dataclass(frozen=True)
class StoryRows:
    """A stream's rows grouped by story, in the PitSeries's row order."""

    story: np.ndarray  # int story number per row
    first_known: np.ndarray  # sorted known_at of each story's first row (its opening)
    opening_k: np.ndarray  # known_at of every row, for rows that open a story; sorted
    outlets: dict[str, np.ndarray]  # outlet -> sorted known_at of its rows
    revised: bool  # some story has more than one version of its figure


_CACHE: WeakKeyDictionary[PitSeries, StoryRows] = WeakKeyDictionary()


def story_rows(s: PitSeries) -> StoryRows:
    """The story view of ``s`` (computed once per stream)."""
    hit = _CACHE.get(s)
    if hit is None:
        hit = _CACHE[s] = _group(s)
    return hit


def _group(s: PitSeries) -> StoryRows:
    n = len(s)
    refs = s.source_ref if n else np.empty(0, dtype=object)
    parsed = [parse_story_ref(str(r)) for r in refs]
    # A plain ref is a story of its own unless a later version (STORY #N) names it.
    versioned = {p[0] for p in parsed if p is not None and p[2] > 1}
    keys: dict[str, int] = {}
    story = np.empty(n, dtype=np.int64)
    outlet_k: dict[str, list[int]] = {}
    for i, (ref, p) in enumerate(zip(refs, parsed)):
        if p is not None:
            name = p[0]
            if p[1] is not None:
                outlet_k.setdefault(p[1], []).append(int(s.k[i]))
        elif str(ref) in versioned:
            name = str(ref)
        else:
            name = f"\0row{i}"
        story[i] = keys.setdefault(name, len(keys))
    first = np.full(len(keys), np.iinfo(np.int64).max, dtype=np.int64)
    if n:
        np.minimum.at(first, story, s.k)
    is_opening = np.zeros(n, dtype=bool)
    seen: set[int] = set()
    for i in np.argsort(s.k, kind="stable"):
        if story[i] not in seen:
            seen.add(int(story[i]))
            is_opening[i] = True
    return StoryRows(
        story=story,
        first_known=first,
        opening_k=np.sort(s.k[is_opening]),
        outlets={o: np.sort(np.asarray(k, dtype=np.int64)) for o, k in outlet_k.items()},
        revised=len(versioned) > 0,
    )


def stories_known(s: PitSeries, t: np.ndarray) -> np.ndarray:
    """How many stories of ``s`` are known at each instant."""
    return np.searchsorted(story_rows(s).opening_k, t, side="right")


def latest_story(s: PitSeries, t: np.ndarray) -> np.ndarray:
    """known_at of the latest story first known at or before each instant (-1 before any)."""
    opening = story_rows(s).opening_k
    idx = np.searchsorted(opening, t, side="right") - 1
    return np.where(idx >= 0, opening[np.maximum(idx, 0)], -1)


def distinct_outlets(s: PitSeries, t: np.ndarray, w: int) -> np.ndarray:
    """How many distinct outlets carried a story of ``s`` within ``(t - w, t]``."""
    out = np.zeros(len(t), dtype=float)
    for k in story_rows(s).outlets.values():
        out += np.searchsorted(k, t, side="right") > np.searchsorted(k, t - w, side="right")
    return out


def story_sum(s: PitSeries, t: np.ndarray, w: int) -> np.ndarray:
    """Sum of the figures of the stories first known within ``(t - w, t]``, each story at its
    latest version known at t (a revision replaces the figure, it does not add to it)."""
    rows = story_rows(s)
    if not rows.revised:
        order = np.argsort(s.k, kind="stable")
        acc = np.r_[0.0, np.cumsum(np.nan_to_num(s.v[order]))]
        k = s.k[order]
        return acc[np.searchsorted(k, t, side="right")] - acc[np.searchsorted(k, t - w, side="right")]
    order = np.argsort(s.k, kind="stable")
    values = np.nan_to_num(s.v[order])
    story = rows.story[order]
    delta = values.copy()
    last: dict[int, float] = {}
    for i, (st, v) in enumerate(zip(story, values)):
        delta[i] = v - last.get(int(st), 0.0)
        last[int(st)] = v
    k = s.k[order][:, None]
    first = rows.first_known[story][:, None]
    inside = (k <= t[None, :]) & (first > (t - w)[None, :])
    return (delta[:, None] * inside).sum(axis=0)


def stories_behind(s: PitSeries, t: int, w: int | None, limit: int = 3) -> tuple[str, ...]:
    """The stories of ``s`` behind a value at instant ``t``, newest first (at most ``limit``):
    those first known within ``(t - w, t]``, or the latest one when ``w`` is None
    (``days_since``). Only rows known at ``t`` and named by a story (``STORY @OUTLET``,
    ``STORY #N``) are read: a story the store cannot show is not named."""
    first: dict[str, int] = {}
    for ref, k in zip(s.source_ref, s.k):
        parsed = parse_story_ref(str(ref))
        if parsed is not None and int(k) <= t:
            first[parsed[0]] = min(first.get(parsed[0], int(k)), int(k))
    newest = sorted(first.items(), key=lambda item: (-item[1], item[0]))
    if w is None:
        return tuple(story for story, _ in newest[:1])
    return tuple(story for story, k in newest if k > t - w)[:limit]
