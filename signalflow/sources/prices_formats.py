"""Daily price payloads -> point-in-time observations of ``px.TICKER.field``.

Two real formats are read:

* the chart JSON of the keyless endpoint ``/v8/finance/chart/SYMBOL?interval=1d&events=split``
  (``chart.result[0]``: ``timestamp`` = session opens in UTC seconds, ``meta.gmtoffset``,
  ``indicators.quote[0].open|high|low|close|volume``, ``events.splits`` with ``date``,
  ``numerator``, ``denominator``); its prices are adjusted for every split in the payload;
* the CSV download ``Date,Open,High,Low,Close,Volume`` (Stooq, or a saved download), which
  says nothing about splits.

Point in time. A session's bar is known at ``close_utc`` (21:00 UTC by default: at or after
the US close all year) on the session's date (basis RELEASE_TIME; ASSUMED for a CSV). A split re-versions history: each bar is first
recorded as it was traded (the payload's adjusted value times every later split ratio), and
gets a new version known at each later split's ex-date (00:00 UTC), divided by that split's
ratio. A backtest before a split therefore sees the pre-split prices as they were known, and
at any instant the history of a price series is in one consistent share basis: the one of
the instant. Volumes are multiplied instead of divided. Splits are the series
``px.TICKER.split`` (period = ex-date, value = the ratio new shares per old share, known at
the ex-date), which valuation uses to bring share counts filed before a split to the same
basis (see :mod:`signalflow.thesis.functions_valuation`).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from signalflow.errors import PayloadError
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo, SeriesKind
from signalflow.sources.validate import in_range

FIELDS = ("open", "high", "low", "close", "volume")
SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Split:
    """A stock split effective at the open of ``ex_date``: ``ratio`` new shares per old one."""

    ex_date: date
    ratio: float

    def text(self) -> str:
        return f"{self.ratio:g}:1 split {self.ex_date.isoformat()}"


@dataclass
class DailyBars:
    """One symbol's sessions, prices adjusted for every split in ``splits`` (as served)."""

    symbol: str
    currency: str = ""
    dates: list[date] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    splits: list[Split] = field(default_factory=list)
    adjusted: bool = True  # False when the format cannot say (CSV): no re-versioning then


def ticker_key(symbol: str) -> str:
    """The reference segment of a symbol: ``BRK-B`` -> ``BRK_B`` (references have no '-')."""
    return symbol.upper().replace("-", "_").replace(".", "_")


def symbol_of(ticker: str) -> str:
    """The symbol a reference segment asks for: ``BRK_B`` -> ``BRK-B``."""
    return ticker.upper().replace("_", "-")


