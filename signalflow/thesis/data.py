"""Literal series for tests and tools: frames built from points, served from memory.

    provider = MemoryProvider({
        "fred.DGS10": frame_from_points("fred.DGS10", [(date(2025, 1, 2), 4.5, None)]),
    })
    provider.load({"fred.DGS10"}, until=datetime(2025, 6, 1))

A point is ``(period_end, value, known_at)``; ``known_at=None`` means the value became known
at its period end (a date: 00:00 UTC that day), as in rule test files.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import pandas as pd

from signalflow.series import (
    FRAME_COLUMNS,
    MemoryProvider,
    SeriesFrame,
    SeriesKind,
    default_frequency,
    default_kind,
)

__all__ = ["LiteralProvider", "MemoryProvider", "default_frequency", "default_kind", "frame_from_points"]


def _ts(value: date | datetime | str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def frame_from_points(
    key: str,
    points: Iterable[tuple],
    kind: SeriesKind | None = None,
    unit: str = "",
    frequency: str = "",
) -> SeriesFrame:
    """A :class:`SeriesFrame` from ``(period_end, value, known_at[, period_start[, source_ref]])``
    tuples. Several points for one period are its versions."""
    rows = []
    for point in points:
        end, value, known = point[0], point[1], point[2] if len(point) > 2 else None
        start = point[3] if len(point) > 3 else None
        ref = point[4] if len(point) > 4 else ""
        end_ts = _ts(end)
        rows.append(
            {
                "period_start": _ts(start) or end_ts,
                "period_end": end_ts,
                "value": float("nan") if value is None else float(value),
                "known_at": _ts(known) or end_ts,
                "source_ref": ref,
                "unit": unit,
            }
        )
    kind = kind or default_kind(key)
    if not rows:
        return SeriesFrame.empty(key, kind)
    data = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    for col in ("period_start", "period_end", "known_at"):
        data[col] = data[col].astype("datetime64[ns]")
    data = data.sort_values("known_at", kind="stable").reset_index(drop=True)
    return SeriesFrame(key, data, kind=kind, unit=unit, frequency=frequency)


# The one in-memory provider lives beside the SeriesProvider protocol; this name stays for
# callers that build literal series here.
LiteralProvider = MemoryProvider
