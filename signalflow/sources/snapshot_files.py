"""Snapshot files as sources: ``grid`` (interconnection queues) and ``dc`` (Epoch AI data centers).

``signalflow import FILE [--known-at DATE]`` hands each publisher's file here: the file is read
(:mod:`signalflow.sources.snapshots`), dated by ``--known-at`` when given, else by the date the
file carries (ERCOT and CAISO run dates, NYISO's saved date; PJM, MISO and Epoch files carry
none and need ``--known-at``). Each imported snapshot is kept whole under
``data_dir/snapshots/PUBLISHER/DATE.pkl`` (the normalized frame, timelines and metadata), so the
next import is compared with the snapshot before it in date order, whatever order the files
come in: the batch holds the snapshot's levels and, when an earlier snapshot of the same
publisher is kept, the changes since it. A file that cannot be read raises
:class:`~signalflow.errors.PayloadError` naming the file and row, and no kept snapshot changes.

A snapshot imported out of order (older than one already kept) is compared with the one before
it; the newer snapshot's changes, already stored, were computed against an older neighbour, and
the batch warns so.

Example::

    signalflow import GIS_Report_November2025.xlsx          # dated by its run date
    signalflow import data_centers.csv --known-at 2026-07-06
"""

from __future__ import annotations

import pickle
from collections.abc import MutableMapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar

from signalflow.errors import PayloadError
from signalflow.series import DC_CHANGES, GRID_CHANGES, Batch
from signalflow.sources.base import Source
from signalflow.sources.snapshots import Snapshot, detect_publisher, read_snapshot, snapshot_batch

GRID_PUBLISHERS = ("caiso", "ercot", "miso", "nyiso", "pjm")

# Epoch's owners as the watch list's tickers: ``dc.power_mw[AMZN]``. Others keep their name
# upper-cased (``dc.power_mw[XAI]``).
OWNER_TICKERS = {
    "Alibaba": "BABA",
    "Amazon": "AMZN",
    "CoreWeave": "CRWV",
    "Google": "GOOGL",
    "Google Cloud": "GOOGL",
    "Meta": "META",
    "Microsoft": "MSFT",
    "Oracle": "ORCL",
}

_GRID_LEVELS = ("queue_mw", "queue_count", "load_mw", "load_count")
_DC_LEVELS = ("power_mw", "sites", "h100e")


def _is_timelines(head: str) -> bool:
    """An Epoch timelines file: one row per site and milestone (``Data center``, ``Date``)."""
    columns = {c.strip().strip('"') for c in head.split("\n", 1)[0].split(",")}
    return {"Data center", "Date"} <= columns and "Current power (MW)" not in columns


def snapshot_dir(data_dir: Path, publisher: str) -> Path:
    return data_dir / "snapshots" / publisher


def kept_snapshots(data_dir: Path, publisher: str) -> list[date]:
    """The dates of the snapshots kept for ``publisher``, oldest first."""
    folder = snapshot_dir(data_dir, publisher)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.pkl"):
        try:
            found.append(date.fromisoformat(path.stem))
        except ValueError:
            continue
    return sorted(found)


def load_snapshot(data_dir: Path, publisher: str, when: date) -> Snapshot:
    with (snapshot_dir(data_dir, publisher) / f"{when.isoformat()}.pkl").open("rb") as handle:
        return pickle.load(handle)  # written by keep_snapshot, never by anyone else


def keep_snapshot(data_dir: Path, snapshot: Snapshot) -> Path:
    """Save the snapshot whole (atomically: a half-written file never replaces a kept one)."""
    folder = snapshot_dir(data_dir, snapshot.publisher)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{snapshot.as_of.isoformat()}.pkl"
    partial = target.with_suffix(".partial")
    with partial.open("wb") as handle:
        pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(target)
    return target


class SnapshotSource(Source):
    """Imports one family of snapshot files; ``collect`` has nothing to fetch yet (the files
    are imported), so the daemon's runs return an empty batch."""

    publishers: ClassVar[tuple[str, ...]] = ()

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        return Batch()

    def sniff(self, path: Path, head: bytes) -> bool:
        if Path(path).suffix.lower() not in (".xlsx", ".xlsm", ".csv"):
            return False
        if self.name == "dc" and _is_timelines(head.decode("utf-8-sig", errors="replace")):
            return True  # read together with its sites file; see import_file
        try:
            return detect_publisher(path) in self.publishers
        except (PayloadError, OSError, ValueError):
            return False
        except Exception:  # a damaged workbook is no snapshot of ours
            return False

    def import_file(self, path: Path, *, known_at: datetime | None = None) -> Batch:
        """The snapshot's levels and, against the kept snapshot before it, its changes."""
        path = Path(path)
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8-sig", errors="replace")
        if self.name == "dc" and _is_timelines(head):
            return Batch(warnings=[f"{path.name}: a timelines file is read with its data_centers file beside it"])
        snapshot = read_snapshot(path, as_of=known_at.date() if known_at else None)
        if snapshot.publisher not in self.publishers:
            raise PayloadError(path.name, f"a {snapshot.publisher} file, not one of {self.name}")
        data_dir = self.settings.data_dir
        kept = kept_snapshots(data_dir, snapshot.publisher)
        earlier = [d for d in kept if d < snapshot.as_of]
        previous = load_snapshot(data_dir, snapshot.publisher, earlier[-1]) if earlier else None
        when = known_at or datetime.combine(snapshot.as_of, datetime.min.time())
        batch = snapshot_batch(snapshot, when, previous, OWNER_TICKERS)
        later = [d for d in kept if d > snapshot.as_of]
        if later:
            batch.warnings.append(
                f"{path.name}: imported after the {snapshot.publisher} snapshot of {later[0]}, whose "
                "changes were computed without this one; import snapshots in date order"
            )
        keep_snapshot(data_dir, snapshot)
        return batch

    def check_ref(self, ref: str) -> str | None:
        parts = ref.split("[", 1)[0].split(".")
        if self.name == "grid":
            if len(parts) < 3 or parts[1] not in GRID_PUBLISHERS:
                return f"{ref}: grid references read grid.ISO.MEASURE, ISO one of {', '.join(GRID_PUBLISHERS)}"
            if parts[2] not in GRID_CHANGES and parts[2] not in _GRID_LEVELS:
                known = ", ".join(sorted(GRID_CHANGES) + list(_GRID_LEVELS))
                return f"{ref}: no such queue measure {parts[2]!r}; known: {known}"
            return None
        if len(parts) < 2 or (parts[1] not in DC_CHANGES and parts[1] not in _DC_LEVELS):
            known = ", ".join(sorted(DC_CHANGES) + list(_DC_LEVELS))
            return f"{ref}: no such data-center measure; known: {known}"
        return None


class GridSource(SnapshotSource):
    """Grid interconnection queues: ``grid.ISO.queue_mw``, ``grid.ISO.cod_slip.mw``, ..."""

    name = "grid"
    publishers = GRID_PUBLISHERS


class DcSource(SnapshotSource):
    """Epoch AI's Frontier Data Centers: ``dc.power_mw[AMZN]``, ``dc.site_added``, ..."""

    name = "dc"
    publishers = ("epoch",)
