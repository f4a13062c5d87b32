"""When EDGAR accepted each filing: the instant its facts became public.

``companyfacts`` dates a fact only by its filing's ``filed`` day; ``submissions`` gives each
accession's ``acceptanceDateTime`` (UTC, e.g. ``2024-08-01T22:03:34.000Z`` for a 10-Q filed
after 17:30 ET and dated the next business day). A fact is known from its accession's
acceptance where it is known, else from the end of its filing day in New York.

The times are kept per company in ``data_dir/sec_accepted/CIK##########.json`` (accession ->
ISO instant), written by collection and by importing a submissions file, and read when a
companyfacts file is imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from signalflow.sources.captured import parse_instant

CACHE_DIR = "sec_accepted"


def acceptance_times(submissions: Mapping) -> dict[str, datetime]:
    """accession -> acceptance instant (naive UTC) from a submissions payload, or from one of
    its older pages (``CIK##########-submissions-001.json``, the same arrays at the top)."""
    filings = submissions.get("filings")
    table = filings.get("recent") if isinstance(filings, Mapping) else submissions
    if not isinstance(table, Mapping):
        return {}
    accessions = table.get("accessionNumber") or []
    accepted = table.get("acceptanceDateTime") or []
    if not isinstance(accessions, list) or not isinstance(accepted, list):
        return {}
    out = {}
    for accn, stamp in zip(accessions, accepted):
        instant = parse_instant(stamp)
        if isinstance(accn, str) and instant is not None:
            out[accn] = instant
    return out


def cache_path(data_dir: Path, cik: int) -> Path:
    return Path(data_dir) / CACHE_DIR / f"CIK{cik:010d}.json"


def load(data_dir: Path, cik: int) -> dict[str, datetime]:
    """The acceptance times kept for ``cik`` (empty when none are)."""
    try:
        raw = json.loads(cache_path(data_dir, cik).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {k: t for k, v in raw.items() if (t := parse_instant(v)) is not None}


def remember(data_dir: Path, cik: int, times: Mapping[str, datetime]) -> dict[str, datetime]:
    """Add ``times`` to those kept for ``cik``; every time now kept."""
    merged = {**load(data_dir, cik), **times}
    if times:
        path = cache_path(data_dir, cik)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({k: v.isoformat() for k, v in sorted(merged.items())}, indent=0)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return merged
