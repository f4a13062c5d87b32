"""A kept snapshot on disk: gzip-compressed JSON, readable by any tool and any later version.

One document per snapshot: the :class:`Snapshot` fields, and each frame as its columns, their
dtypes and its rows (dates as ``YYYY-MM-DD``, a missing value as ``null``), so that
:func:`load_kept` gives back the frames that :func:`dump_kept` was given, cell for cell.
"""

from __future__ import annotations

import gzip
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import Snapshot

if TYPE_CHECKING:  # pandas is imported where a kept snapshot is read, not to name the file
    import pandas as pd

FORMAT = "signalflow.snapshot/1"
SUFFIX = ".json.gz"


def dump_kept(snapshot: Snapshot, path: Path) -> None:
    """Write ``snapshot`` to ``path`` atomically: a half-written file never replaces a kept one."""
    document = _document(snapshot)
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
    partial.replace(path)


def same_kept(a: Snapshot, b: Snapshot) -> bool:
    """Whether ``a`` and ``b`` would be kept as the same document, cell for cell (a missing
    value is a missing value, whether it was read as None or NaN)."""
    return _document(a) == _document(b)


def _document(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "publisher": snapshot.publisher,
        "kind": snapshot.kind,
        "origin": snapshot.origin,
        "as_of": snapshot.as_of.isoformat(),
        "as_of_basis": snapshot.as_of_basis,
        "power_basis": snapshot.power_basis,
        "warnings": list(snapshot.warnings),
        "projects": _frame(snapshot.projects),
        "timelines": None if snapshot.timelines is None else _frame(snapshot.timelines),
    }


def load_kept(path: Path) -> Snapshot:
    """The snapshot :func:`dump_kept` wrote; a damaged or foreign file raises PayloadError."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, EOFError, ValueError) as exc:
        raise PayloadError(str(path), f"not a readable kept snapshot ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PayloadError(str(path), f"not a kept snapshot of format {FORMAT}")
    timelines = document["timelines"]
    return Snapshot(
        publisher=document["publisher"],
        kind=document["kind"],
        origin=document["origin"],
        as_of=date.fromisoformat(document["as_of"]),
        as_of_basis=document["as_of_basis"],
        projects=_unframe(document["projects"]),
        timelines=None if timelines is None else _unframe(timelines),
        power_basis=document["power_basis"],
        warnings=tuple(document["warnings"]),
    )


def _frame(frame: pd.DataFrame) -> dict[str, Any]:
    dates = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, date) and not isinstance(v, datetime)).any()]
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
        "dates": dates,
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)],
    }


def _cell(value: Any) -> Any:
    import pandas as pd

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _unframe(data: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(data["rows"], columns=data["columns"], dtype=object)
    for column in data["columns"]:
        if column in data["dates"]:
            frame[column] = [date.fromisoformat(v) if v is not None else None for v in frame[column]]
        elif data["dtypes"][column] != "object":
            frame[column] = frame[column].astype(data["dtypes"][column])
    return frame
