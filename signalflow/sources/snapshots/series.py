"""Snapshots and their changes as signalflow series: levels, change observations, events.

Series keys (``ISO`` is the publisher: ercot, pjm, nyiso, miso, caiso):

* levels of one snapshot: ``grid.ISO.queue_mw``, ``grid.ISO.queue_count``,
  ``grid.ISO.queue_mw.FUEL``, ``grid.ISO.load_mw``, ``grid.ISO.load_count``; ``dc.power_mw``,
  ``dc.sites``, ``dc.power_mw[OWNER]``, ``dc.h100e[OWNER]``;
* changes between two: ``grid.ISO.KIND.mw`` and, for COD moves, ``grid.ISO.KIND.days``;
  ``dc.KIND.mw`` and ``dc.timeline_slip.days``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime

from signalflow.series import Batch, Event, KnownAtBasis, Observation, SeriesInfo, SeriesKind
from signalflow.sources.snapshots._common import Snapshot, slug
from signalflow.sources.snapshots.diff import Change, diff_snapshots


_UNMEASURED = frozenset({"renamed", "basis_change"})


def _grid_prefix(snapshot: Snapshot) -> str:
    return f"grid.{snapshot.publisher}"


def owner_key(owner: str, tickers: Mapping[str, str] | None = None) -> str:
    """The bracket key of an owner: its ticker from ``tickers`` (case-insensitive), else its name
    upper-cased with spaces as underscores (``Google Cloud`` -> ``GOOGLE_CLOUD``)."""
    if tickers:
        folded = {k.casefold(): v for k, v in tickers.items()}
        if owner.casefold() in folded:
            return folded[owner.casefold()]
    return re.sub(r"\s+", "_", owner.strip()).upper() or "UNKNOWN"


def levels(snapshot: Snapshot, tickers: Mapping[str, str] | None = None) -> dict[str, float]:
    """The snapshot's levels by series key.

    Queues: ``grid.ISO.queue_mw`` (active generation requests), ``grid.ISO.queue_count``,
    ``grid.ISO.queue_mw.FUEL`` (fuel slugged: ``natural_gas``), and where the queue lists large
    loads (NYISO ``L``) ``grid.ISO.load_mw`` and ``grid.ISO.load_count``, kept out of the
    generation totals. Data centers: ``dc.power_mw``, ``dc.sites``, and by owner
    ``dc.power_mw[KEY]``, ``dc.h100e[KEY]`` (see :func:`owner_key`).
    """
    out: dict[str, float] = {}
    frame = snapshot.projects
    if snapshot.kind == "grid":
        prefix = _grid_prefix(snapshot)
        active = frame[frame["status"] == "active"]
        generation, loads = active[~active["is_load"]], active[active["is_load"]]
        out[f"{prefix}.queue_mw"] = float(generation["mw"].sum())
        out[f"{prefix}.queue_count"] = float(len(generation))
        for fuel, rows in generation.groupby(generation["fuel"].map(slug)):
            out[f"{prefix}.queue_mw.{fuel}"] = float(rows["mw"].sum())
        if len(loads):
            out[f"{prefix}.load_mw"] = float(loads["mw"].sum())
            out[f"{prefix}.load_count"] = float(len(loads))
        return out
    out["dc.power_mw"] = float(frame["power_mw"].sum())
    out["dc.sites"] = float(len(frame))
    keys = frame["owner"].map(lambda o: owner_key(o, tickers) if o else "UNKNOWN")
    for key, rows in frame.groupby(keys):
        out[f"dc.power_mw[{key}]"] = float(rows["power_mw"].sum())
        out[f"dc.h100e[{key}]"] = float(rows["h100e"].fillna(0).sum())
    return out


def _unit(snapshot: Snapshot, key: str) -> str:
    if key.startswith("dc.power_mw"):
        return f"MW ({snapshot.power_basis} power)"
    if "count" in key or key.startswith("dc.sites"):
        return "count"
    if key.startswith("dc.h100e"):
        return "H100e"
    return "MW"


def level_observations(
    snapshot: Snapshot,
    known_at: datetime,
    tickers: Mapping[str, str] | None = None,
    basis: KnownAtBasis = KnownAtBasis.REPORTED,
) -> list[Observation]:
    """:func:`levels` as observations of the snapshot's date, known at ``known_at`` (``basis``
    says how that instant was found)."""
    return [
        Observation(key, snapshot.as_of, snapshot.as_of, value, known_at, _unit(snapshot, key), snapshot.origin[:300], basis)
        for key, value in levels(snapshot, tickers).items()
    ]


def change_observations(
    changes: Iterable[Change], old: Snapshot, new: Snapshot, known_at: datetime, basis: KnownAtBasis = KnownAtBasis.REPORTED
) -> list[Observation]:
    """One observation per change and measure: ``grid.ISO.KIND`` (1 per change, what
    ``count(grid.ISO.KIND, 90d)`` counts), ``grid.ISO.KIND.mw``, ``grid.ISO.KIND.days``,
    ``dc.KIND``, ``dc.KIND.mw``, ``dc.KIND.days``.

    The period runs from the older snapshot's date to the newer one's (the change happened in
    between); ``source_ref`` is ``file#id@OLD..NEW`` (:func:`change_ref`), so each project
    keeps its own row and each of its changes its own occurrence, even in a file fetched
    under one name month after month.
    ``renamed`` and ``basis_change`` carry no measure and give no observation (their events
    say them).
    """
    out: list[Observation] = []
    prefix = _grid_prefix(new) if new.kind == "grid" else "dc"
    for c in changes:
        ref = change_ref(new.ref(c.id), old.as_of, new.as_of)
        if c.kind in _UNMEASURED:
            continue
        out.append(Observation(f"{prefix}.{c.kind}", old.as_of, new.as_of, 1.0, known_at, "count", ref, basis))
        if c.mw is not None:
            out.append(Observation(f"{prefix}.{c.kind}.mw", old.as_of, new.as_of, c.mw, known_at, "MW", ref, basis))
        if c.days is not None:
            out.append(Observation(f"{prefix}.{c.kind}.days", old.as_of, new.as_of, float(c.days), known_at, "days", ref, basis))
    return out


def change_ref(ref: str, start: date, end: date) -> str:
    """The identity of one change of one project: ``file#id@START..END``, the snapshot
    dates it happened between. A change series is an event series, whose rows are told
    apart by ``source_ref`` alone: ``file#id`` would keep only a project's first change
    when the publisher's file keeps its name (every fetched snapshot)."""
    suffix = f"@{start.isoformat()}..{end.isoformat()}"
    return ref[: 300 - len(suffix)] + suffix