def parse_chart_json(content: bytes | str, origin: str) -> DailyBars:
    """The bars of a chart JSON reply; an error object or an empty result is a PayloadError."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(origin, f"not JSON: {exc}") from None
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise PayloadError(origin, "not a chart reply (no 'chart' object)")
    error = chart.get("error")
    results = chart.get("result") or []
    if error or not results:
        detail = error.get("description") or error.get("code") if isinstance(error, dict) else "empty result"
        raise PayloadError(origin, f"no data: {detail}")
    result = results[0]
    meta = result.get("meta") or {}
    try:
        offset = timedelta(seconds=int(meta.get("gmtoffset") or 0))
    except (TypeError, ValueError, OverflowError):
        offset = timedelta(days=2)
    if abs(offset) > timedelta(days=1):
        raise PayloadError(origin, f"meta.gmtoffset {meta.get('gmtoffset')!r} is not an offset in seconds")
    symbol = str(meta.get("symbol") or "")
    stamps = result.get("timestamp") or []
    quote = ((result.get("indicators") or {}).get("quote") or [{}])[0]
    bars = DailyBars(symbol=symbol, currency=str(meta.get("currency") or ""))
    for i, stamp in enumerate(stamps):
        bars.dates.append(_session_date(stamp, offset, origin, i))
        for f in FIELDS:
            column = quote.get(f) or []
            value = column[i] if i < len(column) else None
            bars.values[f].append(None if value is None else _price(value, origin, f"timestamp[{i}] {f}"))
    for event in ((result.get("events") or {}).get("splits") or {}).values():
        num, den = float(event.get("numerator") or 0), float(event.get("denominator") or 0)
        if num > 0 and den > 0:
            bars.splits.append(Split(_session_date(event["date"], offset, origin), num / den))
    bars.splits.sort(key=lambda s: s.ex_date)
    return bars


def _session_date(stamp: int | float, offset: timedelta, origin: str = "chart", index: int = 0) -> date:
    try:
        day = (datetime.fromtimestamp(int(stamp), timezone.utc).replace(tzinfo=None) + offset).date()
    except (TypeError, ValueError, OverflowError, OSError):
        raise PayloadError(origin, f"timestamp[{index}]: {stamp!r} is not a time in seconds") from None
    if not in_range(day):
        raise PayloadError(origin, f"timestamp[{index}]: {day} is outside the dates the store can hold")
    return day


def _price(value: Any, origin: str, where: str) -> float:
    """A finite float, or a PayloadError naming the row (JSON allows NaN, Infinity, "x")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadError(origin, f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise PayloadError(origin, f"{where}: {value!r} is not a finite number")
    return number


def parse_price_csv(text: str, origin: str, symbol: str) -> DailyBars:
    """A ``Date,Open,High,Low,Close[,Adj Close],Volume`` CSV; 'No data' is a PayloadError."""
    import pandas as pd

    stripped = text.strip()
    if not stripped or stripped.lower().startswith("no data"):
        raise PayloadError(origin, f"no data for {symbol} (unknown symbol or empty range)")
    try:
        table = pd.read_csv(io.StringIO(stripped), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise PayloadError(origin, f"not a price CSV: {exc}") from None
    columns = {c.strip().lower(): c for c in table.columns}
    if "date" not in columns or "close" not in columns:
        raise PayloadError(origin, f"not a price CSV: needs Date and Close columns, got {', '.join(table.columns)}")
    bars = DailyBars(symbol=symbol, adjusted=False)
    for line, row in enumerate(table.itertuples(index=False), start=2):
        record = dict(zip(table.columns, row))
        try:
            day = date.fromisoformat(record[columns["date"]].strip()[:10])
        except ValueError:
            raise PayloadError(origin, f"bad date {record[columns['date']]!r}", line) from None
        if not in_range(day):
            raise PayloadError(origin, f"date {day} is outside the dates the store can hold", line)
        bars.dates.append(day)
        for f in FIELDS:
            raw = record.get(columns.get(f, ""), "").strip()
            try:
                value = float(raw) if raw and raw.lower() not in ("null", "nan") else None
            except ValueError:
                raise PayloadError(origin, f"bad {f} value {raw!r}", line) from None
            if value is not None and not math.isfinite(value):
                raise PayloadError(origin, f"{f} value {raw!r} is not a finite number", line)
            bars.values[f].append(value)
    return bars


def to_batch(bars: DailyBars, ticker: str, origin: str, close_utc: time, now: datetime | None = None) -> Batch:
    """Point-in-time observations of ``px.TICKER.open|high|low|close|volume|split``.

    Sessions not yet closed at ``now`` (a bar of a running session) are left out."""
    batch = Batch()
    prefix = f"px.{ticker_key(ticker)}"
    # Without split events (CSV) a session's time is all we know: assumed, re-stamped when a
    # later download shows a changed value (see signalflow.sources.seen).
    basis = KnownAtBasis.RELEASE_TIME if bars.adjusted else KnownAtBasis.ASSUMED
    later = _later_factors(bars)
    for f in FIELDS:
        key = f"{prefix}.{f}"
        unit = "shares" if f == "volume" else bars.currency
        emitted = False
        for i, day in enumerate(bars.dates):
            value = bars.values[f][i]
            known = datetime.combine(day, close_utc)
            if value is None or (now is not None and known > now):
                continue  # a missing session, or one still trading
            emitted = True
            versions = later[i] if bars.adjusted else [(None, 1.0)]
            first_factor = versions[0][1]
            batch.observations.append(
                _obs(key, day, _scaled(value, first_factor, f), known, unit, f"{origin} {day.isoformat()}", basis)
            )
            for split, factor in versions[1:]:
                batch.observations.append(
                    _obs(
                        key,
                        day,
                        _scaled(value, factor, f),
                        datetime.combine(split.ex_date, time()),
                        unit,
                        f"{origin} {day.isoformat()} after the {split.text()}",
                    )
                )
        if emitted:
            title = f"{bars.symbol or ticker}: daily {f}" + ("" if f == "volume" else " (split-adjusted as known)")
            batch.series.append(SeriesInfo(key, "px", SeriesKind.LEVEL, unit, "daily", title))
    if bars.splits:
        key = f"{prefix}.{SPLIT}"
        for split in bars.splits:
            ex = datetime.combine(split.ex_date, time())
            if now is None or ex <= now:
                batch.observations.append(_obs(key, split.ex_date, split.ratio, ex, "ratio", f"{origin} {split.text()}"))
        batch.series.append(
            SeriesInfo(key, "px", SeriesKind.LEVEL, "ratio", "irregular", f"{bars.symbol or ticker}: stock splits")
        )
    return batch


def _later_factors(bars: DailyBars) -> list[list[tuple[Split | None, float]]]:
    """For each session: (None, the factor from the served value to the value as traded),
    then for each later split (split, the factor to the value as known after it)."""
    out = []
    for day in bars.dates:
        after = [s for s in bars.splits if s.ex_date > day]
        factors: list[tuple[Split | None, float]] = []
        remaining = 1.0
        for s in after:
            remaining *= s.ratio
        factors.append((None, remaining))
        for s in after:
            remaining /= s.ratio
            factors.append((s, remaining))
        out.append(factors)
    return out


def _scaled(value: float, factor: float, f: str) -> float:
    """``value`` taken to a share basis ``factor`` splits away (volumes move the other way)."""
    out = value / factor if f == "volume" else value * factor
    return round(out, 6) if f != "volume" else round(out)


def _obs(
    key: str, day: date, value: float, known: datetime, unit: str, ref: str, basis: KnownAtBasis = KnownAtBasis.RELEASE_TIME
) -> Observation:
    return Observation(
        series=key,
        period_start=day,
        period_end=day,
        value=value,
        known_at=known,
        unit=unit,
        source_ref=ref[:200],
        known_at_basis=basis,
    )
