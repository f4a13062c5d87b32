"""Evaluate many theses together, the expansions of a ``for_each`` file above all.

    evaluations = evaluate_group(theses, provider, at=now, priors={t.id: state})
    group = Group(theses)                      # or keep the group, pass after pass
    evaluations = group.evaluate(provider, at=now, priors={t.id: state})

The expansions of one template were parsed and resolved once (``thesis/foreach.py``). Here
they share the reading: every series any of them reads is loaded in one provider call and
indexed once, so a series they all read (``fred.BAMLH0A0HYM2``) is indexed once, not once
per company. They also share values: equal timelines become one array, and an expression
two or more of them contain that reads only collected series (``fred.BAMLH0A0HYM2 < 5``)
is evaluated once for the group (:class:`~signalflow.thesis.context.SharedValues`). Each
thesis is then evaluated over its own timeline, exactly as :func:`engine.evaluate` would.
A :class:`Group` finds what its theses read and which expressions they share once, for
every pass it evaluates.

What is not shared: each expansion's own expressions, rule lifecycles, status and causes
(per expansion by nature: they read its own series). Each costs about what one thesis
evaluated alone costs, so a group of N costs about N single evaluations, less the reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from signalflow.errors import EvaluationError
from signalflow.series import SeriesProvider
from signalflow.thesis.context import SharedNodes, SharedValues, thesis_refs
from signalflow.thesis.engine import engine_frame, evaluate_series
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import EngineState, Evaluation

__all__ = ["Group", "evaluate_group", "load_group"]


def load_group(
    theses: Sequence[Thesis], provider: SeriesProvider, until: datetime, refs: Sequence[set[str]] | None = None
) -> dict[str, PitSeries]:
    """Every series ``theses`` read (``refs``: each one's ``thesis_refs``, when the caller
    has them), loaded in one call and indexed once each."""
    each = refs if refs is not None else [thesis_refs(thesis) for thesis in theses]
    wanted = sorted(set().union(*each))
    frames = provider.load(wanted, until=until)
    return {ref: PitSeries(engine_frame(ref, frames.get(ref))) for ref in wanted}


class Group:
    """Theses evaluated together pass after pass: the series each reads and the expressions
    they share are found once, when the group is made."""

    def __init__(self, theses: Sequence[Thesis]) -> None:
        self.theses = tuple(theses)
        self.reads = [thesis_refs(thesis) for thesis in self.theses]
        self.shared = SharedNodes(self.theses)

    def evaluate(
        self, provider: SeriesProvider, at: datetime, priors: Mapping[str, EngineState | None] | None = None
    ) -> list[Evaluation | EvaluationError]:
        """Each thesis's evaluation at ``at`` (its prior state from ``priors`` by id), in
        order, over series read once for all; a thesis that cannot be evaluated gives its
        error in its place, never stopping the others."""
        series = load_group(self.theses, provider, at, self.reads)
        priors = priors or {}
        shared = SharedValues(self.shared)
        out: list[Evaluation | EvaluationError] = []
        for thesis, refs in zip(self.theses, self.reads):
            own = {ref: series[ref] for ref in refs}
            try:
                out.append(evaluate_series(thesis, own, at, priors.get(thesis.id), shared))
            except EvaluationError as exc:
                out.append(exc)
        return out


def evaluate_group(
    theses: Sequence[Thesis],
    provider: SeriesProvider,
    at: datetime,
    priors: Mapping[str, EngineState | None] | None = None,
) -> list[Evaluation | EvaluationError]:
    """One pass of :meth:`Group.evaluate` over ``theses`` (keep a :class:`Group` to
    evaluate the same theses again)."""
    return Group(theses).evaluate(provider, at, priors)