def change_events(changes: Iterable[Change], new: Snapshot, known_at: datetime) -> list[Event]:
    """The changes as :class:`~signalflow.series.Event` records: source ``grid.ISO`` or ``dc``,
    label the change kind, title :meth:`Change.describe`, entry id ``KIND:ID@DATE``, and in
    ``details`` the project's id, name, old and new date and days moved."""
    source = _grid_prefix(new) if new.kind == "grid" else "dc"
    return [
        Event(
            source=source,
            entry_id=f"{c.kind}:{c.id}@{new.as_of.isoformat()}"[:500],
            title=c.describe(),
            link=new.ref(c.id),
            published=known_at,
            label=c.kind,
            mw=c.mw,
            rule="snapshot diff",
            details=_details(c),
        )
        for c in changes
    ]


def _details(c: Change) -> dict[str, object]:
    """What ``series show`` lists of a change: id, name, old and new date, days, fuel, owner."""
    found: dict[str, object] = {"id": c.id, "name": c.name}
    for key, value in (("old_date", c.old_date), ("new_date", c.new_date)):
        if value is not None:
            found[key] = value.isoformat()
    for key, value in (("days", c.days), ("fuel", c.fuel), ("owner", c.owner), ("detail", c.detail)):
        if value not in (None, ""):
            found[key] = value
    return found


def _source(snapshot: Snapshot) -> str:
    return "grid" if snapshot.kind == "grid" else "dc"


def _frequency(snapshot: Snapshot) -> str:
    return "monthly" if snapshot.kind == "grid" else "irregular"


def snapshot_batch(
    new: Snapshot,
    known_at: datetime,
    previous: Snapshot | None = None,
    tickers: Mapping[str, str] | None = None,
    basis: KnownAtBasis = KnownAtBasis.REPORTED,
) -> Batch:
    """Everything one snapshot says, as a :class:`~signalflow.series.Batch`.

    The levels of ``new``; with the ``previous`` snapshot of the same publication, also the
    changes since (observations and events). Level series are ``LEVEL``, change series
    ``EVENT`` (one observation per project that changed). The snapshot's warnings (dropped
    placeholder rows, sites in the timelines only) become the batch's warnings.
    """
    batch = Batch(warnings=[f"{new.origin}: {w}" for w in new.warnings])
    level_rows = level_observations(new, known_at, tickers, basis)
    batch.observations.extend(level_rows)
    if previous is not None:
        changes = diff_snapshots(previous, new)
        batch.observations.extend(change_observations(changes, previous, new, known_at, basis))
        batch.events.extend(change_events(changes, new, known_at))
    seen: dict[str, SeriesInfo] = {}
    levels_keys = {o.series for o in level_rows}
    for o in batch.observations:
        if o.series not in seen:
            kind = SeriesKind.LEVEL if o.series in levels_keys else SeriesKind.EVENT
            seen[o.series] = SeriesInfo(o.series, _source(new), kind, o.unit, _frequency(new), _title(o.series, new))
    batch.series.extend(seen.values())
    return batch


def _title(key: str, snapshot: Snapshot) -> str:
    publisher = {"epoch": "Epoch AI Frontier Data Centers"}.get(snapshot.publisher, f"{snapshot.publisher.upper()} interconnection queue")
    measure = re.sub(r"^(grid\.\w+|dc)\.", "", key)
    return f"{publisher}: {measure}"


def snapshot_history(
    snapshots: Iterable[Snapshot],
    known_at: Callable[[Snapshot], datetime] | None = None,
    tickers: Mapping[str, str] | None = None,
) -> Batch:
    """Several snapshots of one publication, in the order of the dates they represent.

    File names and download dates mislead (a later NYISO download held older data), so the
    snapshots are sorted by ``as_of`` and each is compared with the one before it.
    ``known_at`` gives each snapshot's publication instant; by default the start of its
    ``as_of`` day.
    """
    ordered = sorted(snapshots, key=lambda s: s.as_of)
    if len({(s.publisher, s.kind) for s in ordered}) > 1:
        raise ValueError("a history holds snapshots of one publication only")
    when = known_at or (lambda s: datetime.combine(s.as_of, datetime.min.time()))
    batch = Batch()
    for previous, current in zip([None, *ordered], ordered):
        batch.extend(snapshot_batch(current, when(current), previous, tickers))
    batch.series = list({info.key: info for info in batch.series}.values())  # the latest unit wins
    return batch
