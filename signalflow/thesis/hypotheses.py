"""Statements by industry leaders as hypotheses a thesis checks against data.

A thesis file may carry::

    hypotheses:
      - name: dc_revenue_doubles
        claim: "Data-center revenue doubles within a year"
        who: "Jensen Huang, NVIDIA CEO"
        said: 2024-02-21
        source: "https://investor.nvidia.com/..."
        verify: yoy(csv.nvda_dc_revenue) >= 100%
        by: 2025-02-28

Each is evaluated point in time on the thesis's grid from ``said`` (or the first known value):
*confirmed* at the first instant, up to the end of the ``by`` day, at which ``verify`` is
true; *refuted* once the ``by`` day has ended without that, provided ``verify`` was known
(true or false) at some point before; *open* before, and also after the ``by`` day when no
data ever let ``verify`` be judged (an absence of data refutes nothing). A decision is final.
In rules, ``hypothesis(name)`` is true once confirmed, false once refuted and unknown while
open, so ``not hypothesis(dc_revenue_doubles)`` is a condition that fires on refutation only.

``hypotheses_reader`` reads the section (into :class:`~signalflow.thesis.model.Hypothesis`
values on ``Thesis.hypotheses``) without the evaluator, so loading a thesis stays light;
this module reports every hypothesis's state; the decision itself is
``functions_hypotheses.decide``, shared with the ``hypothesis()`` function.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from signalflow.series import SeriesFrame, SeriesProvider
from signalflow.thesis.arrays import ns
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.context import Context, node_refs
from signalflow.thesis.data import default_kind
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.functions_hypotheses import decide
from signalflow.thesis.model import Thesis


class HypothesisState(str, enum.Enum):
    OPEN = "open"  # not yet true, and its date has not passed
    CONFIRMED = "confirmed"  # verify became true on or before its date
    REFUTED = "refuted"  # its date passed without verify becoming true


@dataclass(frozen=True)
class HypothesisStatus:
    thesis: str
    name: str
    claim: str
    who: str
    said: date | None
    source: str
    verify: str
    by: date
    state: HypothesisState
    decided_at: datetime | None  # when it was confirmed or refuted
    at: datetime  # the instant of the evaluation

    def to_json(self) -> dict:
        return {
            "thesis": self.thesis,
            "name": self.name,
            "claim": self.claim,
            "who": self.who,
            "said": self.said.isoformat() if self.said else None,
            "source": self.source,
            "verify": self.verify,
            "by": self.by.isoformat(),
            "state": self.state.value,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "at": self.at.isoformat(),
        }


def evaluate_hypotheses(thesis: Thesis, provider: SeriesProvider, at: datetime) -> list[HypothesisStatus]:
    """Every hypothesis of ``thesis`` as known at ``at``."""
    found = thesis.hypotheses
    refs = sorted(set().union(*(node_refs(thesis, h.verify) for h in found))) if found else []
    frames = provider.load(refs, until=at) if refs else {}
    series = {r: PitSeries(frames.get(r) or SeriesFrame.empty(r, default_kind(r))) for r in refs}
    ctx = Context(thesis, series, np.array([ns(at)], np.int64), functions=BUILTIN_FUNCTIONS)
    out = []
    for h in found:
        value, confirmed, deadline = decide(ctx, h)
        state = {1.0: HypothesisState.CONFIRMED, 0.0: HypothesisState.REFUTED}.get(float(value[0]), HypothesisState.OPEN)
        decided = {HypothesisState.CONFIRMED: confirmed, HypothesisState.REFUTED: deadline}.get(state)
        out.append(
            HypothesisStatus(
                thesis.id, h.name, h.claim, h.who, h.said, h.source, h.verify_text, h.by, state,
                None if decided is None else pd.Timestamp(decided).to_pydatetime(), at,
            )
        )
    return out
