"""The last gate before the store: every value finite, every date one the store can hold.

    check_batch(batch, "data/AAPL_companyfacts.json")    # PayloadError naming the row

A NaN read from ``"val": NaN`` would be stored as a missing value and become the current
version of its period, hiding the good value below it; ``1e400`` or ``Infinity`` would be
stored as infinity. A date past 2261 (or before 1678) cannot become a pandas timestamp,
which every frame of the evaluator is. Such a payload is refused whole, before anything of
it is written, with the series, period and reference of the first bad row.

``None`` stays a legal value: it is how sources say "no value for this period".
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING

from signalflow.errors import PayloadError
from signalflow.series import Batch, Observation

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

FIRST_DATE = date(1678, 1, 1)
LAST_DATE = date(2261, 12, 31)
"""The dates a ``datetime64[ns]`` frame can hold, with a margin for the evaluator's windows."""


def check_batch(batch: Batch, origin: str) -> None:
    """Raise :class:`PayloadError` for the first non-finite value or out-of-range date."""
    for index, obs in enumerate(batch.observations):
        problem = _observation_problem(obs)
        if problem:
            raise PayloadError(origin, f"{_row(obs, index)}: {problem}")
    if batch.frame is not None and len(batch.frame):
        _check_frame(batch.frame, origin)
    for event in batch.events:
        for name in ("mw", "amount_usd"):
            value = getattr(event, name)
            if value is not None and not _finite(value):
                raise PayloadError(origin, f"event {event.entry_id!r}: {name} {value!r} is not a finite number")
        if not in_range(event.published):
            raise PayloadError(origin, f"event {event.entry_id!r}: published {event.published} {_range_text()}")


def in_range(value: date | datetime | None) -> bool:
    """Whether the store and the evaluator's frames can hold ``value``."""
    if value is None:
        return True
    day = value.date() if isinstance(value, datetime) else value
    return FIRST_DATE <= day <= LAST_DATE


def _observation_problem(obs: Observation) -> str:
    if obs.value is not None and not _finite(obs.value):
        return f"value {obs.value!r} is not a finite number"
    for name in ("period_start", "period_end", "known_at"):
        if not in_range(getattr(obs, name)):
            return f"{name} {getattr(obs, name)} {_range_text()}"
    return ""


def _check_frame(frame: pd.DataFrame, origin: str) -> None:
    import numpy as np
    import pandas as pd

    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    bad = np.isinf(values)
    for column in ("period_start", "period_end", "known_at"):
        stamps = pd.to_datetime(frame[column], errors="coerce")
        outside = (stamps < pd.Timestamp(FIRST_DATE)) | (stamps > pd.Timestamp(LAST_DATE))
        unreadable = stamps.isna() & frame[column].notna()  # a date pandas cannot hold (year 9999)
        bad |= (outside | unreadable).to_numpy()
    if bad.any():
        row = frame.iloc[int(np.argmax(bad))]
        ref = f" ({row['source_ref']})" if row.get("source_ref") else ""
        raise PayloadError(
            origin,
            f"{row['series']} period {_day(row['period_end'])}{ref}: "
            f"value {row['value']!r} must be finite and dates within {FIRST_DATE}..{LAST_DATE}",
        )


def _finite(value: object) -> bool:
    try:
        return math.isfinite(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _row(obs: Observation, index: int) -> str:
    ref = f" ({obs.source_ref})" if obs.source_ref else ""
    return f"row {index + 1}: {obs.series} period {_day(obs.period_end)}{ref}"


def _day(value: object) -> str:
    import pandas as pd

    return value.isoformat()[:10] if isinstance(value, (date, datetime, pd.Timestamp)) else str(value)


def _range_text() -> str:
    return f"is outside the dates the store can hold ({FIRST_DATE}..{LAST_DATE})"
