"""The binding layer over live passes, on every storage backend: stored exactly (the
instant of the move), shown on the board, told once per move (not again on the next pass
or after a restart)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from signalflow import service
from signalflow.store import Store
from signalflow.store.enums import Kind
from signalflow.store.models import OutboxRow
from signalflow.viz.board import binding

from tests.cascade.helpers import T0, batch, load, thesis_yaml

# Packaging warns from day 10 (pk1) and 12 (pk2) until both resolve on day 30; power's pw1
# warns from day 25 (a Kill Switch from day 38), pw2 from day 31. Packaging binds from day
# 10, power from day 30.
SERIES = {
    "fred.PK1": {0: 0, 10: 2, 30: 0},
    "fred.PK2": {0: 0, 12: 2, 30: 0},
    "fred.PW1": {0: 0, 25: 2, 38: 9},
    "fred.PW2": {0: 0, 31: 2},
}
TEXTS = {
    "pk1": thesis_yaml("pk1", "packaging", "fred.PK1"),
    "pk2": thesis_yaml("pk2", "packaging", "fred.PK2"),
    "pw1": thesis_yaml("pw1", "power", "fred.PW1"),
    "pw2": thesis_yaml("pw2", "power", "fred.PW2"),
}


def _cascades(store: Store) -> list[dict]:
    with store.session() as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == Kind.CASCADE)).all()
        return [json.loads(r.payload_json) for r in rows]


def test_the_binding_layer_moves_once_and_is_told_once(settings, store, database_url, tmp_path):
    theses = load(tmp_path / "rules", TEXTS)
    store.add_batch(batch(SERIES))

    service.evaluate(settings, store, theses, at=T0 + timedelta(days=20))
    now = binding(store)
    assert (now.layer, now.since, now.theses) == ("packaging", T0 + timedelta(days=10), ("pk1",))
    assert _cascades(store) == []  # the history seen on the first look is stored, not told

    service.evaluate(settings, store, theses, at=T0 + timedelta(days=35))
    now = binding(store)
    assert (now.layer, now.since, now.previous) == ("power", T0 + timedelta(days=30), "packaging")
    assert now.share == 0.5 and now.theses == ("pw1",)
    [told] = _cascades(store)
    assert told["kind"] == "cascade" and told["severity"] == "info"
    assert told["title"] == "The binding layer moved from packaging to power"
    assert told["firing"] == ["pw1"] and told["at"] == (T0 + timedelta(days=30)).isoformat()
    assert "pw1" in told["summary"]

    service.evaluate(settings, store, theses, at=T0 + timedelta(days=36))  # pw2 warns: no move
    assert len(_cascades(store)) == 1 and binding(store).since == T0 + timedelta(days=30)

    if database_url != "sqlite://":  # a restart, then a pass with a change (pw1's Kill Switch)
        again = Store.open(database_url)
        try:
            service.evaluate(settings, again, theses, at=T0 + timedelta(days=40))
            with again.session() as session:
                kinds = [r.kind for r in session.exec(select(OutboxRow)).all()]
            assert Kind.FIRING in kinds  # the pass did look again: a rule fired in it
            assert len(_cascades(again)) == 1
            assert binding(again).layer == "power"
        finally:
            again.close()


def test_one_layer_has_no_binding_layer(settings, store, tmp_path):
    theses = load(tmp_path / "rules", {k: v for k, v in TEXTS.items() if k.startswith("pw")})
    store.add_batch(batch(SERIES))
    service.evaluate(settings, store, theses, at=T0 + timedelta(days=35))
    assert binding(store) is None and _cascades(store) == []


def test_status_names_the_binding_layer_and_since_when(settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from signalflow.cli import app

    rules = tmp_path / "rules"
    theses = load(rules, TEXTS)
    url = f"sqlite:///{tmp_path / 'board.db'}"
    store = Store.open(url)
    try:
        store.add_batch(batch(SERIES))
        service.evaluate(settings, store, theses, at=T0 + timedelta(days=20))
        service.evaluate(settings, store, theses, at=T0 + timedelta(days=35))
    finally:
        store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Binding layer: power since 2025-01-31 00:00 UTC, 50% of its theses in Soft Warning or Kill Switch (pw1); packaging bound before." in text
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    data = json.loads(CliRunner().invoke(app, ["status", "--json"]).stdout)
    assert data["binding"] == {
        "layer": "power",
        "since": "2025-01-31T00:00:00",
        "share": 0.5,
        "theses": ["pw1"],
        "previous": "packaging",
    }


def test_backtest_shows_the_moves_and_a_reader_sees_the_layer(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from signalflow.cli import app

    rules = tmp_path / "rules"
    reader = thesis_yaml("reader", "", "fred.R", extra_soft="layer(power) >= 50%")  # no layer of its own
    load(rules, {**TEXTS, "reader": reader})
    url = f"sqlite:///{tmp_path / 'bt.db'}"
    store = Store.open(url)
    try:
        store.add_batch(batch({**SERIES, "fred.R": {0: 0}}))
    finally:
        store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("COLUMNS", "80")
    args = ["backtest", "--from", "2025-01-01", "--to", "2025-02-20", "--cascade"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "2025-01-31 00:00  power, from packaging: 50% warning (pw1)" in text.stdout
    data = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert [(m["at"][:10], m["layer"], m["theses"]) for m in data["cascade"]] == [
        ("2025-01-11", "packaging", ["pk1"]),
        ("2025-01-31", "power", ["pw1"]),
    ]
    [summary] = [s for s in data["theses"] if s["thesis"] == "reader"]
    fired = [t for t in summary["transitions"] if t["rule"] == "read"]
    assert fired[0]["at"].startswith("2025-01-26") and fired[0]["to"] == "firing"  # pw1 from day 25


def test_explain_reads_the_layer_as_it_stood(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from signalflow.cli import app

    rules = tmp_path / "rules"
    load(rules, {**TEXTS, "reader": thesis_yaml("reader", "", "fred.R", extra_soft="layer(power) >= 50%")})
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    store = Store.open(url)
    try:
        store.add_batch(batch({**SERIES, "fred.R": {0: 0}}))
    finally:
        store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    for as_of, state in (("2025-01-20", "ok"), ("2025-02-10", "soft_warning")):
        result = CliRunner().invoke(app, ["explain", "reader", "--as-of", as_of, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["state"] == state


def test_a_live_reader_follows_the_layer_and_the_move_is_delivered(settings, store, tmp_path):
    rules = tmp_path / "rules"
    theses = load(rules, {**TEXTS, "reader": thesis_yaml("reader", "", "fred.R", extra_soft="layer(power) >= 50%")})
    store.add_batch(batch({**SERIES, "fred.R": {0: 0}}))
    states = {}
    for day in (20, 26, 35):
        for ev in service.evaluate(settings, store, theses, at=T0 + timedelta(days=day)):
            states[(ev.status.thesis, day)] = ev.status.state.value
    assert [states[("reader", d)] for d in (20, 26, 35)] == ["ok", "soft_warning", "soft_warning"]
    assert [states[(t, 35)] for t in ("pk1", "pk2", "pw1", "pw2")] == ["ok", "ok", "soft_warning", "soft_warning"]
    service.deliver(settings, store)
    with store.session() as session:
        [row] = session.exec(select(OutboxRow).where(OutboxRow.kind == Kind.CASCADE)).all()
        assert row.status.value == "sent", row.last_error


def test_a_reader_episode_missed_while_down_is_replayed_over_the_layer(settings, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'replay.db'}")
    try:
        rules = tmp_path / "rules"
        reader = thesis_yaml("reader", "", "fred.R", extra_soft="layer(power) >= 50%")
        theses = load(rules, {"pw1": TEXTS["pw1"], "pw2": TEXTS["pw2"], "reader": reader})
        store.add_batch(batch({"fred.PW1": {0: 0, 25: 2, 28: 0}, "fred.PW2": {0: 0}, "fred.R": {0: 0}}))
        service.evaluate(settings, store, theses, at=T0 + timedelta(days=20))
        assert service.replay_downtime(settings, store, theses, now=T0 + timedelta(days=35)) >= 2  # pw1 and reader
        with store.session() as session:
            keys = [r.dedup_key for r in session.exec(select(OutboxRow).where(OutboxRow.kind == Kind.MISSED)).all()]
        assert any(k.startswith("reader/read/missed/2025-01-26") for k in keys), keys
    finally:
        store.close()
