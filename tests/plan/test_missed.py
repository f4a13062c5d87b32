"""An add of a tranche plan that became due and stopped being due while the daemon was down
is told once on restart, as a ``missed`` notification (the replay of the downtime)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from fakes.planned import observe, write_rules
from signalflow import service
from signalflow.alerts.plan import take_tranche
from signalflow.notifiers.notification import Kind, Notification
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow


def down_from_day_13(tmp_path, until: int):
    """Evaluated daily to day 12, then down: days 13..``until`` are only collected."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    config = Settings(database_url=url, rules_dir=write_rules(tmp_path), routes=[Route(name="log", notifier="console")])
    theses = service.load_theses(config)
    store = Store.open(url)
    for day in range(13):
        service.evaluate(config, store, theses, at=observe(store, day) + timedelta(hours=1))
    for day in range(13, until + 1):
        last = observe(store, day)
    return config, store, theses, last + timedelta(hours=1)


def told(store: Store) -> list[Notification]:
    with store.session() as session:
        rows = session.exec(select(OutboxRow).order_by(OutboxRow.id))
        return [Notification.from_json(r.payload_json) for r in rows if r.kind in (Kind.ADD, Kind.MISSED)]


def test_an_add_due_and_cleared_while_down_is_told_once_as_missed(tmp_path):
    # day 13: due while a Soft Warning fires; 14: it clears, the add would be announced; 16: no longer due
    config, store, theses, now = down_from_day_13(tmp_path, until=16)
    try:
        first = service.replay_downtime(config, store, theses, now=now)
        again = service.replay_downtime(config, store, theses, now=now)
        service.evaluate(config, store, theses, at=now)
        messages = told(store)
    finally:
        store.close()
    adds = [m for m in messages if m.rule == "add_1"]
    assert (first, again) == (2, 0)  # the Soft Warning's episode and the add's, once each
    assert [m.kind for m in adds] == [Kind.MISSED], "told once, as missed; the live pass tells nothing more"
    [add] = adds
    assert add.severity == "info" and add.headline.startswith("Missed while down — Info: Planned")
    assert add.key == "planned/plan/add1/missed/2025-01-14T00:00:00@log"
    assert "Add 1 of the plan was due: 25% of the intended position" in add.summary
    assert add.why.startswith("Missed while the daemon was down: due from 2025-01-14 00:00 to 2025-01-17 00:00 UTC")
    assert add.fired_at.day == 14 and add.at.day == 17


def test_an_add_still_due_at_the_restart_is_announced_by_the_live_pass_not_as_missed(tmp_path):
    config, store, theses, now = down_from_day_13(tmp_path, until=15)
    try:
        service.replay_downtime(config, store, theses, now=now)
        service.evaluate(config, store, theses, at=now)
        messages = [m.kind for m in told(store) if m.rule == "add_1"]
    finally:
        store.close()
    assert messages == [Kind.ADD]


def test_a_taken_add_is_not_told_as_missed(tmp_path):
    config, store, theses, now = down_from_day_13(tmp_path, until=16)
    try:
        [thesis] = theses
        take_tranche(store, thesis, 1, now=now)
        written = service.replay_downtime(config, store, theses, now=now)
        messages = [m for m in told(store) if m.rule == "add_1"]
    finally:
        store.close()
    assert (written, messages) == (1, [])  # the Soft Warning's episode only
