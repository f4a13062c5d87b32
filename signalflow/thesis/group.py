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

The expansions of one template are evaluated together (``thesis/stacked.py``): their
timelines laid end to end, each expression walked once for all of them and each rule's
lifecycle run for all at once, in chunks of at most :data:`STACKED_INSTANTS` instants (a
live pass, a few instants each, stacks thousands of expansions; a first pass over years of
daily instants a few at a time: larger arrays leave the CPU's cache and run slower than one
by one, ``benchmarks/bench_foreach.py``). A template that cannot
be stacked (a news or revision function, a window over a computed expression) is evaluated
expansion by expansion, with the same results.

What is not shared: each expansion's status, transitions and their causes, read from its
own part exactly as when it is evaluated alone (per expansion by nature: they are its
alerts and its board row).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from signalflow.errors import EvaluationError
from signalflow.series import SeriesProvider
from signalflow.thesis.context import Context, SharedNodes, SharedValues, thesis_refs
from signalflow.thesis.engine import engine_frame, evaluation_of, finished, pass_context
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import EngineState, Evaluation
from signalflow.thesis.stacked import Shape, Unstackable, stack

__all__ = ["Group", "evaluate_group", "load_group"]

log = logging.getLogger(__name__)

STACKED_INSTANTS = 20_000  # instants evaluated together at most: arrays of 160 kB, which stay in the CPU's cache


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
        self.together = 0  # expansions the last pass evaluated together (thesis/stacked.py)
        self.shapes = _shapes(self.theses)

    def evaluate(
        self, provider: SeriesProvider, at: datetime, priors: Mapping[str, EngineState | None] | None = None
    ) -> list[Evaluation | EvaluationError]:
        """Each thesis's evaluation at ``at`` (its prior state from ``priors`` by id), in
        order, over series read once for all; a thesis that cannot be evaluated gives its
        error in its place, never stopping the others."""
        return self.evaluate_series(load_group(self.theses, provider, at, self.reads), at, priors)

    def evaluate_series(
        self,
        series: Mapping[str, PitSeries],
        at: datetime,
        priors: Mapping[str, EngineState | None] | None = None,
        only: Collection[str] | None = None,
    ) -> list[Evaluation | EvaluationError]:
        """:meth:`evaluate` over series already indexed (every series a thesis reads), as
        ``engine.evaluate_series`` is to ``engine.evaluate``; with ``only``, of the theses
        with those ids alone, in order."""
        priors = priors or {}
        shared = SharedValues(self.shared)
        chosen = [
            (thesis, refs) for thesis, refs in zip(self.theses, self.reads) if only is None or thesis.id in only
        ]
        out: list[Evaluation | EvaluationError | None] = [None] * len(chosen)
        pending: dict[str, deque[tuple[int, Context, EngineState | None]]] = {}
        for i, (thesis, refs) in enumerate(chosen):
            try:
                ctx, continued = pass_context(thesis, {ref: series[ref] for ref in refs}, at, priors.get(thesis.id), shared)
            except EvaluationError as exc:
                out[i] = exc
                continue
            template = thesis.expansion.template if thesis.expansion is not None else f"\0{i}"
            pending.setdefault(template, deque()).append((i, ctx, continued))
        self.together = 0
        for template, batch in pending.items():
            while batch:  # each chunk's arrays are let go before the next is evaluated
                chunk = _take(batch, STACKED_INSTANTS)
                self.together += _stack([ctx for _, ctx, _ in chunk], self.shapes.get(template))
                for i, ctx, continued in chunk:
                    out[i] = _evaluation(ctx, continued, priors.get(ctx.thesis.id))
        return out  # type: ignore[return-value]


def _take(batch: deque, instants: int) -> list:
    """The contexts at the front of ``batch`` (taken off it) holding at most ``instants``
    instants in all, at least one."""
    out = [batch.popleft()]
    size = len(out[0][1].t)
    while batch and size + len(batch[0][1].t) <= instants:
        size += len(batch[0][1].t)
        out.append(batch.popleft())
    return out


def _shapes(theses: Sequence[Thesis]) -> dict[str, Shape]:
    """The shape of each template two or more of ``theses`` expand, when they can be stacked."""
    by_template: dict[str, list[Thesis]] = {}
    for thesis in theses:
        if thesis.expansion is not None:
            by_template.setdefault(thesis.expansion.template, []).append(thesis)
    out = {}
    for template, expansions in by_template.items():
        if len(expansions) < 2:
            continue
        try:
            out[template] = Shape(expansions)
        except Unstackable as exc:
            log.debug("expansions evaluated one by one", extra={"thesis": template, "reason": str(exc)})
    return out


def _stack(contexts: list[Context], shape: Shape | None) -> int:
    """The expansions of one template evaluated together when they can be (their number
    returned); else each is evaluated on its own as it is read (the reason logged)."""
    if len(contexts) < 2 or shape is None:
        return 0
    try:
        stack(contexts, shape)
    except Exception as exc:  # each expansion alone gives its own result or error
        log.debug("expansions evaluated one by one", extra={"thesis": contexts[0].thesis.id, "reason": str(exc)})
        return 0
    return len(contexts)


def _evaluation(ctx: Context, continued: EngineState | None, prior: EngineState | None) -> Evaluation | EvaluationError:
    """What ``engine.evaluate_series`` gives for ``ctx``, its error in its place."""
    try:
        return evaluation_of(finished(ctx, continued), prior)
    except EvaluationError as exc:
        return exc


def evaluate_group(
    theses: Sequence[Thesis],
    provider: SeriesProvider,
    at: datetime,
    priors: Mapping[str, EngineState | None] | None = None,
) -> list[Evaluation | EvaluationError]:
    """One pass of :meth:`Group.evaluate` over ``theses`` (keep a :class:`Group` to
    evaluate the same theses again)."""
    return Group(theses).evaluate(provider, at, priors)
