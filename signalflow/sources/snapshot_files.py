"""Snapshot files as sources: ``grid`` (interconnection queues) and ``dc`` (Epoch AI data centers).

``signalflow import FILE [--known-at DATE]`` hands each publisher's file here: the file is read
(:mod:`signalflow.sources.snapshots`), dated by ``--known-at`` when given, else by the date the
file carries (ERCOT and CAISO run dates, NYISO's saved date; PJM, MISO and Epoch files carry
none and need ``--known-at``). A file dated by itself is known from the end of that day in the
publisher's time zone (``KnownAtBasis.END_OF_DAY``, :data:`~signalflow.series.PUBLISHER_ZONES`),
never from its 00:00 UTC; ``--known-at`` is taken as the instant given. Each imported snapshot is kept whole under
``data_dir/snapshots/PUBLISHER/INSTANT.json.gz``, named by the instant it is known at in UTC
(``20261202T130512Z.json.gz``: two changes of a file on one day are two kept snapshots), as
gzip JSON (the normalized frame, timelines and metadata, :mod:`signalflow.sources.snapshots.kept`).
Snapshots earlier versions kept as ``DATE.json.gz`` are read in place as known from the end
of that day in the publisher's time zone, as a self-dated file is; pickles they kept are
converted once, when the folder is next read. The next import is compared with the snapshot
before it in the order of those instants, whatever order the files come in: the batch holds
the snapshot's levels and, when an earlier snapshot of the same publisher is kept, the
changes since it. A snapshot equal to the one kept before it is not kept twice. A file that
cannot be read raises :class:`~signalflow.errors.PayloadError` naming the file and row, and
no kept snapshot changes.

Collecting. With a URL set (``grid_ercot_url``, ``grid_pjm_url``, ``grid_nyiso_url``,
``grid_miso_url``, ``grid_caiso_url``, ``dc_epoch_url``) the daemon fetches the publisher's file
on the source's ``schedule`` with a conditional GET (:mod:`signalflow.sources.snapshot_fetch`):
an unchanged file stores nothing; a new one is kept and diffed like an import, known at the
instant it was fetched. A publisher without a URL is skipped quietly, its series waiting for
the setting (``signalflow status``, the start-up summary of ``signalflow run``).

A folder is imported in date order: :meth:`SnapshotSource.file_date` dates the self-dated
files (ERCOT, CAISO, NYISO) from their content, whatever their names say, reading each once.
A snapshot imported out of order (older than one already kept) is compared with the one before
it; the newer snapshot's changes, already stored, were computed against an older neighbour, and
the batch warns so.

Example::

    signalflow import GIS_Report_November2025.xlsx          # dated by its run date
    signalflow import data_centers.csv --known-at 2026-07-06
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import MutableMapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

from signalflow.errors import PayloadError
from signalflow.series import DC_CHANGES, GRID_CHANGES, Batch, KnownAtBasis, end_of_day, publisher_zone
from signalflow.sources.base import Source
from signalflow.sources.snapshot_settings import DcSettings, GridSettings
from signalflow.sources.snapshots import Snapshot, detect_publisher, read_snapshot, snapshot_batch
from signalflow.sources.snapshots.kept import SUFFIX, dump_kept, load_kept, same_kept

log = logging.getLogger(__name__)

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
STAMP = "%Y%m%dT%H%M%SZ"  # a kept snapshot's name: the instant it is known at, UTC
_STAMPED = re.compile(r"\d{8}T\d{6}Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # how earlier versions named a kept snapshot
_DC_LEVELS = ("power_mw", "sites", "h100e")


def _is_timelines(head: str) -> bool:
    """An Epoch timelines file: one row per site and milestone (``Data center``, ``Date``)."""
    columns = {c.strip().strip('"') for c in head.split("\n", 1)[0].split(",")}
    return {"Data center", "Date"} <= columns and "Current power (MW)" not in columns


def snapshot_dir(data_dir: Path, publisher: str) -> Path:
    return data_dir / "snapshots" / publisher


def kept_snapshots(data_dir: Path, publisher: str) -> list[datetime]:
    """The instants (naive UTC) the snapshots kept for ``publisher`` are known at, oldest first."""
    return list(_kept(data_dir, publisher))


def kept_instant(name: str, publisher: str) -> datetime | None:
    """When the kept snapshot file ``name`` is known: the instant it is named by, or for a file
    an earlier version named by its date, the end of that day in the publisher's time zone
    (never before the publisher's day was over); None for any other file."""
    stem = name.removesuffix(SUFFIX)
    if _STAMPED.fullmatch(stem):
        return datetime.strptime(stem, STAMP)
    if _DAY.fullmatch(stem):
        return end_of_day(date.fromisoformat(stem), _zone(publisher))
    return None


def _zone(publisher: str) -> str:
    return publisher_zone(f"{'dc' if publisher == 'epoch' else 'grid'}.{publisher}")


def _kept(data_dir: Path, publisher: str) -> dict[datetime, Path]:
    """The kept snapshot files by instant, oldest first."""
    folder = snapshot_dir(data_dir, publisher)
    if not folder.is_dir():
        return {}
    migrate_pickles(folder)
    found: dict[datetime, Path] = {}
    # keep_snapshot never names a second file for a kept instant; were a day-named and an
    # instant-named file the same instant all the same, the latter (sorted after it) is read.
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        at = kept_instant(path.name, publisher)
        if at is not None:
            found[at] = path
    return dict(sorted(found.items()))


def _instant(when: datetime) -> datetime:
    """``when`` as a kept snapshot's name holds it: naive UTC, to the second."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _slot(kept: dict[datetime, Path], snapshot: Snapshot, when: datetime) -> datetime:
    """The instant to keep ``snapshot`` under: ``when``, unless a different snapshot is kept for
    it (a day-named file whose day ends then, two files dated alike), then the next free second,
    so that neither is lost. The same snapshot kept for it stands (the same file imported again)."""
    at = _instant(when)
    while at in kept and not same_kept(load_kept(kept[at]), snapshot):
        at += timedelta(seconds=1)
    return at


def migrate_pickles(folder: Path) -> list[Path]:
    """Convert the ``DATE.pkl`` snapshots earlier versions kept to gzip JSON, once: each is
    rewritten as ``DATE.json.gz`` and the pickle removed. Returns the files written."""
    written = []
    for old in sorted(folder.glob("*.pkl")):
        with old.open("rb") as handle:
            snapshot = pickle.load(handle)  # written by an earlier keep_snapshot, never by anyone else
        target = folder / f"{old.stem}{SUFFIX}"
        dump_kept(snapshot, target)
        old.unlink()
        log.info("kept snapshot converted from pickle", extra={"path": str(target)})
        written.append(target)
    return written


def load_snapshot(data_dir: Path, publisher: str, when: datetime) -> Snapshot:
    """The snapshot kept for ``publisher`` at the instant ``when`` (one of :func:`kept_snapshots`)."""
    kept = _kept(data_dir, publisher)
    if _instant(when) not in kept:
        raise FileNotFoundError(f"no {publisher} snapshot kept for {_instant(when):%Y-%m-%d %H:%M:%S} UTC")
    return load_kept(kept[_instant(when)])


def keep_snapshot(data_dir: Path, snapshot: Snapshot, when: datetime) -> Path:
    """Save the snapshot whole as known at ``when`` (atomically: a half-written file never
    replaces a kept one), or a second later when a different snapshot is kept for ``when``; the
    same snapshot kept for it is left as it is. Never replaces another kept snapshot."""
    kept = _kept(data_dir, snapshot.publisher)
    at = _slot(kept, snapshot, when)
    if at in kept:
        return kept[at]
    folder = snapshot_dir(data_dir, snapshot.publisher)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{at.strftime(STAMP)}{SUFFIX}"
    dump_kept(snapshot, target)
    return target


# Publishers whose files print the date they represent; the others are dated by the fetch.
_SELF_DATED = frozenset({"ercot", "caiso", "nyiso"})


class SnapshotSource(Source):
    """One family of snapshot files, fetched from the publishers' URLs or imported."""

    publishers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._read: dict[tuple[str, int, int], Snapshot] = {}  # files read by file_date

    def publisher_of(self, ref: str) -> str:
        parts = ref.split("[", 1)[0].split(".")
        if self.name == "dc":
            return "epoch"
        return parts[1] if len(parts) > 1 else ""

    def url(self, publisher: str) -> str | None:
        """The URL ``publisher``'s file is fetched from, or None (import only)."""
        config = self.config
        url = None
        if isinstance(config, DcSettings):
            url = config.epoch_url if publisher == "epoch" else None
        elif isinstance(config, GridSettings):
            urls = {"ercot": config.ercot_url, "pjm": config.pjm_url, "nyiso": config.nyiso_url,
                    "miso": config.miso_url, "caiso": config.caiso_url}
            url = urls.get(publisher)
        return url.get_secret_value() if url is not None else None

    def needs(self, ref: str) -> str | None:
        publisher = self.publisher_of(ref)
        if publisher not in self.publishers or self.url(publisher):
            return None
        return f"SIGNALFLOW_{self.name.upper()}_{publisher.upper()}_URL (or `signalflow import` its files)"

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Fetch each referenced publisher's file whose URL is set; a failing server is raised
        (naming the URL) when every publisher failed, else a warning, and keeps its snapshots."""
        from signalflow.sources.collect import collect_each
        from signalflow.sources.http import HttpClient

        wanted = sorted({self.publisher_of(r) for r in refs if self.handles(r)})
        todo = [p for p in wanted if p in self.publishers and self.url(p)]
        http = self.http or HttpClient(self.name, user_agent="signalflow (snapshot files)")
        try:
            return collect_each(todo, lambda publisher: self._fetch(http, publisher, state), source=self.name)
        finally:
            if self.http is None:
                http.close()

    def _fetch(self, http, publisher: str, state: MutableMapping[str, str]) -> Batch:
        from signalflow.sources.snapshot_fetch import discard, fetch_snapshot, remember

        url = self.url(publisher)
        now = self.clock()
        download = fetch_snapshot(http, publisher, url, state, snapshot_dir(self.settings.data_dir, publisher), now)
        if download is None:
            return Batch()
        try:
            as_of = None if publisher in _SELF_DATED else now.date()
            snapshot = read_snapshot(download.path, as_of=as_of, publisher=publisher if publisher == "epoch" else None)
            if snapshot.publisher != publisher:
                raise PayloadError(download.url, f"serves a {snapshot.publisher} file, not {publisher}")
        except PayloadError as exc:
            discard(download, state)
            raise PayloadError(download.url, str(exc)) from exc
        except Exception:
            discard(download, state)
            raise
        batch = self._keep(snapshot, now, KnownAtBasis.COLLECTED)
        remember(download, state)
        return batch

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

    def file_date(self, path: Path, head: bytes) -> date | None:
        """The date a self-dated file (ERCOT, CAISO, NYISO) represents; the file is read once
        here and the import reuses it."""
        try:
            publisher = detect_publisher(path)
        except (PayloadError, OSError, ValueError):
            return None
        if publisher not in _SELF_DATED:
            return None
        snapshot = read_snapshot(path, publisher=publisher)
        self._read[self._cache_key(path)] = snapshot
        return snapshot.as_of

    @staticmethod
    def _cache_key(path: Path) -> tuple[str, int, int]:
        stat = path.stat()
        return str(path.resolve()), stat.st_mtime_ns, stat.st_size

    def import_file(self, path: Path, *, known_at: datetime | None = None) -> Batch:
        """The snapshot's levels and, against the kept snapshot before it, its changes."""
        path = Path(path)
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8-sig", errors="replace")
        if self.name == "dc" and _is_timelines(head):
            return Batch(warnings=[f"{path.name}: a timelines file is read with its data_centers file beside it"])
        cached = None if known_at else self._read.pop(self._cache_key(path), None)
        snapshot = cached or read_snapshot(path, as_of=known_at.date() if known_at else None)
        if snapshot.publisher not in self.publishers:
            raise PayloadError(path.name, f"a {snapshot.publisher} file, not one of {self.name}")
        if known_at is not None:
            return self._keep(snapshot, known_at, KnownAtBasis.REPORTED)
        # A date-only publication is visible from the end of the publisher's day (as FRED and
        # EIA dates are): ERCOT runs its report at 08:00 Central and posts it later that day.
        return self._keep(snapshot, end_of_day(snapshot.as_of, _zone(snapshot.publisher)), KnownAtBasis.END_OF_DAY)

    def _keep(self, snapshot: Snapshot, when: datetime, basis: KnownAtBasis) -> Batch:
        """Keep the snapshot whole; its levels and its changes since the kept one before it."""
        data_dir = self.settings.data_dir
        kept = _kept(data_dir, snapshot.publisher)
        slot = _slot(kept, snapshot, when)
        if slot != _instant(when):  # a different snapshot is kept for that second: this one comes after it
            when = slot
        earlier = [path for at, path in kept.items() if at < slot]
        previous = load_kept(earlier[-1]) if earlier else None
        if previous is not None and same_kept(previous, snapshot):
            # The snapshot kept last, again (a server ignoring validators before its digest was
            # remembered, or a store that failed after the snapshot was kept): not kept twice,
            # and its changes given once more, so that ones never stored are stored now.
            before = load_kept(earlier[-2]) if len(earlier) > 1 else None
            return snapshot_batch(snapshot, when, before, OWNER_TICKERS, basis)
        batch = snapshot_batch(snapshot, when, previous, OWNER_TICKERS, basis)
        later = [at for at in kept if at > slot]
        if later:
            batch.warnings.append(
                f"{snapshot.origin}: imported after the {snapshot.publisher} snapshot known at "
                f"{later[0]:%Y-%m-%d %H:%M:%S} UTC, whose changes were computed without this one; "
                "import snapshots in date order"
            )
        keep_snapshot(data_dir, snapshot, when)
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
    config_model = GridSettings
    publishers = GRID_PUBLISHERS


class DcSource(SnapshotSource):
    """Epoch AI's Frontier Data Centers: ``dc.power_mw[AMZN]``, ``dc.site_added``, ..."""

    name = "dc"
    config_model = DcSettings
    publishers = ("epoch",)
