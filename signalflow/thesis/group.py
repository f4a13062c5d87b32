"""Evaluate many theses together, the expansions of a ``for_each`` file above all.

    evaluations = evaluate_group(theses, provider, at=now, priors={t.id: state})

The expansions of one template were parsed and resolved once (``thesis/foreach.py``). Here
they share the reading: every series any of them reads is loaded in one provider call and
indexed once, so a series they all read (``fred.BAMLH0A0HYM2``) is indexed once, not once
per company. They also share values: equal timelines become one array, and an expression
two or more of them contain that reads only collected series (``fred.BAMLH0A0HYM2 < 5``)
is evaluated once for the group (:class:`~signalflow.thesis.context.SharedValues`). Each
thesis is then evaluated over its own timeline, exactly as :func:`engine.evaluate` would.

What is not shared: each expansion's own expressions, rule lifecycles, status and causes
(per expansion by nature: they read its own series). Each costs about what one thesis
evaluated alone costs, so a group of N costs about N single evaluations, less the reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from signalflow.errors import EvaluationError
from signalflow.series import SeriesProvider
from signalflow.thesis.context import SharedValues, thesis_refs
from signalflow.thesis.engine import engine_frame, evaluate_series
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import EngineState, Evaluation

__all__ = ["evaluate_group", "load_group"]


def load_group(
    theses: Sequence[Thesis], provider: SeriesProvider, until: datetime, refs: Sequence[set[str]] | None = None
) -> dict[str, PitSeries]:
    """Every series ``theses`` read (``refs``: each one's ``thesis_refs``, when the caller
    has them), loaded in one call and indexed once each."""
    each = refs if refs is not None else [thesis_refs(thesis) for thesis in theses]
    wanted = sorted(set().union(*each))
    frames = provider.load(wanted, until=until)
    return {ref: PitSeries(engine_frame(ref, frames.get(ref))) for ref in wanted}


def evaluate_group(
    theses: Sequence[Thesis],
    provider: SeriesProvider,
    at: datetime,
    priors: Mapping[str, EngineState | None] | None = None,
) -> list[Evaluation | EvaluationError]:
    """Each thesis's evaluation at ``at`` (its prior state from ``priors`` by id), in order,
    over series read once for all; a thesis that cannot be evaluated gives its error in its
    place, never stopping the others."""
    reads = [thesis_refs(thesis) for thesis in theses]
    series = load_group(theses, provider, at, reads)
    priors = priors or {}
    shared = SharedValues(list(theses))
    out: list[Evaluation | EvaluationError] = []
    for thesis, refs in zip(theses, reads):
        own = {ref: series[ref] for ref in refs}
        try:
            out.append(evaluate_series(thesis, own, at, priors.get(thesis.id), shared))
        except EvaluationError as exc:
            out.append(exc)
    return out
