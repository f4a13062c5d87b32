"""The nearest known name to a typo, for "did you mean ...?" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, or None when nothing is close enough."""
    candidates = sorted(set(known))
    lowered = {c.lower(): c for c in candidates}
    if name.lower() in lowered:
        return lowered[name.lower()]
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if found:
        return found[0]
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A hint sentence, e.g. "did you mean 'yoy'?", or None."""
    match = nearest(name, known)
    return f"did you mean {match!r}?" if match else None
