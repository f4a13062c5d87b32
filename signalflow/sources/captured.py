"""When a saved payload was captured, when its name or wrapper says so.

A value signalflow holds is known no later than the moment it was collected. For a payload
collected now that moment is the clock; for a saved file it is the capture time the file
states: a name that begins with an ISO instant (``2026-07-02T16-04-26-00-00_9e8b8abf97.json``,
``2026-07-02T16:04:26Z.json``; ``-`` may stand for ``:``, no offset means UTC), or a
wrapper's ``fetched_at``. A file that says nothing caps nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

_STAMP = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2})[T_ ](?P<h>\d{2})[-:]?(?P<m>\d{2})[-:]?(?P<s>\d{2})"
    r"(?:\.\d+)?(?:(?P<z>Z)|(?P<sign>[-+])(?P<oh>\d{2})[-:]?(?P<om>\d{2}))?"
)


def captured_at(path: Path | str) -> datetime | None:
    """The capture instant a file name begins with, as naive UTC, or None."""
    match = _STAMP.match(Path(path).name)
    if not match:
        return None
    try:
        local = datetime.fromisoformat(f"{match['day']}T{match['h']}:{match['m']}:{match['s']}")
    except ValueError:
        return None
    if match["sign"]:
        offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"]))
        local -= offset if match["sign"] == "+" else -offset
    return local


def parse_instant(text: object) -> datetime | None:
    """An ISO 8601 instant (``2026-06-22T00:00:00Z``, with or without an offset: UTC) as naive
    UTC, or None when it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        stamp = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return stamp
