"""How a batch becomes new version rows: the rules behind the Store's idempotent writes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from signalflow.series import SeriesKind
from signalflow.store.db import dialect_insert
from signalflow.store.models import EventRow, ObservationRow, utcnow

if TYPE_CHECKING:
    import pandas as pd


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def normalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes on both sides of a comparison: datetimes, float values, str refs."""
    import pandas as pd

    frame = frame.copy()
    for col in ("period_start", "period_end", "known_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame["source_ref"] = frame["source_ref"].fillna("").astype(str)
    for col in ("unit", "known_at_basis"):
        if col in frame:
            frame[col] = frame[col].fillna("").astype(str)
    return frame


def drop_unchanged(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Keep the new versions whose value differs from the version in effect just before them.

    Old and new rows of each period are merged in known_at order; a row whose predecessor has
    the same value (NaN equal to NaN) adds nothing a point-in-time read could see.
    """
    import pandas as pd

    both = pd.concat(
        [existing.assign(_new=False), new.assign(_new=True)], ignore_index=True
    ).sort_values(["period_start", "period_end", "known_at", "_new"], kind="stable")
    prev = both.groupby(["period_start", "period_end"], sort=False)["value"].shift(1)
    has_prev = both.groupby(["period_start", "period_end"], sort=False).cumcount() > 0
    same = has_prev & ((prev == both["value"]) | (prev.isna() & both["value"].isna()))
    keep = both[both["_new"] & ~same]
    return keep.drop(columns="_new")


def insert_ignore(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Insert, skipping rows that a concurrent writer stored first (unique constraints)."""
    statement = dialect_insert(session, table).on_conflict_do_nothing()
    for chunk in chunks(rows, 2000):
        session.execute(statement, chunk)


def new_version_rows(session: Session, series_id: int, kind: SeriesKind, part: pd.DataFrame) -> list[dict]:
    """The rows of ``part`` (one series) that are new versions: for an event series, entries
    not stored yet; otherwise versions that change what a read as of their known_at returns."""
    import pandas as pd

    new = normalize(part)
    existing = normalize(
        pd.DataFrame(
            session.exec(
                select(
                    ObservationRow.period_start,
                    ObservationRow.period_end,
                    ObservationRow.value,
                    ObservationRow.known_at,
                    ObservationRow.source_ref,
                ).where(ObservationRow.series_id == series_id)
            ).all(),
            columns=["period_start", "period_end", "value", "known_at", "source_ref"],
        )
    )
    identity = ["period_start", "period_end", "known_at", "source_ref"]
    if kind is SeriesKind.EVENT:
        # An occurrence is new when its entry id was never stored for this series.
        new = new.drop_duplicates("source_ref")
        new = new[~new["source_ref"].isin(existing["source_ref"])]
    else:
        new = new.drop_duplicates(identity)
        if len(existing):
            key = pd.MultiIndex.from_frame(existing[identity])
            new = new[~pd.MultiIndex.from_frame(new[identity]).isin(key)]
        if len(new):
            new = drop_unchanged(existing, new)
    now = utcnow()
    return [
        {
            "series_id": series_id,
            "period_start": r.period_start.date(),
            "period_end": r.period_end.date(),
            "value": None if pd.isna(r.value) else float(r.value),
            "unit": r.unit or "",
            "known_at": r.known_at.to_pydatetime(),
            "known_at_basis": r.known_at_basis or "reported",
            "source_ref": r.source_ref or "",
            "collected_at": now,
        }
        for r in new.itertuples(index=False)
    ]

def add_events(session: Session, events: Iterable) -> int:
    """Store the news items not stored yet (by source and entry id); how many were new."""
    events = list({(e.source, e.entry_id): e for e in events}.values())
    known: set[tuple[str, str]] = set()
    for source in {e.source for e in events}:
        ids = [e.entry_id for e in events if e.source == source]
        for chunk in chunks(ids, 500):
            known.update(
                (source, entry)
                for entry in session.exec(
                    select(EventRow.entry_id).where(EventRow.source == source, EventRow.entry_id.in_(chunk))
                )
            )
    now = utcnow()
    rows = [
        {
            "source": e.source,
            "entry_id": e.entry_id,
            "title": e.title,
            "summary": e.summary,
            "link": e.link,
            "published": e.published,
            "label": e.label,
            "mw": e.mw,
            "amount_usd": e.amount_usd,
            "companies": ",".join(e.companies),
            "rule": e.rule,
            "collected_at": now,
            "story": e.story,
            "outlet": e.outlet,
            "language": e.language,
            "details_json": json.dumps(e.details, sort_keys=True) if e.details else "",
        }
        for e in events
        if (e.source, e.entry_id) not in known
    ]
    if rows:
        insert_ignore(session, EventRow.__table__, rows)
    return len(rows)
