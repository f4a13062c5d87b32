"""Literal series for tests and tools: a provider over frames built from points.

    provider = LiteralProvider({
        "fred.DGS10": frame_from_points("fred.DGS10", [(date(2025, 1, 2), 4.5, None)]),
    })
    provider.load({"fred.DGS10"}, until=datetime(2025, 6, 1))

A point is ``(period_end, value, known_at)``; ``known_at=None`` means the value became known
at its period end (a date: 00:00 UTC that day), as in rule test files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

import pandas as pd

from signalflow.series import SeriesKind
from signalflow.series import FRAME_COLUMNS, SeriesFrame

EVENT_SOURCES = frozenset({"news"})


def default_kind(ref: str) -> SeriesKind:
    """The kind a reference has when nothing else says: news streams are events, SEC
    flows (revenue, capex, ...) are flows, rpo is an instant, everything else a level."""
    source = ref.split(".", 1)[0]
    if source in EVENT_SOURCES:
        return SeriesKind.EVENT
    if source == "sec":
        return SeriesKind.INSTANT if ref.rsplit(".", 1)[-1] == "rpo" else SeriesKind.FLOW
    return SeriesKind.LEVEL


def default_frequency(ref: str) -> str:
    """The frequency a reference has when nothing else says: a stock's splits are irregular
    (a company that never split has an empty split series, and that is not staleness)."""
    parts = ref.split(".")
    return "irregular" if parts[0] == "px" and parts[-1] == "split" else ""


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


class LiteralProvider:
    """A :class:`~signalflow.thesis.results.SeriesProvider` over frames held in memory."""

    def __init__(self, frames: Mapping[str, SeriesFrame] | None = None) -> None:
        self.frames: dict[str, SeriesFrame] = dict(frames or {})

    def add(self, frame: SeriesFrame) -> None:
        self.frames[frame.key] = frame

    def load(self, keys: Iterable[str], until: datetime | None = None) -> dict[str, SeriesFrame]:
        out = {}
        for key in keys:
            frame = self.frames.get(key)
            if frame is None:
                continue
            if until is not None and len(frame.data) and frame.data["known_at"].iloc[-1] > pd.Timestamp(until):
                data = frame.data[frame.data["known_at"] <= pd.Timestamp(until)].reset_index(drop=True)
                frame = SeriesFrame(frame.key, data, frame.kind, frame.unit, frame.frequency, frame.url)
            out[key] = frame
        return out
