"""Changes between two snapshots of one publication (:func:`diff_snapshots`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from signalflow.sources.snapshots._common import Snapshot

if TYPE_CHECKING:
    import pandas as pd

PIPELINE = frozenset({"active", "agreement"})
"""Statuses of a project still on its way to the grid (a COD change there is a slip or pull-in)."""

GRID_KINDS = ("cod_slip", "cod_pull_in", "withdrawn", "new_request", "completed", "removed", "mw_change", "renamed")
DC_KINDS = ("site_added", "site_removed", "power_change", "timeline_slip", "basis_change", "renamed")
_MW_TOLERANCE = 0.005


@dataclass(frozen=True)
class Change:
    """One change of one project or site between two snapshots.

    ``mw`` is the project's capacity for queue changes (the MW that slipped, withdrew, arrived),
    the change in power for ``power_change`` and ``mw_change``, and the promised power of the
    milestone for ``timeline_slip``. ``old_date``/``new_date`` are the CODs (or milestone dates);
    ``days`` how far the date moved (``None`` when a milestone was dropped).
    """

    kind: str
    publisher: str
    id: str
    name: str = ""
    mw: float | None = None
    old_date: date | None = None
    new_date: date | None = None
    days: int | None = None
    fuel: str = ""
    owner: str = ""
    detail: str = ""

    def describe(self) -> str:
        """One line for a person: ``20INR0203 Foo Solar: cod_slip, 2025-12-01 -> 2026-04-01 (+121 d), 301 MW``."""
        parts = [f"{self.id}" + (f" {self.name}" if self.name and self.name != self.id else "") + f": {self.kind}"]
        if self.old_date or self.new_date:
            parts.append(f"{self.old_date or '-'} -> {self.new_date or 'dropped'}" + (f" ({self.days:+d} d)" if self.days is not None else ""))
        if self.mw is not None:
            parts.append(f"{self.mw:g} MW")
        if self.detail:
            parts.append(self.detail)
        return ", ".join(parts)


def diff_snapshots(old: Snapshot, new: Snapshot) -> list[Change]:
    """The changes from ``old`` to ``new``, two snapshots of the same publisher, older first.

    Projects and sites are matched by the publisher's id. Those left unmatched on both sides
    are then paired as renames: queue projects with the same name (case folded), fuel and MW;
    data-center sites whose name's words are a run of the other's (``xAI Colossus 2`` ->
    ``Colossus 2``), when that pairing is unique both ways. Each such pair yields a
    ``renamed`` change and is compared like any other.
    """
    if old.publisher != new.publisher or old.kind != new.kind:
        raise ValueError(f"cannot compare a {old.publisher} snapshot with a {new.publisher} one")
    if new.as_of < old.as_of:
        raise ValueError(f"{new.origin} ({new.as_of}) is older than {old.origin} ({old.as_of}); pass the older first")
    if old.kind == "dc":
        return _diff_sites(old, new)
    return _diff_queue(old, new)


def _rows_by_id(frame: pd.DataFrame) -> dict[str, dict]:
    return {str(r["id"]): r for r in frame.to_dict("records")}


def _same_mw(a: float | None, b: float | None) -> bool:
    import pandas as pd

    if a is None or b is None or pd.isna(a) or pd.isna(b):
        return (a is None or pd.isna(a)) and (b is None or pd.isna(b))
    return abs(a - b) <= _MW_TOLERANCE


def _mw(value: float | None) -> float | None:
    import pandas as pd

    return None if value is None or pd.isna(value) else float(value)


def _pair_renames(gone: dict[str, dict], fresh: dict[str, dict], key) -> dict[str, str]:
    """old id -> new id for unmatched rows whose ``key`` agrees, one to one."""
    by_key: dict[object, list[str]] = {}
    for new_id, row in fresh.items():
        k = key(row)
        if k is not None:
            by_key.setdefault(k, []).append(new_id)
    old_keys: dict[object, list[str]] = {}
    for old_id, row in gone.items():
        k = key(row)
        if k is not None:
            old_keys.setdefault(k, []).append(old_id)
    return {ids[0]: by_key[k][0] for k, ids in old_keys.items() if len(ids) == 1 and len(by_key.get(k, [])) == 1}


def _queue_key(row: dict) -> tuple | None:
    name = str(row.get("name") or "").casefold().strip()
    mw = _mw(row.get("mw"))
    return (name, str(row.get("fuel") or "").casefold(), round(mw, 2) if mw is not None else None) if name else None


def _diff_queue(old: Snapshot, new: Snapshot) -> list[Change]:
    before, after = _rows_by_id(old.projects), _rows_by_id(new.projects)
    gone = {k: v for k, v in before.items() if k not in after}
    fresh = {k: v for k, v in after.items() if k not in before}
    renames = _pair_renames(gone, fresh, _queue_key)
    changes: list[Change] = []
    pub = new.publisher

    def change(kind: str, row: dict, **fields) -> Change:
        base = {"name": str(row.get("name") or ""), "fuel": str(row.get("fuel") or ""), "owner": str(row.get("owner") or "")}
        base.update(fields)
        return Change(kind, pub, str(row["id"]), **base)

    pairs = [(before[k], after[k]) for k in before if k in after]
    for old_id, new_id in renames.items():
        changes.append(change("renamed", after[new_id], detail=f"was {old_id}"))
        pairs.append((before[old_id], after[new_id]))
    for was, now in pairs:
        if was["status"] not in PIPELINE:
            if was["status"] == "withdrawn" and now["status"] in PIPELINE:
                changes.append(change("new_request", now, mw=_mw(now["mw"]), new_date=now["cod"], detail="back from withdrawn"))
            continue
        if now["status"] == "withdrawn":
            changes.append(change("withdrawn", now, mw=_mw(was["mw"]), old_date=was["cod"], detail=now["raw_status"]))
        elif now["status"] == "completed":
            changes.append(change("completed", now, mw=_mw(now["mw"]) if _mw(now["mw"]) is not None else _mw(was["mw"]), new_date=now["cod"]))
        elif now["status"] in PIPELINE:
            if was["cod"] and now["cod"] and was["cod"] != now["cod"]:
                days = (now["cod"] - was["cod"]).days
                kind = "cod_slip" if days > 0 else "cod_pull_in"
                changes.append(change(kind, now, mw=_mw(now["mw"]), old_date=was["cod"], new_date=now["cod"], days=days))
            if not _same_mw(_mw(was["mw"]), _mw(now["mw"])) and _mw(was["mw"]) is not None and _mw(now["mw"]) is not None:
                delta = _mw(now["mw"]) - _mw(was["mw"])
                changes.append(change("mw_change", now, mw=round(delta, 6), detail=f"{was['mw']:g} -> {now['mw']:g} MW"))
    for old_id, row in gone.items():
        if old_id not in renames and row["status"] in PIPELINE:
            changes.append(change("removed", row, mw=_mw(row["mw"]), old_date=row["cod"], detail=f"not in {new.origin}"))
    paired = set(renames.values())
    for new_id, row in fresh.items():
        if new_id not in paired and row["status"] in PIPELINE:
            changes.append(change("new_request", row, mw=_mw(row["mw"]), new_date=row["cod"]))
    return changes


def _words(name: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9]+", name.casefold()))


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return n >= 2 and any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _site_renames(gone: dict[str, dict], fresh: dict[str, dict]) -> dict[str, str]:
    candidates: dict[str, list[str]] = {}
    for old_id in gone:
        a = _words(old_id)
        candidates[old_id] = [new_id for new_id in fresh if _contains(a, _words(new_id)) or _contains(_words(new_id), a)]
    claimed: dict[str, int] = {}
    for found in candidates.values():
        for new_id in found:
            claimed[new_id] = claimed.get(new_id, 0) + 1
    return {old_id: found[0] for old_id, found in candidates.items() if len(found) == 1 and claimed[found[0]] == 1}


def _diff_sites(old: Snapshot, new: Snapshot) -> list[Change]:
    before, after = _rows_by_id(old.projects), _rows_by_id(new.projects)
    gone = {k: v for k, v in before.items() if k not in after}
    fresh = {k: v for k, v in after.items() if k not in before}
    renames = _site_renames(gone, fresh)
    pub = new.publisher
    changes: list[Change] = []
    pairs = [(k, k) for k in before if k in after] + list(renames.items())
    for old_id, new_id in renames.items():
        changes.append(Change("renamed", pub, new_id, owner=after[new_id]["owner"], detail=f"was {old_id}"))
    comparable = old.power_basis == new.power_basis or "unknown" in (old.power_basis, new.power_basis)
    if not comparable:
        changes.append(
            Change("basis_change", pub, "*", detail=f"current power was {old.power_basis} power, is now {new.power_basis} power; power changes not reported")
        )
    for old_id, new_id in pairs:
        was, now = before[old_id], after[new_id]
        a, b = _mw(was["power_mw"]), _mw(now["power_mw"])
        if comparable and a is not None and b is not None and not _same_mw(a, b):
            changes.append(Change("power_change", pub, new_id, owner=now["owner"], mw=round(b - a, 6), detail=f"{a:g} -> {b:g} MW"))
    changes += _timeline_slips(old, new, pairs)
    for new_id, row in fresh.items():
        if new_id not in renames.values():
            changes.append(Change("site_added", pub, new_id, owner=row["owner"], mw=_mw(row["power_mw"])))
    for old_id, row in gone.items():
        if old_id not in renames:
            changes.append(Change("site_removed", pub, old_id, owner=row["owner"], mw=_mw(row["power_mw"])))
    return changes


def _timeline_slips(old: Snapshot, new: Snapshot, pairs: list[tuple[str, str]]) -> list[Change]:
    """Projected milestones of ``old`` that ``new`` reaches later, or not at all.

    A milestone has no id of its own, so it is read as a promise: "this site has P MW by date
    D". The newer timeline keeps the promise at the first of its dates whose power is at least P;
    a later date is a slip, no such date a dropped milestone (``days`` is ``None``). Only
    milestones after the older snapshot's date are projections; earlier ones were observed.
    """
    if old.timelines is None or new.timelines is None:
        return []
    old_lines = {site: rows for site, rows in old.timelines.groupby("site")}
    new_lines = {site: rows for site, rows in new.timelines.groupby("site")}
    changes: list[Change] = []
    owners = dict(zip(new.projects["id"], new.projects["owner"]))
    for old_id, new_id in pairs:
        if old_id not in old_lines or new_id not in new_lines:
            continue
        later = new_lines[new_id].sort_values("date")
        for milestone in old_lines[old_id].sort_values("date").itertuples():
            promised = _mw(milestone.power_mw)
            if milestone.date <= old.as_of or not promised:
                continue
            kept = later[later["power_mw"] >= promised - _MW_TOLERANCE]
            reached = kept["date"].iloc[0] if len(kept) else None
            if reached is None or reached > milestone.date:
                changes.append(
                    Change(
                        "timeline_slip",
                        new.publisher,
                        new_id,
                        owner=owners.get(new_id, ""),
                        mw=promised,
                        old_date=milestone.date,
                        new_date=reached,
                        days=(reached - milestone.date).days if reached else None,
                        detail="milestone dropped" if reached is None else "",
                    )
                )
    return changes
