"""Literal facts bundled with signalflow, and the frames they make for the in-memory provider.

    facts = load_facts()                    # signalflow/data/demo/facts.csv
    provider = facts_provider(facts)        # a signalflow.series.MemoryProvider
    backtest(thesis, provider, None, end)

A fact is one version of one period of one series, with the instant it became known and its
source. The demo (:mod:`signalflow.viz.demo`) and the valuation backtests
(:mod:`signalflow.bundled.valuation_facts`, :mod:`signalflow.bundled.vrt_facts`) build on these.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path

import pandas as pd

from signalflow.series import FRAME_COLUMNS, MemoryProvider, SeriesFrame, default_kind


def demo_dir() -> Path:
    """The demo facts and theses (``facts.csv``, ``rules/``) installed with the package."""
    return Path(str(resources.files("signalflow") / "data" / "demo"))


def valuation_dir() -> Path:
    """The valuation closes, SEC facts and theses (``rules/``) installed with the package."""
    return Path(str(resources.files("signalflow") / "data" / "valuation"))


@dataclass(frozen=True)
class Fact:
    """One version of one period of one series, with when it became known and where from."""

    series: str
    period_start: datetime
    period_end: datetime
    value: float
    unit: str
    known_at: datetime
    source: str


def load_facts(path: Path | None = None) -> list[Fact]:
    """Every bundled fact, in file order."""
    frame = pd.read_csv(path or demo_dir() / "facts.csv", comment="#", parse_dates=["period_start", "period_end", "known_at"])
    return [
        Fact(r.series, r.period_start.to_pydatetime(), r.period_end.to_pydatetime(), float(r.value), r.unit,
             r.known_at.to_pydatetime(), r.source)
        for r in frame.itertuples(index=False)
    ]


def fact_frames(facts: Iterable[Fact]) -> list[SeriesFrame]:
    """One frame per series of ``facts`` (in order of first appearance), its rows sorted by
    ``known_at``, each row's source as its ``source_ref``; the kind is the reference's default
    (:func:`signalflow.series.default_kind`), as for any series nothing else describes."""
    rows = pd.DataFrame([f.__dict__ for f in facts], columns=[f.name for f in fields(Fact)])
    frames = []
    for key, part in rows.groupby("series", sort=False):
        data = part.rename(columns={"source": "source_ref"})[FRAME_COLUMNS].copy()
        for col in ("period_start", "period_end", "known_at"):
            data[col] = data[col].astype("datetime64[ns]")
        data = data.sort_values("known_at", kind="stable").reset_index(drop=True)
        frames.append(SeriesFrame(str(key), data, default_kind(str(key)), unit=str(data["unit"].iloc[0])))
    return frames


def facts_provider(facts: Iterable[Fact]) -> MemoryProvider:
    """``facts`` served from memory, point in time, as a store would serve them."""
    return MemoryProvider(fact_frames(facts))


def read_closes(path: Path, column: str) -> list[tuple[date, float, str]]:
    """(session date, close from ``column``, source) per row of a bundled closes file."""
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [(date.fromisoformat(r["date"]), float(r[column]), r["source"]) for r in csv.DictReader(lines)]


def close_facts(
    ticker: str, rows: list[tuple[date, float, str]], splits: list, close_utc: time = time(21, 0)
) -> list[Fact]:
    """``px.TICKER.close`` for bundled closes (and ``px.TICKER.split`` for ``splits``), every
    version point in time, through the same rule as collected prices
    (:func:`signalflow.sources.prices_formats.to_batch`)."""
    from signalflow.sources.prices_formats import DailyBars, to_batch

    bars = DailyBars(symbol=ticker, currency="USD", splits=list(splits))
    for day, close, _ in rows:
        bars.dates.append(day)
        for f in bars.values:
            bars.values[f].append(close if f == "close" else None)
    sources = {day: source for day, _, source in rows}
    split_text = ", ".join(f"{s.ratio:g}:1 split, ex-date {s.ex_date}" for s in splits)
    facts = []
    for o in to_batch(bars, ticker, "bundled", close_utc).observations:
        detail = o.source_ref.removeprefix("bundled ")
        origin = sources.get(o.period_start) or split_text
        facts.append(
            Fact(
                o.series,
                datetime.combine(o.period_start, time()),
                datetime.combine(o.period_end, time()),
                o.value,
                o.unit,
                o.known_at,
                f"{origin} ({detail})",
            )
        )
    return facts
