"""Staleness notifies once when a subject turns stale and once when it recovers, through
the outbox, separately from theses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from signalflow.notifiers.notification import Kind, Notification
from signalflow.ops import assess_staleness, notify_staleness
from signalflow.settings import Route
from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.store.models import OutboxRow, SourceHealthRow

NOW = datetime(2025, 6, 2, 12, 0)


@pytest.fixture
def config(settings):
    return settings.model_copy(update={"routes": [Route(name="ops", notifier="console")], "stale_failures": 3})


def ops_keys(store) -> list[str]:
    with store.session() as session:
        return [r.dedup_key for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]


def health(store, source: str, failures: int, last_success: datetime | None) -> None:
    with store.session() as session:
        session.add(SourceHealthRow(source=source, consecutive_failures=failures, total_failures=failures,
                                    last_success=last_success, last_error="HTTP 503" if failures else ""))


@pytest.mark.parametrize(
    ("failures", "last_success", "stale"),
    [
        (0, NOW - timedelta(hours=1), False),
        (2, NOW - timedelta(hours=1), False),
        (3, NOW - timedelta(hours=1), True),  # N consecutive failures
        (0, NOW - timedelta(days=3), True),  # no success for longer than stale_after (2d)
        (1, None, False),
    ],
)
def test_a_source_is_stale_after_n_failures_or_a_long_silence(store, config, failures, last_success, stale):
    health(store, "fred", failures, last_success)
    [found] = assess_staleness(store, config, [], NOW)
    assert (found.subject, found.stale) == ("source:fred", stale)


def test_notifies_once_while_stale_and_once_on_recovery(store, config):
    for _ in range(3):
        store.record_source_result("eia", ok=False, error="HTTP 500")
    for _ in range(3):
        notify_staleness(store, config, [], NOW)
    assert ops_keys(store) == ["ops/stale/source:eia/1/stale@ops"]
    store.record_source_result("eia", ok=True)
    for _ in range(2):
        notify_staleness(store, config, [], NOW)
    for _ in range(3):
        store.record_source_result("eia", ok=False, error="HTTP 500")
    notify_staleness(store, config, [], NOW)
    assert ops_keys(store) == [
        "ops/stale/source:eia/1/stale@ops",
        "ops/stale/source:eia/1/recovered@ops",
        "ops/stale/source:eia/2/stale@ops",
    ]
    with store.session() as session:
        row = session.exec(select(OutboxRow)).first()
    note = Notification.from_json(row.payload_json)
    assert (row.kind, note.kind, note.severity, row.alert_id) == ("ops", Kind.OPS, "info", None)
    assert "3 collections in a row failed" in note.summary and "HTTP 500" in note.summary


def daily(store, key: str, last: date) -> None:
    store.add_batch(
        Batch(
            series=[SeriesInfo(key=key, source=key.split(".")[0], frequency="daily")],
            observations=[Observation(key, last - timedelta(days=i), last - timedelta(days=i), 1.0, datetime(2025, 1, 1))
                          for i in range(3)],
        )
    )


def test_a_release_overdue_by_the_series_frequency(store, config):
    daily(store, "fred.OLD", NOW.date() - timedelta(days=30))  # a daily series allows 7 days
    daily(store, "fred.NEW", NOW.date() - timedelta(days=2))
    found = {s.subject: s.stale for s in assess_staleness(store, config, ["fred.OLD", "fred.NEW"], NOW)}
    assert found == {"release:fred.OLD": True, "release:fred.NEW": False}


@pytest.mark.parametrize(("expected_by", "overdue"), [(date(2025, 5, 1), True), (date(2025, 5, 25), False)])
def test_an_sec_filing_overdue_by_the_calendar(store, config, expected_by, overdue):
    key = "sec.NVDA.next_filing"
    store.add_batch(
        Batch(
            series=[SeriesInfo(key=key, source="sec")],
            observations=[Observation(key, date(2025, 4, 27), expected_by, 35.0, datetime(2025, 3, 1),
                                      source_ref="0001045810-25-000023 10-Q")],
        )
    )
    [found] = assess_staleness(store, config, ["sec.NVDA.revenue"], NOW)
    assert (found.subject, found.stale) == ("release:sec.NVDA.next_filing", overdue)
    assert "10-Q expected by" in found.reason
