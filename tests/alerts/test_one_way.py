"""The alert path runs one way: the service evaluates ``ack --unless`` conditions with the
engine before the alert's transaction, and draws the alert chart after it commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from signalflow import service
from signalflow.alerts import resolve_unless
from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import AlertRow, OutboxRow
from signalflow.thesis.live import LiveEvaluator

THESIS = """\
thesis: credit_probe
title: "Credit probe"
growth:
  reason: "taken as given in this test"
  when: fred.PROBE > 0
liquidity:
  reason: "credit is open while the spread is below 6"
  when: fred.PROBE < 6
soft_warning:
  - name: spread_high
    when: fred.PROBE > 4
    for: 2d
kill_switch:
  - name: spread_blowout
    when: fred.PROBE > 20
"""
DAY = datetime(2025, 3, 3)
UNLESS = ("spread_high and fred.OTHER > 7", "not liquidity", "fred.PROBE > 9", "growth and liquidity",
          "spread_blowout or fred.OTHER > 1")


def observe(store: Store, ref: str, day: datetime, value: float) -> None:
    store.add_batch(
        Batch(series=[SeriesInfo(ref, "fred")], observations=[Observation(ref, day.date(), day.date(), value, day)])
    )


def setup(tmp_path) -> tuple[Settings, Store]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit_probe.yaml").write_text(THESIS)
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    config = Settings(database_url=url, rules_dir=rules, data_dir=tmp_path, routes=[Route(name="desk", notifier="console")])
    return config, Store.open(url)


def test_live_conditions_equal_a_whole_evaluation_of_the_thesis(tmp_path):
    config, store = setup(tmp_path)
    [thesis] = service.load_theses(config)
    try:
        for back in range(5, 0, -1):
            observe(store, "fred.PROBE", DAY - timedelta(days=back), 5.0 + back)
        observe(store, "fred.OTHER", DAY - timedelta(days=1), 8.0)
        live = LiveEvaluator(store)
        at = DAY + timedelta(hours=1)
        evaluation = live.evaluate(thesis, at=at)
        assert evaluation.status.firing == ["spread_high"]
        nodes = {text: resolve_unless(thesis, text) for text in UNLESS}
        quick = live.conditions(thesis, evaluation.state, nodes)  # one instant, rules from the state
        whole = {text: service.unless_check(store)(thesis, text, at) for text in UNLESS}  # evaluated from the start
        assert quick == whole == {
            "spread_high and fred.OTHER > 7": True,
            "not liquidity": True,
            "fred.PROBE > 9": False,
            "growth and liquidity": False,
            "spread_blowout or fred.OTHER > 1": True,
        }
    finally:
        store.close()


def test_the_alert_chart_is_drawn_after_the_alert_is_committed(tmp_path, monkeypatch):
    config, store = setup(tmp_path)
    config = config.model_copy(update={"alert_charts": True})
    [thesis] = service.load_theses(config)
    seen: list[tuple[int, list[str]]] = []

    def plot_thesis(th, provider, start, end, path):
        # Another connection sees the alert and its message: the transaction has committed.
        reader = Store.open(config.database_url)
        try:
            with reader.session() as other:
                alerts = list(other.exec(select(AlertRow)))
                payloads = [row.payload_json for row in other.exec(select(OutboxRow))]
        finally:
            reader.close()
        seen.append((len(alerts), [p for p in payloads if str(path) in p]))
        Path(path).write_bytes(b"\x89PNG")
        return path, None

    monkeypatch.setattr("signalflow.viz.plot.plot_thesis", plot_thesis)
    try:
        for back in range(5, 0, -1):
            observe(store, "fred.PROBE", datetime.utcnow() - timedelta(days=back), 5.0)
        [evaluation] = service.evaluate(config, store, [thesis])
        assert evaluation.status.firing == ["spread_high"]
        assert len(seen) == 1 and seen[0][0] == 1 and len(seen[0][1]) == 1
        assert list((tmp_path / "charts").glob("credit_probe-*.png"))
        service.evaluate(config, store, [thesis])  # still firing: no new thread, no new chart
        assert len(seen) == 1
    finally:
        store.close()
