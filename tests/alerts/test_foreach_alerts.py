"""Each expansion of a ``for_each`` file lives its own life: its own engine state, alerts,
outbox messages, journal, acknowledgements and board row, through the store."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from signalflow import service
from signalflow.notifiers.notification import Notification
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store import alerts as store_alerts
from signalflow.store.enums import Decision
from signalflow.store.models import OutboxRow
from signalflow.viz.board import board

DAY = datetime(2025, 3, 3)
THESIS = """\
for_each: {ticker: [MSFT, GOOGL, ORCL]}
thesis: capex_floor
title: "{ticker} keeps spending"
growth:
  reason: "taken as given in this test"
  when: fred.HY > -100
liquidity:
  reason: "taken as given in this test"
  when: fred.HY > -100
soft_warning:
  - name: capex_low
    when: sec.{ticker}.capex < 20
    summary: "{ticker} capex below 20"
kill_switch:
  - name: capex_gone
    when: sec.{ticker}.capex < 5
    summary: "{ticker} capex below 5"
"""


def observation(key: str, value: float) -> Observation:
    return Observation(key, date(2024, 10, 1), date(2024, 12, 31), value, DAY, "", "", KnownAtBasis.VINTAGE)


def test_each_expansion_has_its_own_state_alerts_journal_and_board_row(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "capex.yaml").write_text(THESIS, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'fe.db'}"
    config = Settings(database_url=url, rules_dir=rules, routes=[Route(name="desk", notifier="console")])
    theses = service.load_theses(config)
    assert [t.id for t in theses] == ["capex_floor[MSFT]", "capex_floor[GOOGL]", "capex_floor[ORCL]"]
    store = Store.open(url)
    try:
        keys = {"sec.MSFT.capex": 3.0, "sec.GOOGL.capex": 50.0, "sec.ORCL.capex": 10.0, "fred.HY": 1.0}
        store.add_batch(
            Batch(
                series=[SeriesInfo(k, k.split(".")[0]) for k in keys],
                observations=[observation(k, v) for k, v in keys.items()],
            )
        )
        results = service.evaluate(config, store, theses, at=DAY + timedelta(hours=1))
        states = {r.status.thesis: r.status.state.value for r in results}
        assert states == {
            "capex_floor[MSFT]": "kill_switch",
            "capex_floor[GOOGL]": "ok",
            "capex_floor[ORCL]": "soft_warning",
        }
        stored = store.engine_states()
        assert {k: v[0].thesis for k, v in stored.items()} == {k: k for k in states}

        with store.session() as session:
            firing = sorted((a.thesis, a.rule) for a in store_alerts.firing(session))
            messages = [Notification.from_json(row.payload_json) for row in session.exec(select(OutboxRow))]
        assert firing == [
            ("capex_floor[MSFT]", "capex_gone"),
            ("capex_floor[MSFT]", "capex_low"),
            ("capex_floor[ORCL]", "capex_low"),
        ]
        # The messages speak of their own company.
        by_thesis = {(m.thesis, m.rule): m for m in messages}
        assert "MSFT capex below 5" in by_thesis[("capex_floor[MSFT]", "capex_gone")].summary
        assert "ORCL capex below 20" in by_thesis[("capex_floor[ORCL]", "capex_low")].summary

        service.acknowledge(store, "capex_floor[ORCL]", Decision.HOLD, "Oracle guided capex up next quarter")
        assert {e.thesis for e in service.journal(store, "capex_floor[ORCL]")} == {"capex_floor[ORCL]"}
        assert len(service.journal(store, "capex_floor[ORCL]")) == 2  # its alert and the decision
        assert service.journal(store, "capex_floor[GOOGL]") == []

        rows = {row.thesis: row for row in board(theses, store.engine_states(), today=DAY.date())}
        assert rows["capex_floor[MSFT]"].state == "kill_switch"
        assert rows["capex_floor[GOOGL]"].state == "ok"
        assert rows["capex_floor[ORCL]"].firing == ("capex_low",)
        assert rows["capex_floor[GOOGL]"].title == "GOOGL keeps spending"
    finally:
        store.close()


def test_the_daemons_live_pass_evaluates_the_expansions_together_and_records_the_same(tmp_path):
    """Pass after pass, a live pass (the daemon's) evaluates the expansions of a file
    together and stores the same states, alerts and outbox messages as passes that evaluate
    each expansion on its own."""
    from signalflow.thesis.live import LiveEvaluator

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "capex.yaml").write_text(THESIS, encoding="utf-8")
    tickers = ("MSFT", "GOOGL", "ORCL")
    # Each company's capex, quarter by quarter, filed on its own day: in and out of the rules.
    capex = {"MSFT": [30, 3, 30, 12], "GOOGL": [50, 50, 18, 50], "ORCL": [10, 4, 10, 40]}
    recorded = {}
    for live in (True, False):
        url = f"sqlite:///{tmp_path / f'{live}.db'}"
        config = Settings(database_url=url, rules_dir=rules, routes=[Route(name="desk", notifier="console")])
        theses = service.load_theses(config)
        store = Store.open(url)
        evaluator = LiveEvaluator(store) if live else None
        try:
            for quarter in range(4):
                filed = DAY + timedelta(days=91 * quarter)
                observations = [Observation("fred.HY", date(2024, 12, 31), date(2024, 12, 31), 1.0, DAY, "", "", KnownAtBasis.VINTAGE)]
                for n, ticker in enumerate(tickers):
                    end = date(2024, 12, 31) + timedelta(days=91 * quarter)
                    known = filed + timedelta(days=n, hours=3)
                    value = float(capex[ticker][quarter])
                    observations.append(Observation(f"sec.{ticker}.capex", end - timedelta(days=90), end, value, known, "", "", KnownAtBasis.VINTAGE))
                store.add_batch(
                    Batch(series=[SeriesInfo(o.series, o.series.split(".")[0]) for o in observations], observations=observations)
                )
                for hours in (1, 24 * 5):  # a pass before the others file, one after
                    service.evaluate(config, store, theses, at=filed + timedelta(hours=hours), live=evaluator)
                    if live and hours > 1:
                        [group] = evaluator._groups.values()
                        assert group.together == 3  # all three had something new, evaluated together
            with store.session() as session:
                rows = session.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
                messages = [(r.kind, Notification.from_json(r.payload_json).thesis) for r in rows]
            states = {k: (v[0].to_json(), v[1]) for k, v in store.engine_states().items()}
            recorded[live] = (states, messages)
        finally:
            store.close()
    assert recorded[True] == recorded[False]
    assert {kind for kind, _ in recorded[True][1]} >= {"firing", "escalated", "resolved"}  # the data exercise the rules


def _passes(tmp_path, name: str, monkeypatch=None, together: int | None = None) -> tuple[dict, list]:
    """Four quarters of live passes over the three expansions; the stored states and outbox."""
    from signalflow.service import evaluation as service_evaluation
    from signalflow.thesis.live import LiveEvaluator

    if together is not None:
        monkeypatch.setattr(service_evaluation, "RECORDED_TOGETHER", together)
    rules = tmp_path / name
    rules.mkdir()
    (rules / "capex.yaml").write_text(THESIS, encoding="utf-8")
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    config = Settings(database_url=url, rules_dir=rules, routes=[Route(name="desk", notifier="console")])
    theses = service.load_theses(config)
    store = Store.open(url)
    live = LiveEvaluator(store)
    capex = {"MSFT": [30, 3, 30, 12], "GOOGL": [50, 50, 18, 50], "ORCL": [10, 4, 10, 40]}
    try:
        for quarter in range(4):
            filed = DAY + timedelta(days=91 * quarter)
            end = date(2024, 12, 31) + timedelta(days=91 * quarter)
            observations = [observation("fred.HY", 1.0)] + [
                Observation(f"sec.{t}.capex", end - timedelta(days=90), end, float(capex[t][quarter]), filed + timedelta(hours=3),
                            "", "", KnownAtBasis.VINTAGE)
                for t in capex
            ]  # fmt: skip
            store.add_batch(Batch(series=[SeriesInfo(o.series, o.series.split(".")[0]) for o in observations], observations=observations))
            service.evaluate(config, store, theses, at=filed + timedelta(days=1), live=live)
        with store.session() as session:
            rows = session.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
            messages = sorted((r.dedup_key, r.kind) for r in rows)
        return {k: (v[0].to_json(), v[1]) for k, v in store.engine_states().items()}, messages
    finally:
        store.close()


def test_expansions_recorded_in_one_transaction_store_what_each_recorded_alone_stores(tmp_path, monkeypatch):
    together = _passes(tmp_path, "together")
    alone = _passes(tmp_path, "alone", monkeypatch, together=1)
    assert together == alone
    assert {kind for _, kind in together[1]} >= {"firing", "resolved"}


def test_one_expansion_failing_to_record_leaves_the_others_recorded_once(tmp_path, monkeypatch, caplog):
    """Recording the expansions together fails on one: the transaction is rolled back and
    each is recorded on its own, so the others are stored with their messages, once, and
    the failing one is not (the next pass evaluates it again)."""
    from signalflow.alerts import plan as alerts_plan

    real = alerts_plan.record_plan

    def failing(session, thesis, *args, **kwargs):
        if thesis.id == "capex_floor[GOOGL]":
            raise RuntimeError("disk full")
        return real(session, thesis, *args, **kwargs)

    monkeypatch.setattr(alerts_plan, "record_plan", failing)
    states, messages = _passes(tmp_path, "failing")
    assert set(states) == {"capex_floor[MSFT]", "capex_floor[ORCL]"}
    assert len(messages) == len(set(messages)) and messages
    assert all("GOOGL" not in key for key, _ in messages)
    assert "recording expansions together failed" in caplog.text
    assert "recording the evaluation failed" in caplog.text
