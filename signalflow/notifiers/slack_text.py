"""Slack mrkdwn cut to Slack's length limits without breaking it.

A cut never falls inside a link (``<url|label>``), a mention or an entity (``&amp;``): it
moves back to before it, so the text Slack renders is what was meant, shorter. Every cut
text ends with a visible "…"; a list that does not fit shows whole items and says how many
were left out::

    fit_lines(["*Stories behind the value*"], lines, 3000, ("story", "stories"))
    # '*Stories behind the value*\\n• …\\n… and 2 more stories'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

MARKER = "…"
SECTION_LIMIT = 3000  # Slack's limit for a section's (or a context element's) mrkdwn text
HEADER_LIMIT = 150  # a header block's plain text
MESSAGE_LIMIT = 3000  # a message's `text`: Slack takes 40,000, previews show far less

# What a cut must not split: a link or mention in angle brackets, or an entity.
_ATOMS = re.compile(r"<[^<>]*>|&#?\w+;")


def fit(text: str, limit: int) -> str:
    """``text`` if it fits within ``limit`` characters, else its longest safe beginning
    followed by "…"."""
    if len(text) <= limit:
        return text
    cut = limit - len(MARKER)
    for atom in _ATOMS.finditer(text):
        if atom.start() >= cut:
            break
        if atom.end() > cut:
            cut = atom.start()
            break
    return text[:cut].rstrip() + MARKER


def more(count: int, noun: tuple[str, str]) -> str:
    """'… and 1 more story', '… and 3 more stories'."""
    return f"{MARKER} and {count} more {noun[0] if count == 1 else noun[1]}"


def fit_lines(
    head: Sequence[str], items: Sequence[str], limit: int, noun: tuple[str, str], tail: Sequence[str] = ()
) -> str:
    """``head``, ``items`` and ``tail``, one a line, within ``limit``: as many whole items as
    fit, then a line saying how many were left out (``noun``: singular and plural). When
    even the head and tail do not fit, the whole text is cut by :func:`fit`."""

    def shown(kept: int) -> str:
        left = [more(len(items) - kept, noun)] if kept < len(items) else []
        return "\n".join([*head, *items[:kept], *left, *tail])

    text = shown(fitting(shown, len(items), limit))
    return text if len(text) <= limit else fit(shown(len(items)), limit)


def fitting(shown: Callable[[int], str], count: int, limit: int, most: int | None = None) -> int:
    """How many of ``count`` items fit: ``shown(k)`` is the text with the first ``k`` of them
    (and, when ``k < count``, a word on the rest). All of them (at most ``most``) when that
    fits, else the most that fit, 0 when none does (the caller cuts what is left)."""
    top = count if most is None else min(count, most)
    if len(shown(top)) <= limit:
        return top
    kept = 0
    while kept < top - 1 and len(shown(kept + 1)) <= limit:
        kept += 1
    return kept
