"""A tranche plan over a backtest: when each add would have been announced, withheld or
cleared. Apart from :mod:`signalflow.thesis.plan`, which the loader reads plans with, so
that checking a thesis file loads no numpy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signalflow.thesis.model import Thesis
from signalflow.thesis.plan import AddEvent, AddState, blockers, step

if TYPE_CHECKING:
    from signalflow.thesis.results import Backtest


def plan_backtest(thesis: Thesis, bt: Backtest) -> list[dict]:
    """When each add of ``thesis``'s plan would have been announced, withheld (and why) or
    cleared over a backtest ``bt``: the same :func:`step` the daemon takes, at every
    instant of the timeline."""
    plan = thesis.plan
    if plan is None or not plan.adds or bt.timeline.empty:
        return []
    timeline = bt.timeline

    def firing(rules) -> np.ndarray:
        columns = [np.asarray(timeline[r.name].astype(str) == "firing") for r in rules]
        return np.logical_or.reduce(columns) if columns else np.zeros(len(timeline), bool)

    soft, kill = firing(thesis.soft_warning), firing(thesis.kill_switch)
    stretched = bt.values(plan.stretched) if plan.stretched is not None else np.full(len(timeline), np.nan)
    events = []
    for add in plan.adds:
        met = bt.values(add.when)
        state = AddState()
        for i, at in enumerate(timeline.index):
            value = None if np.isnan(met[i]) else bool(met[i])
            is_stretched = None if np.isnan(stretched[i]) else bool(stretched[i])
            blocked = blockers(bool(soft[i]), bool(kill[i]), is_stretched)
            state, event = step(state, value, blocked)
            if event is not None:
                events.append(
                    {"at": at.to_pydatetime().isoformat(), "add": add.number, "size_pct": add.size,
                     "event": event.value, "why": state.withheld if event is AddEvent.WITHHELD else ""}
                )
    return sorted(events, key=lambda e: (e["at"], e["add"]))
