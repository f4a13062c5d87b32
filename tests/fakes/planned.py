"""A planned thesis over data the tests write: revenue, a risk gauge and a price."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.store import Store

THESIS = """\
thesis: planned
title: "Planned: build the position in tranches"
series:
  stretch: pct_above_mean(fred.PX, 10d)
growth:
  reason: "taken as given in this test"
  when: fred.REV > 0
liquidity:
  reason: "taken as given in this test"
  when: fred.REV > -1000
soft_warning:
  - name: risk_high
    when: fred.RISK > 4
    summary: "Risk above 4"
kill_switch:
  - name: revenue_gone
    when: fred.REV < 0
    summary: "Revenue below zero"
plan:
  first: 50%
  stretched: stretch > 20%
  adds:
    - size: 25%
      when: fred.REV > 20
  on_soft_warning: "Hold the first tranche; take no add until it clears"
  on_kill_switch: "Sell every tranche"
"""

START = datetime(2025, 1, 1)

# day -> (revenue, risk, price); the days between repeat the day before
SCRIPT = {
    0: (15, 1, 100),
    13: (25, 5, 100),  # the add's condition holds while a Soft Warning fires: withheld
    14: (25, 1, 100),  # the Soft Warning clears: announced
    15: (25, 1, 100),  # still due: not again
    16: (15, 1, 100),  # the condition stops holding: the episode ends
    17: (25, 1, 150),  # holds again, but the price is 40%+ above its 10-day mean: withheld
    18: (25, 1, 100),  # no longer stretched: announced (a new episode)
    19: (-5, 1, 100),  # a Kill Switch
}
LAST_DAY = 19


def write_rules(tmp_path: Path, text: str = THESIS) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "planned.yaml").write_text(text)
    return rules


def values_on(day: int) -> tuple[float, float, float]:
    return SCRIPT[max(d for d in SCRIPT if d <= day)]


def observe(store: Store, day: int) -> datetime:
    """The day's three observations, known at the day's start; returns that instant."""
    at = START + timedelta(days=day)
    rev, risk, px = values_on(day)
    refs = {"fred.REV": rev, "fred.RISK": risk, "fred.PX": px}
    store.add_batch(
        Batch(
            series=[SeriesInfo(ref, "fred") for ref in refs],
            observations=[Observation(ref, at.date(), at.date(), float(v), at) for ref, v in refs.items()],
        )
    )
    return at
