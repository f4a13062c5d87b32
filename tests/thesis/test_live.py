"""Live passes over kept indexes equal a full backtest over the same store.

The histories are generated (hypothesis) with revisions and late filings, stored in
several batches between passes, so a pass sees new rows, revisions of periods it already
read, and rows known before its previous pass (late data, which forces a recomputation).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalflow.series import Batch, Observation
from signalflow.store import Store
from signalflow.store.models import ObservationRow, utcnow
from signalflow.thesis.engine import backtest, evaluate
from signalflow.thesis.live import LiveEvaluator

from tests.thesis.test_pit_property import START, _provider, _summary, _thesis, histories

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = datetime.combine(START, datetime.min.time())


def _observations(key: str, obs: list[tuple[int, float, int]]) -> list[Observation]:
    out = []
    for month, value, delay in obs:
        end = (pd.Timestamp(START) + pd.offsets.MonthEnd(month + 1)).date()
        out.append(Observation(key, end, end, value, datetime.combine(end, datetime.min.time()) + timedelta(days=delay)))
    return out


@SETTINGS
@given(
    a=histories,
    b=histories,
    passes=st.lists(st.tuples(st.integers(0, 1400), st.integers(0, 3)), min_size=1, max_size=5),
)
def test_live_passes_over_a_store_equal_the_full_backtest(a, b, passes):
    store = Store.open("sqlite://")
    try:
        rows = _observations("csv.a", a) + _observations("csv.b", b)
        live = LiveEvaluator(store)
        prior = None
        stored = 0
        thesis = _thesis()
        for days, chunks in sorted(passes) + [(1400, 4)]:
            # Store a further share of the rows (any known_at: some are late for this pass).
            upto = len(rows) * min(chunks + 1, 4) // 4 if days < 1400 else len(rows)
            if upto > stored:
                store.add_batch(Batch(observations=rows[stored:upto]))
                stored = upto
            at = T0 + timedelta(days=days)
            ev = live.evaluate(thesis, at, prior)
            full = backtest(thesis, store, None, at)
            assert _summary(ev.status) == _summary(full.final)
            assert ev.status.since == full.final.since
            assert ev.state.to_json() == evaluate(thesis, store, at, prior).state.to_json()
            prior = type(ev.state).from_json(ev.state.to_json())
    finally:
        store.close()


@SETTINGS
@given(a=histories, b=histories, cuts=st.lists(st.integers(0, 1400), min_size=1, max_size=4))
def test_live_passes_over_literal_series_equal_the_full_backtest(a, b, cuts):
    thesis = _thesis()
    provider = _provider(a, b)
    live = LiveEvaluator(provider)
    prior = None
    for days in sorted(cuts) + [1400]:
        at = T0 + timedelta(days=days)
        ev = live.evaluate(thesis, at, prior)
        assert _summary(ev.status) == _summary(backtest(thesis, provider, None, at).final)
        prior = ev.state


def test_a_pass_reads_and_reindexes_only_the_series_that_gained_rows(store):
    thesis = _thesis()
    rows = _observations("csv.a", [(m, 50.0 + m, 10) for m in range(12)])
    rows += _observations("csv.b", [(m, 60.0 - m, 5) for m in range(12)])
    store.add_batch(Batch(observations=rows))
    live = LiveEvaluator(store)
    first = live.evaluate(thesis, datetime(2021, 2, 1))
    kept_b = live.series["csv.b"]
    cursor = live.cursor
    store.add_batch(Batch(observations=[Observation("csv.a", date(2021, 1, 31), date(2021, 1, 31), 70.0, datetime(2021, 2, 2))]))
    later = live.evaluate(thesis, datetime(2021, 2, 3), first.state)
    assert live.cursor == cursor + 1
    assert live.series["csv.b"] is kept_b
    assert len(live.series["csv.a"]) == 13
    assert _summary(later.status) == _summary(backtest(thesis, store, None, datetime(2021, 2, 3)).final)


def test_read_cursor_stops_at_a_gap_until_it_is_old_enough_to_be_a_rollback(store):
    store.add_batch(Batch(observations=_observations("csv.a", [(0, 1.0, 0), (1, 2.0, 0)])))
    cursor = store.read_cursor()
    obs = ObservationRow.__table__
    with store.session() as session:
        series_id = session.execute(sa.select(obs.c.series_id)).scalars().first()
        # A row whose id skips one: the missing id belongs to a transaction not yet visible.
        session.execute(
            obs.insert().values(
                id=cursor + 2,
                series_id=series_id,
                period_start=date(2020, 4, 30),
                period_end=date(2020, 4, 30),
                value=3.0,
                known_at=datetime(2020, 5, 1),
                collected_at=utcnow(),
            )
        )
    assert store.read_cursor(cursor) == cursor
    assert store.load(["csv.a"], after=cursor, upto=cursor) == {}
    with store.session() as session:
        session.execute(obs.update().where(obs.c.id == cursor + 2).values(collected_at=datetime(2020, 1, 1)))
    assert store.read_cursor(cursor) == cursor + 2
    assert list(store.load(["csv.a"], after=cursor, upto=cursor + 2)["csv.a"].data["value"]) == [3.0]
