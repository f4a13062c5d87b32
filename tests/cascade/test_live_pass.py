"""One cascade per live pass: its readers and the binding layer's moves share it, so each
layered thesis is backtested once per pass."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from signalflow import service
from signalflow.store import Store
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
