"""On restart the daemon replays its downtime: an episode that began and ended while it
was down is told once, as a ``missed`` notification, and never again."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlmodel import select

from signalflow import service
from signalflow.daemon import Daemon
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import AlertRow, OutboxRow

T0 = datetime(2025, 3, 3)
T1 = T0 + timedelta(days=3)  # the spread widens: the rule fires
T2 = T0 + timedelta(days=6)  # it narrows again: the rule resolves
NOW = T0 + timedelta(days=10)


def setup(tmp_path) -> tuple[Settings, Store]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit.yaml").write_text(
        """\
thesis: credit
title: "Credit: spreads stay tight"
growth:
  reason: "taken as given in this test"
  when: fred.HY > -100
liquidity:
  reason: "taken as given in this test"
  when: fred.HY > -100
soft_warning:
  - name: spread_widens
    when: fred.HY > 5
    summary: "Spreads widen"
kill_switch:
  - name: spreads_explode
    when: fred.HY > 1000
    summary: "Spreads explode"
"""
    )
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    settings = Settings(database_url=url, rules_dir=rules, routes=[Route(name="desk", notifier="console")])
    store = Store.open(url)
    add(store, T0, 3.0)
    return settings, store


def add(store: Store, at: datetime, value: float) -> None:
    store.add_batch(
        Batch(
            series=[SeriesInfo("fred.HY", "fred")],
            observations=[Observation("fred.HY", at.date(), at.date(), value, at, "", "", KnownAtBasis.VINTAGE)],
        )
    )


def rows(store: Store) -> list[OutboxRow]:
    with store.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def test_an_episode_inside_the_downtime_is_told_once_as_missed(tmp_path) -> None:
    settings, store = setup(tmp_path)
    theses = service.load_theses(settings)
    try:
        [first] = service.evaluate(settings, store, theses, at=T0 + timedelta(hours=1))
        assert first.status.firing == []
        # the daemon is down: the spread widens at T1 and narrows at T2, both before NOW
        add(store, T1, 7.0)
        add(store, T2, 2.0)
        told = service.replay_downtime(settings, store, theses, now=NOW)
        again = service.replay_downtime(settings, store, theses, now=NOW)
        later = service.replay_downtime(settings, store, theses, now=NOW + timedelta(days=1))
        [row] = rows(store)
        [live] = service.evaluate(settings, store, theses, at=NOW)
        with store.session() as session:
            opened = list(session.exec(select(AlertRow)))
    finally:
        store.close()
    assert (told, again, later) == (1, 0, 0)
    assert (row.kind, row.route) == ("missed", "desk")
    payload = json.loads(row.payload_json)
    assert payload["rule"] == "spread_widens"
    assert payload["fired_at"].startswith(T1.date().isoformat())
    assert payload["at"].startswith(T2.date().isoformat())
    assert "Missed while the daemon was down" in payload["why"]
    assert f"from {T1:%Y-%m-%d}" in payload["why"] and f"to {T2:%Y-%m-%d}" in payload["why"]
    assert live.status.firing == [] and opened == []  # the live pass tells nothing more


def test_an_episode_before_the_last_pass_is_not_told_again(tmp_path) -> None:
    settings, store = setup(tmp_path)
    theses = service.load_theses(settings)
    try:
        add(store, T1, 7.0)
        add(store, T2, 2.0)
        service.evaluate(settings, store, theses, at=T2 + timedelta(hours=1))
        before = len(rows(store))
        told = service.replay_downtime(settings, store, theses, now=NOW)
        after = len(rows(store))
    finally:
        store.close()
    assert (told, after) == (0, before)


def test_the_daemon_replays_at_its_first_pass_only(tmp_path) -> None:
    settings, store = setup(tmp_path)
    theses = service.load_theses(settings)
    try:
        service.evaluate(settings, store, theses, at=T0 + timedelta(hours=1))
        add(store, T1, 7.0)
        add(store, T2, 2.0)
        daemon = Daemon(settings, store, theses)
        daemon.evaluate_job()
        daemon.evaluate_job()
        restarted = Daemon(settings, store, theses)
        restarted.evaluate_job()
        kinds = [r.kind for r in rows(store)]
    finally:
        store.close()
    assert kinds == ["missed"]


def test_run_once_replays_the_downtime_once(tmp_path, monkeypatch, http_server) -> None:
    from typer.testing import CliRunner

    from signalflow.cli import app

    settings, store = setup(tmp_path)
    theses = service.load_theses(settings)
    try:
        service.evaluate(settings, store, theses, at=T0 + timedelta(hours=1))
        add(store, T1, 7.0)
        add(store, T2, 2.0)
    finally:
        store.close()
    for name, value in {
        "DATABASE_URL": settings.database_url.get_secret_value(), "RULES_DIR": str(settings.rules_dir),
        "ROUTES": json.dumps([{"name": "desk", "notifier": "console"}]),
        # FRED answers 404: the collection fails, the stored history stays what the test wrote
        "FRED_API_URL": f"{http_server.url}/fred", "FRED_GRAPH_URL": f"{http_server.url}/graph.csv",
    }.items():
        monkeypatch.setenv(f"SIGNALFLOW_{name}", value)
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--once"])
    second = runner.invoke(app, ["run", "--once"])
    store = Store.open(settings.database_url)
    try:
        kinds = [(r.kind, r.status) for r in rows(store)]
    finally:
        store.close()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert [k for k, _ in kinds] == ["missed"]  # told once, not again by the second run
    assert "1 sent" in first.output and "0 sent" in second.output
    assert "Missed while the daemon was down" in first.output and "Missed" not in second.output
