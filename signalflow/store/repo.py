"""The Store: point-in-time observations, events, source memory and engine state.

Writes are idempotent. For ordinary series a row is a *version* of a period and is stored
only when it changes what a read as of its ``known_at`` returns; storing the same payload
twice, or a later payload repeating an unchanged value, writes nothing. For event series
every row is its own occurrence, identified by its ``source_ref`` (the feed entry id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import Session, select

from signalflow.errors import FrequencyChanged
from signalflow.redact import endpoint
from signalflow.series import Batch, Event, SeriesInfo, SeriesKind
from signalflow.store import db
from signalflow.store.models import (
    EventRow,
    ObservationRow,
    RuleStateRow,
    SeriesRow,
    SourceHealthRow,
    SourceStateRow,
    utcnow,
)
from signalflow.store.news import StoredStory, add_stories, list_stories, stories_known_at
from signalflow.store.versions import (
    add_events,
    chunks,
    insert_ignore,
    new_version_rows,
)
from signalflow.series import FRAME_COLUMNS, SeriesFrame
from signalflow.store.engine_state import EngineState

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass
class WriteResult:
    observations_added: int = 0
    events_added: int = 0
    series_changed: set[str] = field(default_factory=set)
    # (key, old, new) of every stored series whose frequency this write changed
    frequency_changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.observations_added or self.events_added)


class Store:
    """A database holding everything signalflow knows. One per process; thread-safe."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | SecretStr, migrate: bool = True) -> Store:
        engine = db.create_engine(url)
        if migrate:
            db.upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def url(self) -> str:
        """The database as shown: its password and any token in its query masked."""
        return endpoint(self.engine.url.render_as_string(hide_password=True))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends without error, else rolls back."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    # Series ------------------------------------------------------------------------

    def _series_ids(
        self, session: Session, infos: dict[str, SeriesInfo], allow_frequency_change: bool = False,
        changes: list[tuple[str, str, str]] | None = None,
    ) -> dict[str, int]:
        """Ids for every key in ``infos``, creating or updating series rows as needed. An info
        naming another frequency than the stored one raises FrequencyChanged, or with
        ``allow_frequency_change`` is applied and noted in ``changes``."""
        ids: dict[str, int] = {}
        keys = list(infos)
        existing = {
            row.key: row
            for chunk in chunks(keys, 500)
            for row in session.exec(select(SeriesRow).where(SeriesRow.key.in_(chunk)))
        }
        for key, info in infos.items():
            row = existing.get(key)
            if row is None:
                row = SeriesRow(
                    key=key,
                    source=info.source,
                    kind=SeriesKind(info.kind).value,
                    unit=info.unit,
                    frequency=info.frequency,
                    title=info.title,
                    url=info.url,
                )
                session.add(row)
                session.flush()
            else:
                if info.frequency and row.frequency and info.frequency != row.frequency:
                    if not allow_frequency_change:
                        raise FrequencyChanged(key, row.frequency, info.frequency)
                    if changes is not None:
                        changes.append((key, row.frequency, info.frequency))
                changed = False
                for attr in ("unit", "frequency", "title", "url"):
                    new = getattr(info, attr)
                    if new and getattr(row, attr) != new:
                        setattr(row, attr, new)
                        changed = True
                kind = SeriesKind(info.kind).value
                if info.kind is not SeriesKind.LEVEL and row.kind != kind:
                    row.kind = kind
                    changed = True
                if changed:
                    row.updated_at = utcnow()
                    session.add(row)
            ids[key] = row.id
        return ids

    def series_info(self, key: str) -> SeriesInfo | None:
        with Session(self.engine) as session:
            row = session.exec(select(SeriesRow).where(SeriesRow.key == key)).first()
        return _info(row) if row else None

    def list_series(self) -> list[SeriesInfo]:
        with Session(self.engine) as session:
            return [_info(r) for r in session.exec(select(SeriesRow).order_by(SeriesRow.key))]

    # Writing -----------------------------------------------------------------------

    def add_batch(self, batch: Batch, *, allow_frequency_change: bool = False) -> WriteResult:
        """Store a batch in one transaction; see the module docstring for idempotency. A
        batch that would change the frequency of a stored series is refused whole
        (FrequencyChanged) unless ``allow_frequency_change``; the changes made are in the
        result's ``frequency_changes``."""
        result = WriteResult()
        frame = batch.observations_frame()
        infos: dict[str, SeriesInfo] = {s.key: s for s in batch.series}
        for key in frame["series"].unique() if len(frame) else ():
            infos.setdefault(key, SeriesInfo(key=key, source=key.split(".", 1)[0]))
        with self.session() as session:
            ids = self._series_ids(session, infos, allow_frequency_change, result.frequency_changes) if infos else {}
            kinds = {key: SeriesKind(info.kind) for key, info in infos.items()}
            if len(frame):
                for key, part in frame.groupby("series", sort=False):
                    rows = new_version_rows(session, ids[key], kinds[key], part)
                    if rows:
                        insert_ignore(session, ObservationRow.__table__, rows)
                        result.observations_added += len(rows)
                        result.series_changed.add(key)
            if batch.events:
                result.events_added = add_events(session, batch.events)
            if batch.stories:
                add_stories(session, batch.stories)
        return result

    def stories(self, since: datetime | None = None, label: str | None = None, limit: int = 200) -> list[StoredStory]:
        """The latest news stories with their members (see ``store/news.py``)."""
        with Session(self.engine) as session:
            return list_stories(session, since, label, limit)

    def stories_at(self, ids: Iterable[str], at: datetime) -> list[StoredStory]:
        """The stories ``ids`` as known at ``at`` (see ``store/news.py``)."""
        with Session(self.engine) as session:
            return stories_known_at(session, ids, at)

    def events(self, source: str, label: str | None = None, until: datetime | None = None) -> list[Event]:
        """The stored events of one source (``grid.ercot``), optionally of one label
        (``cod_slip``), known (published) at ``until`` or before, oldest first."""
        query = select(EventRow).where(EventRow.source == source)
        if label is not None:
            query = query.where(EventRow.label == label)
        if until is not None:
            query = query.where(EventRow.published <= until)
        with Session(self.engine) as session:
            rows = session.exec(query.order_by(EventRow.published, EventRow.id)).all()
            return [
                Event(
                    source=r.source, entry_id=r.entry_id, title=r.title, link=r.link, published=r.published,
                    label=r.label, summary=r.summary, mw=r.mw, amount_usd=r.amount_usd,
                    companies=tuple(c for c in r.companies.split(",") if c), rule=r.rule, story=r.story,
                    outlet=r.outlet, language=r.language, details=json.loads(r.details_json) if r.details_json else {},
                )
                for r in rows
            ]

    # Reading -----------------------------------------------------------------------

    def read_cursor(self, after: int = 0, settle: timedelta = timedelta(minutes=10)) -> int:
        """The highest observation id up to which every row is committed and visible, for
        incremental reads (``load(keys, after=..., upto=...)``) that never skip a row.

        Ids come from a sequence: a transaction still in flight (or one rolled back, or an
        insert that hit a duplicate on PostgreSQL) leaves a gap below rows already visible.
        The cursor stops at the first gap, unless the row after it was collected more than
        ``settle`` ago (then the gap is taken as rolled back)."""
        obs = ObservationRow.__table__
        old = utcnow() - settle
        with self.engine.connect() as conn:
            settled = conn.execute(
                sa.select(sa.func.max(obs.c.id)).where(obs.c.id > after, obs.c.collected_at <= old)
            ).scalar()
            cursor = max(after, settled or 0)
            recent = conn.execute(sa.select(obs.c.id).where(obs.c.id > cursor).order_by(obs.c.id)).scalars().all()
        for row_id in recent:
            if row_id != cursor + 1:
                break
            cursor = row_id
        return cursor

    def load(
        self, keys: Iterable[str], until: datetime | None = None, after: int = 0, upto: int | None = None
    ) -> dict[str, SeriesFrame]:
        """Every version of every period of each series (known at ``until`` or before);
        with ``after``/``upto``, only the rows whose id is in ``(after, upto]`` (rows stored
        since an earlier read, see :meth:`read_cursor`)."""
        import pandas as pd

        keys = sorted(set(keys))
        frames: dict[str, SeriesFrame] = {}
        if not keys:
            return frames
        with self.engine.connect() as conn:
            series = {
                row.key: row
                for chunk in chunks(keys, 500)
                for row in conn.execute(sa.select(SeriesRow.__table__).where(SeriesRow.key.in_(chunk)))
            }
            if not series:
                return frames
            obs = ObservationRow.__table__
            query = (
                sa.select(
                    obs.c.series_id,
                    obs.c.period_start,
                    obs.c.period_end,
                    obs.c.value,
                    obs.c.known_at,
                    obs.c.source_ref,
                    obs.c.unit,
                    obs.c.known_at_basis,
                )
                .order_by(obs.c.known_at, obs.c.id)
            )
            ids = [row.id for row in series.values()]
            if after or upto is not None:
                # A recent id range: read it by primary key and keep the wanted series after
                # (the per-series index would visit every row of every series).
                query = query.where(obs.c.id > after)
                if upto is not None:
                    query = query.where(obs.c.id <= upto)
            else:
                query = query.where(obs.c.series_id.in_(ids))
            if until is not None:
                query = query.where(obs.c.known_at <= until)
            data = pd.DataFrame(
                conn.execute(query).all(),
                columns=["series_id", *FRAME_COLUMNS[:2], "value", "known_at", "source_ref", "unit", "known_at_basis"],
            )
        if after or upto is not None:
            data = data[data["series_id"].isin(ids)]
        for col in ("period_start", "period_end", "known_at"):
            data[col] = pd.to_datetime(data[col]).astype("datetime64[ns]")
        data["value"] = data["value"].astype("float64")
        groups = dict(tuple(data.groupby("series_id", sort=False)))
        for key, row in series.items():
            part = groups.get(row.id)
            if part is None and (after or upto is not None):
                continue  # an incremental read returns only the series that gained rows
            part = (
                part[[*FRAME_COLUMNS, "known_at_basis"]].reset_index(drop=True)
                if part is not None
                else SeriesFrame.empty(key).data
            )
            frames[key] = SeriesFrame(
                key=key,
                data=part,
                kind=SeriesKind(row.kind),
                unit=row.unit,
                frequency=row.frequency,
                url=row.url,
            )
        return frames

    def as_of(self, key: str, at: datetime | None = None) -> pd.DataFrame:
        """One row per period: the version known at ``at`` (all history when None).

        Columns: period_start, period_end, value, known_at, source_ref, unit."""
        frame = self.load([key], until=at).get(key)
        if frame is None or frame.data.empty:
            return SeriesFrame.empty(key).data
        data = frame.data
        if frame.kind is SeriesKind.EVENT:
            return data.sort_values(["period_end", "known_at"]).reset_index(drop=True)
        latest = data.sort_values("known_at", kind="stable").groupby(
            ["period_start", "period_end"], sort=False
        ).tail(1)
        return latest.sort_values(["period_end", "period_start"]).reset_index(drop=True)

    def versions(self, key: str, at: datetime | None = None) -> pd.DataFrame:
        """Every version of every period known at ``at`` (all when None), by period end and
        then by when each became known. Columns as :meth:`as_of`."""
        frame = self.load([key], until=at).get(key)
        if frame is None:
            return SeriesFrame.empty(key).data
        return frame.data.sort_values(["period_end", "known_at"])

    def observation_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(ObservationRow.__table__)).scalar_one()

    # Source memory -------------------------------------------------------------------

    def get_source_state(self, source: str) -> dict[str, str]:
        with Session(self.engine) as session:
            rows = session.exec(select(SourceStateRow).where(SourceStateRow.source == source))
            return {row.key: row.value for row in rows}

    def set_source_state(self, source: str, values: dict[str, str]) -> None:
        with self.session() as session:
            for key, value in values.items():
                row = session.get(SourceStateRow, (source, key))
                if row is None:
                    session.add(SourceStateRow(source=source, key=key, value=value))
                elif row.value != value:
                    row.value = value
                    row.updated_at = utcnow()
                    session.add(row)

    def record_source_result(self, source: str, ok: bool, error: str = "", stored: int = 0) -> None:
        """Remember how a collection went: the daemon's health and staleness read this."""
        now = utcnow()
        with self.session() as session:
            row = session.get(SourceHealthRow, source) or SourceHealthRow(source=source)
            row.last_attempt = now
            if ok:
                row.last_success = now
                row.consecutive_failures = 0
                row.last_error = ""
                row.observations_stored += stored
            else:
                row.consecutive_failures += 1
                row.total_failures += 1
                row.last_error = error[:2000]
            session.add(row)

    def source_health(self) -> list[SourceHealthRow]:
        with Session(self.engine) as session:
            return list(session.exec(select(SourceHealthRow).order_by(SourceHealthRow.source)))

    # Engine memory -------------------------------------------------------------------

    def get_engine_state(self, thesis: str) -> EngineState | None:
        with Session(self.engine) as session:
            row = session.get(RuleStateRow, thesis)
        return EngineState.from_json(json.loads(row.state_json)) if row else None

    def engine_states_only(self) -> dict[str, EngineState]:
        """Every stored engine state, by thesis, without the statuses (one read for a pass
        over many theses: each continues from its own)."""
        with Session(self.engine) as session:
            rows = session.exec(select(RuleStateRow.thesis, RuleStateRow.state_json)).all()
        return {thesis: EngineState.from_json(json.loads(state)) for thesis, state in rows}

    def engine_states(self) -> dict[str, tuple[EngineState, dict]]:
        """Every stored engine state with its last status (as JSON), by thesis."""
        with Session(self.engine) as session:
            rows = list(session.exec(select(RuleStateRow)))
        return {
            r.thesis: (EngineState.from_json(json.loads(r.state_json)), json.loads(r.status_json or "{}"))
            for r in rows
        }

    @staticmethod
    def engine_rows(session: Session, theses: Iterable[str]) -> None:
        """Read the stored states of ``theses`` into ``session`` at once, where
        :meth:`save_engine_state` then finds each without a query of its own."""
        session.exec(select(RuleStateRow).where(RuleStateRow.thesis.in_(sorted(set(theses))))).all()  # type: ignore[attr-defined]

    @staticmethod
    def save_engine_state(session: Session, state: EngineState, status: dict | None = None) -> None:
        """Write a thesis's engine memory inside the caller's transaction (with its alerts)."""
        row = session.get(RuleStateRow, state.thesis)
        payload = json.dumps(state.to_json(), sort_keys=True)
        status_json = json.dumps(status, sort_keys=True, default=str) if status is not None else ""
        if row is None:
            session.add(RuleStateRow(thesis=state.thesis, state_json=payload, status_json=status_json))
        else:
            row.state_json = payload
            if status is not None:
                row.status_json = status_json
            row.updated_at = utcnow()
            session.add(row)


def _info(row: SeriesRow) -> SeriesInfo:
    return SeriesInfo(
        key=row.key,
        source=row.source,
        kind=SeriesKind(row.kind),
        unit=row.unit,
        frequency=row.frequency,
        title=row.title,
        url=row.url,
    )


__all__ = ["Store", "WriteResult"]
