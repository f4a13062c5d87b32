"""Snapshot files of the power pipeline: grid interconnection queues and AI data-center build-outs.

Publishers post these as whole files that change every month: ERCOT's GIS report, the PJM,
NYISO, MISO and CAISO queue exports, Epoch AI's Frontier Data Centers. Each file is one
snapshot; what matters is what changed between two of them.

Reading. :func:`read_snapshot` recognizes the publisher from the file's content (sheet names,
header), never from its name, and returns a :class:`Snapshot`: a normalized frame (grid:
:data:`GRID_COLUMNS`; data centers: :data:`DC_COLUMNS` plus :data:`TIMELINE_COLUMNS`) and the
date the data represents. ERCOT and CAISO print a run date and NYISO's workbook carries its saved
date; PJM, MISO and Epoch files carry none, so ``as_of`` must be given (a given date always
wins). One module per publisher (``ercot``, ``pjm``, ``nyiso``, ``miso``, ``caiso``, ``epoch``)
keeps the publisher's id as written (NYISO's ``0979`` stays a string) and maps its status words
onto :data:`STATUSES`; a row whose status is no known word (MISO's published placeholder
``AA1234``, "fish mango watermelon") is dropped with a warning. A file that cannot be read raises :class:`~signalflow.errors.PayloadError` naming the
file and, where known, the sheet and row.

Comparing. :func:`diff_snapshots` (older first) returns :class:`Change` values keyed by the
publisher's id, with a rename fallback described there:

* queues: ``cod_slip`` and ``cod_pull_in`` (``mw``, ``days``, old and new COD), ``withdrawn``,
  ``completed``, ``new_request`` (new, or back from withdrawn), ``mw_change``, ``removed`` (gone without saying why);
* data centers: ``site_added``, ``site_removed``, ``power_change`` (``mw`` = new - old),
  ``timeline_slip`` (a projected milestone reached later or dropped), ``basis_change`` (current
  power switched between facility and IT power: no power changes are reported across it);
* both: ``renamed``.

Series. :func:`levels` gives ``grid.ISO.queue_mw``, ``grid.ISO.queue_mw.FUEL``,
``grid.ISO.queue_count``, ``grid.ISO.load_mw`` (NYISO large loads), ``dc.power_mw``,
``dc.sites``, ``dc.power_mw[OWNER]`` and ``dc.h100e[OWNER]``. :func:`level_observations` and
:func:`change_observations` turn levels and changes into :class:`~signalflow.series.Observation`
rows (``grid.ISO.cod_slip.mw``, ``grid.ISO.cod_slip.days``, ``dc.power_change.mw``, ...), with
``known_at`` the publication instant the caller passes and ``source_ref`` ``file#id``;
:func:`change_events` gives one :class:`~signalflow.series.Event` per change for a readable log;
:func:`snapshot_batch` bundles all of it, with :class:`~signalflow.series.SeriesInfo`, as a
:class:`~signalflow.series.Batch`, and :func:`snapshot_history` does so for several snapshots
in the order of their dates.

Example::

    old = read_snapshot("GIS_Report_November2025.xlsx")
    new = read_snapshot("file.xlsx")                       # ERCOT, Dec 2025
    slips = [c for c in diff_snapshots(old, new) if c.kind == "cod_slip"]
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from signalflow.errors import PayloadError
from signalflow.sources.snapshots._common import (
    DC_COLUMNS,
    GRID_COLUMNS,
    STATUSES,
    TIMELINE_COLUMNS,
    Snapshot,
    parse_date,
    sheet_names,
)
from signalflow.sources.snapshots.diff import Change, diff_snapshots
from signalflow.sources.snapshots.epoch import read_epoch
from signalflow.sources.snapshots.caiso import read_caiso
from signalflow.sources.snapshots.ercot import read_ercot
from signalflow.sources.snapshots.miso import read_miso
from signalflow.sources.snapshots.nyiso import read_nyiso
from signalflow.sources.snapshots.pjm import read_pjm
from signalflow.sources.snapshots.series import (
    change_events,
    change_observations,
    level_observations,
    levels,
    owner_key,
    snapshot_batch,
    snapshot_history,
)

__all__ = [
    "DC_COLUMNS",
    "GRID_COLUMNS",
    "STATUSES",
    "TIMELINE_COLUMNS",
    "Change",
    "Snapshot",
    "change_events",
    "change_observations",
    "detect_publisher",
    "diff_snapshots",
    "level_observations",
    "levels",
    "owner_key",
    "parse_date",
    "read_caiso",
    "read_epoch",
    "read_ercot",
    "read_miso",
    "read_nyiso",
    "read_pjm",
    "read_snapshot",
    "snapshot_batch",
    "snapshot_history",
]

_SHEET_MARKERS = {
    "project details - large gen": "ercot",
    "definitions-mapping": "pjm",
    "interconnection queue": "nyiso",
    "grid generationqueue": "caiso",
}


def detect_publisher(path: Path | str) -> str:
    """Which publisher's file this is, from its sheets (workbooks) or header (CSV)."""
    path = Path(path)
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK"):
        for name in sheet_names(path, path.name):
            if name.strip().casefold() in _SHEET_MARKERS:
                return _SHEET_MARKERS[name.strip().casefold()]
        raise PayloadError(path.name, "a workbook of no known publisher (no ERCOT, PJM, NYISO or CAISO sheet)")
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    if '"Project #"' in header or header.startswith("Project #"):
        return "miso"
    if "Current power (MW)" in header:
        return "epoch"
    raise PayloadError(path.name, "a CSV of no known publisher (no MISO or Epoch AI header)", 1)


def read_snapshot(path: Path | str, as_of: date | None = None, publisher: str | None = None) -> Snapshot:
    """Read any supported file; ``publisher`` is detected when not given."""
    found = publisher or detect_publisher(path)
    if found == "epoch":
        if as_of is None:
            raise PayloadError(Path(path).name, "Epoch AI exports carry no date of their own; pass as_of")
        return read_epoch(path, as_of)
    readers = {"ercot": read_ercot, "pjm": read_pjm, "nyiso": read_nyiso, "miso": read_miso, "caiso": read_caiso}
    if found not in readers:
        raise ValueError(f"unknown publisher {found!r}; known: epoch, {', '.join(readers)}")
    return readers[found](path, as_of=as_of)
