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
data ever let ``verify`` be judged (an absence of data refutes nothing). A decision is final. In rules, ``hypothesis(name)`` is true once confirmed, false once refuted and unknown
while open, so ``not hypothesis(dc_revenue_doubles)`` is a condition that fires on refutation
only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from signalflow.errors import Location
from signalflow.thesis.ast import Call, Name, Node
from signalflow.thesis.frames import DAY, NAT, PitSeries, Shift

if TYPE_CHECKING:
    from signalflow.thesis.context import Context
    from signalflow.thesis.model import Thesis
    from signalflow.series import SeriesProvider

HYPOTHESIS_KEYS = ("name", "claim", "who", "said", "source", "verify", "by")


class HypothesisState(str, enum.Enum):
    OPEN = "open"  # not yet true, and its date has not passed
    CONFIRMED = "confirmed"  # verify became true on or before its date
    REFUTED = "refuted"  # its date passed without verify becoming true


@dataclass(frozen=True)
class Hypothesis:
    """One statement: who said what, when, where, and the condition that verifies it by when."""

    name: str
    claim: str
    verify: Node
    verify_text: str
    by: date
    location: Location
    who: str = ""
    said: date | None = None
    source: str = ""


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


def hypotheses_of(thesis: Thesis) -> tuple[Hypothesis, ...]:
    return tuple(thesis.extra.get("hypotheses", ()))  # type: ignore[arg-type]


def read_hypotheses(builder, entry, derived: dict) -> tuple[Hypothesis, ...]:
    """The ``hypotheses:`` section, each ``verify`` resolved; problems go to the builder's reader."""
    from signalflow.thesis.functions_spec import ValueKind
    from signalflow.thesis.resolve import Resolver

    if entry is None:
        return ()
    r = builder.reader
    items = r.sequence(entry.value, "hypotheses") or []
    resolver = Resolver(builder.path, derived, ())
    out: list[Hypothesis] = []
    for item in items:
        fields = r.mapping(item, "a hypothesis", HYPOTHESIS_KEYS, ("name", "claim", "verify", "by"))
        if fields is None or not {"name", "claim", "verify", "by"} <= set(fields):
            continue
        name = r.string(fields["name"].value, "hypothesis name")
        if name is None or not builder.valid_name(fields["name"].value, name, "hypothesis"):
            continue
        if any(h.name == name for h in out):
            r.problem(fields["name"].value, f"duplicate hypothesis {name!r}")
            continue
        parsed = builder.expression(fields["verify"].value, f"hypothesis {name}: verify")
        by = r.date(fields["by"].value, f"hypothesis {name}: by")
        said = r.date(fields["said"].value, f"hypothesis {name}: said") if "said" in fields else None
        if parsed is None or by is None:
            continue
        if said is not None and said > by:
            r.problem(fields["by"].value, f"hypothesis {name}: by ({by}) is before said ({said})")
            continue
        verify = resolver.resolve(parsed[0], ValueKind.BOOL, f"hypothesis {name}: verify")
        text = {k: (r.string(fields[k].value, f"hypothesis {name}: {k}") or "") if k in fields else "" for k in ("claim", "who", "source")}
        out.append(
            Hypothesis(name, text["claim"].strip(), verify, parsed[1], by, r.loc(fields["name"].value), text["who"].strip(), said, text["source"].strip())
        )
    r.problems.extend(resolver.problems)
    return tuple(out)


def _ns(day: date) -> int:
    return int(pd.Timestamp(day).as_unit("ns").value)


def decide(ctx: Context, hyp: Hypothesis) -> tuple[np.ndarray, int, int]:
    """(value per instant of ``ctx.t``: 1 confirmed, 0 refuted, NaN open; the instant it was
    confirmed or NAT; the instant it is refuted (the end of its ``by`` day))."""
    deadline = _ns(hyp.by) + DAY
    start = _ns(hyp.said) if hyp.said is not None else _first_known(ctx, hyp.verify)
    confirmed = NAT
    judged = False  # was verify ever known (true or false) before the deadline?
    last = min(int(ctx.t[-1]), deadline - 1)
    if start is not None and start <= last:
        from signalflow.thesis.context import Context as _Context
        from signalflow.thesis.frames import grid_points

        first = -(-start // ctx.step) * ctx.step
        grid = grid_points(first, last, ctx.step)
        instants = ctx.t[(ctx.t >= start) & (ctx.t <= last)]
        points = np.unique(np.concatenate([grid, instants]))
        if len(points):
            values = _Context(ctx.thesis, ctx.all_series, points).eval(hyp.verify)
            judged = bool(np.isfinite(values).any())
            hits = np.flatnonzero(values == 1)
            if len(hits):
                confirmed = int(points[hits[0]])
    out = np.full(len(ctx.t), np.nan)
    if confirmed != NAT:
        out[ctx.t >= confirmed] = 1.0
    elif judged:
        out[ctx.t >= deadline] = 0.0
    # Never judged (no data for verify before the deadline): it stays open, not refuted.
    return out, confirmed, deadline


def _first_known(ctx: Context, node: Node) -> int | None:
    firsts = [int(ctx.series(r).k_sorted[0]) for r in ctx.refs_of(node) if len(ctx.series(r))]
    return min(firsts) if firsts else None


def hypothesis(ctx: Context, call: Call, sh: tuple[Shift, ...]) -> np.ndarray:
    name = call.args[0]
    assert isinstance(name, Name)
    hyp = next(h for h in hypotheses_of(ctx.thesis) if h.name == name.name)
    return decide(ctx, hyp)[0]


IMPLEMENTATIONS = {"hypothesis": hypothesis}


def evaluate_hypotheses(thesis: Thesis, provider: SeriesProvider, at: datetime) -> list[HypothesisStatus]:
    """Every hypothesis of ``thesis`` as known at ``at``."""
    from signalflow.thesis.context import Context, _refs
    from signalflow.thesis.data import default_kind
    from signalflow.series import SeriesFrame

    found = hypotheses_of(thesis)
    refs = sorted(set().union(*(_refs(thesis, h.verify) for h in found))) if found else []
    frames = provider.load(refs, until=at) if refs else {}
    series = {r: PitSeries(frames.get(r) or SeriesFrame.empty(r, default_kind(r))) for r in refs}
    ctx = Context(thesis, series, np.array([int(pd.Timestamp(at).as_unit("ns").value)], np.int64))
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
