"""One cascade per live pass: its readers, their ``ack --unless`` conditions and the binding
layer's moves share it, so each layered thesis is backtested once per pass and an ``unless``
reads ``layer()`` as the thesis itself does at that instant."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from signalflow import service
from signalflow.cli import app
from signalflow.store import Store
from signalflow.store.enums import Kind
from signalflow.store.models import OutboxRow
from signalflow.thesis.live import LiveEvaluator
from signalflow.viz.board import binding

from tests.cascade.helpers import T0, batch, load, thesis_yaml
from tests.cascade.test_binding_pass import SERIES, TEXTS


class CountingStore:
    """A store that counts the reads of each set of series (everything else is the store's)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.loads: Counter[tuple[str, ...]] = Counter()

    def load(self, keys, until=None, **kwargs):
        self.loads[tuple(sorted(keys))] += 1
        return self.inner.load(keys, until=until, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_pass_backtests_each_layered_thesis_once(settings, store, tmp_path):
    reader = thesis_yaml("reader", "", "fred.R", extra_soft="layer(power) >= 50%")
    theses = load(tmp_path / "rules", {**TEXTS, "reader": reader})
    store.add_batch(batch({**SERIES, "fred.R": {0: 0}}))
    # The first look for moves, then pw1 (day 26) and pw2 with packaging's end (day 35) change
    # a layered rule: every pass evaluates the reader and looks for the binding layer.
    for day, reading, bound in ((20, "ok", "packaging"), (26, "soft_warning", "packaging"), (35, "soft_warning", "power")):
        counting = CountingStore(store)
        states = {ev.status.thesis: ev.status.state.value for ev in service.evaluate(settings, counting, theses, at=T0 + timedelta(days=day))}
        assert states["reader"] == reading and binding(store).layer == bound
        # Each layered thesis: one read for its own evaluation, one for its backtest in the cascade.
        assert {keys: counting.loads[keys] for keys in (("fred.PK1",), ("fred.PK2",), ("fred.PW1",), ("fred.PW2",))} == {
            ("fred.PK1",): 2, ("fred.PK2",): 2, ("fred.PW1",): 2, ("fred.PW2",): 2,
        }, day


def _outbox(store: Store, kind: Kind) -> list[dict]:
    with store.session() as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == kind)).all()
        return [json.loads(r.payload_json) for r in rows]


@pytest.mark.parametrize("live", [False, True], ids=["evaluate", "daemon"])
@pytest.mark.parametrize("reads", [True, False], ids=["reader", "not-a-reader"])
def test_an_unless_reading_a_layer_rearms_when_the_share_crosses(settings, tmp_path, monkeypatch, live, reads):
    # Power's share: 1/3 from day 10, 2/3 from day 20. The packaging thesis warns on its own
    # series from day 5 and (``reads``) has a rule of its own on layer(power) > 50%.
    rules = tmp_path / "rules"
    power = {"fred.P1": {0: 0, 10: 2}, "fred.P2": {0: 0, 20: 2}, "fred.P3": {0: 0}, "fred.K": {0: 0, 5: 2}}
    theses = load(rules, {
        **{f"p{i}": thesis_yaml(f"p{i}", "power", f"fred.P{i}") for i in (1, 2, 3)},
        "reader": thesis_yaml("reader", "packaging", "fred.K", extra_soft="layer(power) > 50%" if reads else ""),
    })
    url = f"sqlite:///{tmp_path / 'unless.db'}"
    store = Store.open(url)
    evaluator = LiveEvaluator(store) if live else None
    try:
        store.add_batch(batch(power))
        [fired] = [ev for ev in service.evaluate(settings, store, theses, at=T0 + timedelta(days=6), live=evaluator)
                   if ev.status.thesis == "reader"]
        assert list(fired.status.firing) == ["high"]

        monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
        monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
        acked = CliRunner().invoke(app, ["ack", "reader", "--decision", "hold", "--note", "power is not short yet",
                                         "--unless", "layer(power) > 50%", "--json"])
        assert acked.exit_code == 0, acked.output
        assert [d["unless"] for d in json.loads(acked.stdout)] == ["layer(power) > 50%"]

        for day in (12, 19):  # a third of power warns: the decision holds
            service.evaluate(settings, store, theses, at=T0 + timedelta(days=day), live=evaluator)
        assert _outbox(store, Kind.REARMED) == []

        [reader] = [ev for ev in service.evaluate(settings, store, theses, at=T0 + timedelta(days=21), live=evaluator)
                    if ev.status.thesis == "reader"]
        # The same pass the thesis's own layer(power) rule starts firing, the unless re-arms.
        assert [t.rule for t in reader.transitions if t.to_state.value == "firing"] == (["read"] if reads else [])
        [rearmed] = _outbox(store, Kind.REARMED)
        assert rearmed["thesis"] == "reader" and rearmed["rule"] == "high"
        assert "layer(power) > 50%" in json.dumps(rearmed)
    finally:
        store.close()
