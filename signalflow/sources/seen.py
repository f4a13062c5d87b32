"""Revisions in payloads that carry no vintages (keyless fredgraph.csv, user CSV/JSON).

Such payloads date a value only by its period, so its ``known_at`` is assumed (the end of
the day after the period ends, in the publisher's zone). When a later run sees a different value for a period it has seen
before, that value became known between the two runs: it is stamped with the collection
time, and the store keeps it only if it changed.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from signalflow.series import KnownAtBasis

if TYPE_CHECKING:
    import pandas as pd


def restamp_seen(frame: pd.DataFrame, last_end: str | None, window: timedelta, now: datetime) -> pd.DataFrame:
    """``frame`` with the periods ending on or before ``last_end`` (ISO date) re-stamped as
    known ``now`` (basis COLLECTED), those older than ``window`` before it dropped; new
    periods keep their assumed ``known_at``. Unchanged when ``last_end`` is None."""
    import pandas as pd

    if not last_end or frame.empty:
        return frame
    last = pd.Timestamp(last_end)
    assumed = frame["known_at_basis"] == KnownAtBasis.ASSUMED.value
    seen = assumed & (frame["period_end"] <= last)
    frame = frame[~seen | (frame["period_end"] > last - window)].copy()
    seen = seen.loc[frame.index]
    frame.loc[seen, "known_at"] = pd.Timestamp(now)
    frame.loc[seen, "known_at_basis"] = KnownAtBasis.COLLECTED.value
    return frame.reset_index(drop=True)


def remember_last(frame: pd.DataFrame | None, state: MutableMapping[str, str], key: str) -> None:
    """Keep the newest period end of ``frame`` in ``state[key]`` (ISO date, never moving back)."""
    if frame is not None and len(frame):
        newest = frame["period_end"].max().date().isoformat()
        state[key] = max(newest, state.get(key, ""))
