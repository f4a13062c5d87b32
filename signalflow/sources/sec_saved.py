"""Saved SEC files: which payload a file holds (companyfacts, submissions or the ticker map),
its company's CIK, and the acceptance times of submissions files saved beside it."""

from __future__ import annotations

import json
from pathlib import Path

from signalflow.errors import PayloadError
from signalflow.sources.sec_accepted import acceptance_times


def read_payload(path: Path) -> tuple[str, dict, dict]:
    """(kind, payload, metadata) of a saved SEC file; kind is companyfacts, submissions or tickers.

    Accepts the plain API reply and the ``{"metadata": ..., "raw_payload": ...}`` wrapping."""
    try:
        data = json.loads(Path(path).read_bytes())
    except json.JSONDecodeError as exc:
        raise PayloadError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except OSError as exc:
        raise PayloadError(str(path), f"cannot read: {exc.strerror}") from None
    metadata: dict = {}
    if isinstance(data, dict) and isinstance(data.get("raw_payload"), dict):
        metadata = data.get("metadata") or {}
        data = data["raw_payload"]
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        return "companyfacts", data, metadata
    if isinstance(data, dict) and isinstance(data.get("filings"), dict):
        return "submissions", data, metadata
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "cik_str" in v for v in data.values()):
        return "tickers", data, metadata
    raise PayloadError(str(path), "not an SEC companyfacts, submissions or company_tickers payload")


def _beside(path: Path, cik: int) -> dict:
    """Acceptance times from the submissions files of company ``cik`` in ``path``'s folder."""
    times: dict = {}
    for other in sorted(path.parent.glob("*.json")):
        name = other.name.lower()
        if other == path or ("submissions" not in name and f"{cik:010d}" not in name):
            continue
        try:
            kind, payload, _ = read_payload(other)
        except PayloadError:
            continue
        if kind == "submissions" and int(payload.get("cik") or 0) == cik:
            times.update(acceptance_times(payload))
    return times


def _cik(payload: dict, path: Path) -> int:
    """The payload's CIK as a number, or a PayloadError naming the file."""
    raw = payload.get("cik") or 0
    try:
        return int(str(raw).strip())
    except ValueError:
        raise PayloadError(str(path), f"'cik' is not a number: {str(raw)[:40]!r}") from None
