"""The store over every backend: versions, idempotency, as-of reads, events, memory."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest

from signalflow.series import Batch, Event, KnownAtBasis, Observation, SeriesInfo, SeriesKind
from signalflow.thesis.results import EngineState


def obs(period: date, value: float | None, known: datetime, ref: str = "", key: str = "fred.TEST") -> Observation:
    return Observation(key, period, period, value, known, unit="Percent", source_ref=ref)


JAN, FEB = date(2025, 1, 31), date(2025, 2, 28)


def test_same_payload_twice_changes_nothing(store):
    batch = Batch(
        series=[SeriesInfo("fred.TEST", "fred", unit="Percent", frequency="monthly")],
        observations=[obs(JAN, 1.0, datetime(2025, 2, 1)), obs(FEB, 2.0, datetime(2025, 3, 1))],
    )
    first = store.add_batch(batch)
    second = store.add_batch(batch)
    assert (first.observations_added, first.series_changed) == (2, {"fred.TEST"})
    assert (second.observations_added, second.series_changed) == (0, set())
    assert store.observation_count() == 2


def test_revision_keeps_the_earlier_version_and_as_of_returns_what_was_known(store):
    store.add_batch(Batch(observations=[obs(JAN, 1.0, datetime(2025, 2, 1), "v1")]))
    store.add_batch(Batch(observations=[obs(JAN, 1.5, datetime(2025, 3, 1), "v2")]))

    before = store.as_of("fred.TEST", datetime(2025, 2, 15))
    after = store.as_of("fred.TEST", datetime(2025, 3, 1))
    assert before["value"].tolist() == [1.0] and before["source_ref"].tolist() == ["v1"]
    assert after["value"].tolist() == [1.5] and after["source_ref"].tolist() == ["v2"]
    assert store.as_of("fred.TEST", datetime(2025, 1, 31)).empty
    assert len(store.load(["fred.TEST"])["fred.TEST"].data) == 2


def test_an_unchanged_value_reported_again_later_is_not_a_new_version(store):
    store.add_batch(Batch(observations=[obs(JAN, 1.0, datetime(2025, 2, 1))]))
    result = store.add_batch(Batch(observations=[obs(JAN, 1.0, datetime(2025, 5, 1))]))
    assert result.observations_added == 0


def test_an_earlier_vintage_of_the_same_value_is_stored(store):
    """A backfill of vintages after a live collection makes the value visible sooner."""
    store.add_batch(Batch(observations=[obs(JAN, 1.0, datetime(2025, 5, 1))]))
    result = store.add_batch(Batch(observations=[obs(JAN, 1.0, datetime(2025, 2, 1))]))
    assert result.observations_added == 1
    assert store.as_of("fred.TEST", datetime(2025, 3, 1))["value"].tolist() == [1.0]


def test_missing_values_are_kept_as_missing(store):
    store.add_batch(Batch(observations=[obs(JAN, None, datetime(2025, 2, 1))]))
    again = store.add_batch(Batch(observations=[obs(JAN, None, datetime(2025, 3, 1))]))
    assert again.observations_added == 0
    assert math.isnan(store.as_of("fred.TEST")["value"].iloc[0])


def test_load_until_hides_what_was_not_yet_known(store):
    store.add_batch(
        Batch(observations=[obs(JAN, 1.0, datetime(2025, 2, 1)), obs(FEB, 2.0, datetime(2025, 3, 1))])
    )
    frame = store.load(["fred.TEST", "fred.ABSENT"], until=datetime(2025, 2, 20))
    assert set(frame) == {"fred.TEST"}
    assert frame["fred.TEST"].data["value"].tolist() == [1.0]
    assert str(frame["fred.TEST"].data["known_at"].dtype) == "datetime64[ns]"


def test_series_metadata_is_kept_and_updated(store):
    store.add_batch(Batch(series=[SeriesInfo("fred.TEST", "fred", unit="Percent")]))
    store.add_batch(
        Batch(series=[SeriesInfo("fred.TEST", "fred", frequency="daily", url="https://fred.example/TEST")])
    )
    info = store.series_info("fred.TEST")
    assert (info.unit, info.frequency, info.url) == ("Percent", "daily", "https://fred.example/TEST")
    assert [s.key for s in store.list_series()] == ["fred.TEST"]


def test_event_series_keep_every_occurrence_once(store):
    when = datetime(2025, 6, 1, 14, 30)
    day = date(2025, 6, 1)
    batch = Batch(
        series=[SeriesInfo("news.deployment_delay", "news", kind=SeriesKind.EVENT)],
        observations=[
            Observation("news.deployment_delay", day, day, 1.0, when, source_ref="entry-1"),
            Observation("news.deployment_delay", day, day, 1.0, when, source_ref="entry-2"),
        ],
        events=[
            Event("feed", "entry-1", "Cluster delayed", "https://x/1", when, "deployment_delay"),
            Event("feed", "entry-2", "Another delay", "https://x/2", when, "deployment_delay", companies=("MSFT",)),
        ],
    )
    first = store.add_batch(batch)
    second = store.add_batch(batch)
    assert (first.observations_added, first.events_added) == (2, 2)
    assert (second.observations_added, second.events_added) == (0, 0)
    assert len(store.as_of("news.deployment_delay")) == 2


def test_known_at_basis_is_stored(store):
    observation = Observation(
        "fred.TEST", JAN, JAN, 3.0, datetime(2025, 2, 1), known_at_basis=KnownAtBasis.ASSUMED
    )
    store.add_batch(Batch(observations=[observation]))
    from sqlmodel import Session, select

    from signalflow.store.models import ObservationRow

    with Session(store.engine) as session:
        assert session.exec(select(ObservationRow.known_at_basis)).one() == "assumed"


def test_source_state_and_health(store):
    store.set_source_state("rss", {"etag:feed": '"abc"'})
    store.set_source_state("rss", {"etag:feed": '"def"', "modified:feed": "Sat"})
    assert store.get_source_state("rss") == {"etag:feed": '"def"', "modified:feed": "Sat"}
    store.record_source_result("fred", ok=False, error="HTTP 429")
    store.record_source_result("fred", ok=False, error="HTTP 429")
    (health,) = store.source_health()
    assert (health.consecutive_failures, health.last_error, health.last_success) == (2, "HTTP 429", None)
    store.record_source_result("fred", ok=True, stored=5)
    (health,) = store.source_health()
    assert (health.consecutive_failures, health.observations_stored) == (0, 5)
    assert health.last_success is not None


def test_engine_state_round_trip(store):
    state = EngineState("liquidity", datetime(2025, 3, 3), {"spread": {"active_at": "2025-02-01T00:00:00"}}, "f1")
    with store.session() as session:
        store.save_engine_state(session, state, {"state": "ok"})
    loaded = store.get_engine_state("liquidity")
    assert loaded == state
    assert store.engine_states()["liquidity"][1] == {"state": "ok"}


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError):
        with store.session() as session:
            store.save_engine_state(session, EngineState("t"))
            raise RuntimeError("boom")
    assert store.get_engine_state("t") is None


def test_migrations_match_the_models(database_url):
    """The Alembic head creates exactly the tables the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    from signalflow.store import Store

    store = Store.open(database_url)
    try:
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == []
    finally:
        store.close()
