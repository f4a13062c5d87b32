"""Hot reload: a valid edit of one rule keeps the other rules' state (pending timers,
firing alerts); a broken edit keeps the previous set, is logged, and queued as an ops
notification exactly once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from daemon_harness import write_thesis
from signalflow import service
from signalflow.daemon import Daemon
from signalflow.ops import RulesWatcher
from signalflow.ops.leader import LocalLease
from signalflow.settings import Route
from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.store import Store
from signalflow.store.models import AlertRow, OutboxRow
from signalflow.thesis.results import RuleState

NOW = datetime(2025, 6, 2, 12, 0)


@pytest.fixture
def daemon(settings):
    config = settings.model_copy(update={"routes": [Route(name="log", notifier="console")]})
    write_thesis(config.rules_dir, "calm_aaa", "AAA")
    store = Store.open(config.database_url)
    day = NOW.date() - timedelta(days=40)
    store.add_batch(
        Batch(
            series=[SeriesInfo(key="fred.AAA", source="fred", frequency="daily")],
            # 3 for a while, then 60 for the last ten days: `high` (> 5) fires at once,
            # `very_high` (> 50 for 30d) is pending.
            observations=[
                Observation("fred.AAA", d, d, 3.0 if i < 30 else 60.0, datetime.combine(d + timedelta(days=1), datetime.min.time()))
                for i in range(40)
                for d in [day + timedelta(days=i)]
            ],
        )
    )
    d = Daemon(config, store, service.load_theses(config), lease=LocalLease(), clock=lambda: NOW)
    yield d
    store.close()


def rules(d: Daemon, at: datetime):
    [evaluation] = service.evaluate(d.settings, d.store, d.theses, at=at)
    return {r.name: r for r in evaluation.status.rules}


def outbox(store) -> list[str]:
    with store.session() as session:
        return [r.dedup_key for r in session.exec(select(OutboxRow).order_by(OutboxRow.id))]


def test_editing_one_rule_keeps_the_other_rules_state(daemon):
    before = rules(daemon, NOW)
    assert before["high"].state is RuleState.FIRING
    assert before["very_high"].state is RuleState.PENDING
    with daemon.store.session() as session:
        [alert] = session.exec(select(AlertRow)).all()
    sent = outbox(daemon.store)
    assert sent == ["calm_aaa/high/1/firing@log"]

    path = daemon.settings.rules_dir / "calm_aaa.yaml"
    path.write_text(path.read_text().replace("> 1000", "> 2000"))  # only the Kill Switch changes
    assert daemon.reload()
    after = rules(daemon, NOW + timedelta(hours=1))
    assert after["high"].state is RuleState.FIRING
    assert after["high"].fired_at == before["high"].fired_at
    assert after["very_high"].state is RuleState.PENDING
    assert after["very_high"].active_at == before["very_high"].active_at
    with daemon.store.session() as session:
        assert [a.id for a in session.exec(select(AlertRow))] == [alert.id]
    assert outbox(daemon.store) == sent  # nothing notified again


def test_a_broken_edit_keeps_the_previous_set_and_notifies_once(daemon, caplog):
    previous = daemon.theses
    (daemon.settings.rules_dir / "calm_aaa.yaml").write_text("thesis: calm_aaa\ntitle: x\ngrowth:\n  when: fred.AAA >\n")
    with caplog.at_level(logging.ERROR, logger="signalflow.daemon"):
        assert not daemon.reload()
        assert not daemon.reload()  # the same broken edit seen again
    assert daemon.theses is previous
    assert [r.getMessage() for r in caplog.records].count("rules not reloaded: the previous set keeps running") == 2
    assert "calm_aaa.yaml" in caplog.records[0].error
    [key] = outbox(daemon.store)
    assert key.startswith("ops/rules/") and key.endswith("@log")
    assert daemon.counters.reloads == {"rejected": 2}


def test_the_watcher_sees_edits_additions_and_removals(tmp_path):
    rules_dir = tmp_path / "rules"
    path = write_thesis(rules_dir, "a", "AAA")
    watcher = RulesWatcher(rules_dir)
    assert not watcher.changed()
    path.write_text(path.read_text() + "\n# a comment\n")
    assert watcher.changed() and not watcher.changed()
    write_thesis(rules_dir, "b", "BBB")
    assert watcher.changed()
    path.unlink()
    assert watcher.changed() and not watcher.changed()
