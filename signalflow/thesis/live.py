"""Live evaluation that keeps every series' point-in-time index between passes.

    live = LiveEvaluator(store)
    ev = live.evaluate(thesis, at=now, prior=state)   # reads only rows stored since last pass

A pass reads from the store only the observation rows stored since the previous pass
(``Store.read_cursor`` / ``Store.load(after=, upto=)``), rebuilds the index of the series that
gained rows and reuses every other one. Indexes may hold rows known after the evaluated
instant: every engine lookup is point in time, so the result equals
``engine.evaluate(thesis, store, at, prior)`` and hence the last state of a full backtest.

Providers without incremental reads (``read_cursor``), such as literal series, are reloaded
on every :meth:`LiveEvaluator.refresh` and indexed again only when a frame changed.

The expansions of a ``for_each`` file go through :meth:`LiveEvaluator.evaluate_expansions`:
those with nothing new keep their last evaluation, the others are evaluated together
(``thesis/group.py``, a group kept per template while its theses are).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from signalflow.errors import EvaluationError
from signalflow.thesis.ast import Node
from signalflow.thesis.engine import condition_refs, conditions_at, engine_frame, evaluate_series, quiet
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.group import Group
from signalflow.thesis.model import Thesis, thesis_refs
from signalflow.thesis.results import EngineState, Evaluation
from signalflow.series import IncrementalSeriesProvider, SeriesProvider

__all__ = ["LiveEvaluator"]

log = logging.getLogger(__name__)


class LiveEvaluator:
    """Evaluates theses pass after pass over one provider (usually the Store)."""

    def __init__(self, provider: SeriesProvider) -> None:
        self.provider = provider
        self.series: dict[str, PitSeries] = {}
        self.cursor = 0  # last observation id read (incremental providers)
        self._seen: dict[str, tuple[object, int]] = {}  # key -> (frame, rows) for the others
        self.incremental = isinstance(provider, IncrementalSeriesProvider)
        self._last: dict[str, Evaluation] = {}  # thesis id -> its last evaluation here
        self._groups: dict[tuple[int, ...], Group] = {}  # the last pass's, by its theses' ids

    def refresh(self, keys: Iterable[str]) -> None:
        """Bring the indexes of ``keys`` up to date with what the provider holds now."""
        keys = set(keys)
        if not self.incremental:
            self._reload(keys)
            return
        missing = keys - self.series.keys()
        provider = self.provider
        assert isinstance(provider, IncrementalSeriesProvider)
        cursor = provider.read_cursor(self.cursor)
        if missing:
            # New keys start from everything up to the old cursor; all keys then take the rest.
            old = provider.load(sorted(missing), upto=self.cursor) if self.cursor else {}
            for key in missing:
                self.series[key] = PitSeries(engine_frame(key, old.get(key)))
        if cursor > self.cursor:
            frames = provider.load(sorted(self.series), after=self.cursor, upto=cursor)
            for key, frame in frames.items():
                if len(frame.data):
                    self.series[key] = self.series[key].appended(engine_frame(key, frame))
        self.cursor = cursor

    def _reload(self, keys: set[str]) -> None:
        frames = self.provider.load(sorted(keys))
        for key in keys:
            frame = frames.get(key)
            mark = (frame, len(frame.data) if frame is not None else 0)
            seen = self._seen.get(key)
            if key not in self.series or seen is None or seen[0] is not frame or seen[1] != mark[1]:
                self.series[key] = PitSeries(engine_frame(key, frame))
                self._seen[key] = mark

    def evaluate(self, thesis: Thesis, at: datetime, prior: EngineState | None = None, refresh: bool = True) -> Evaluation:
        """Like :func:`signalflow.thesis.engine.evaluate`, over the kept indexes
        (``refresh=False`` when :meth:`refresh` already ran for this pass)."""
        refs = thesis_refs(thesis)
        if refresh or not refs <= self.series.keys():
            self.refresh(refs)
        series = {ref: self.series[ref] for ref in refs}
        kept = self._kept(thesis, series, prior, at)
        if kept is not None:
            return kept
        evaluation = evaluate_series(thesis, series, at, prior)
        self._last[thesis.id] = evaluation
        return evaluation

    def _kept(
        self, thesis: Thesis, series: Mapping[str, PitSeries], prior: EngineState | None, at: datetime
    ) -> Evaluation | None:
        """The last evaluation here again when nothing is new for ``thesis`` since the pass
        that produced ``prior`` (same state); else None."""
        last = self._last.get(thesis.id)
        if prior is not None and last is not None and last.state.to_json() == prior.to_json() and quiet(thesis, series, prior, at):
            return Evaluation(last.status, [], last.state)
        return None

    def evaluate_expansions(
        self, theses: Sequence[tuple[Thesis, EngineState | None]], at: datetime
    ) -> dict[str, Evaluation | EvaluationError]:
        """One pass of the expansions of ``for_each`` files (``refresh_for`` already read
        their series): like :meth:`evaluate` for each, but the expansions of a template that
        have something new are evaluated together (``thesis/group.py``), each by id, its
        error in its place. The group of each template is kept while its theses are."""
        by_template: dict[str, list[tuple[Thesis, EngineState | None]]] = {}
        for thesis, prior in theses:
            template = thesis.expansion.template if thesis.expansion is not None else thesis.id
            by_template.setdefault(template, []).append((thesis, prior))
        groups: dict[tuple[int, ...], Group] = {}
        out: dict[str, Evaluation | EvaluationError] = {}
        for members in by_template.values():
            key = tuple(id(thesis) for thesis, _ in members)  # the group holds them: no id reused
            group = groups[key] = self._groups.get(key) or Group([thesis for thesis, _ in members])
            priors = {thesis.id: prior for thesis, prior in members}
            new = set()
            for thesis, refs in zip(group.theses, group.reads):
                kept = self._kept(thesis, {ref: self.series[ref] for ref in refs}, priors[thesis.id], at)
                if kept is None:
                    new.add(thesis.id)
                else:
                    out[thesis.id] = kept
            evaluated = group.evaluate_series(self.series, at, priors, new)
            for thesis, evaluation in zip([t for t in group.theses if t.id in new], evaluated):
                out[thesis.id] = evaluation
                if isinstance(evaluation, Evaluation):
                    self._last[thesis.id] = evaluation
        self._groups = groups
        return out

    def refresh_for(self, theses: Iterable[Thesis]) -> bool:
        """:meth:`refresh` for every series ``theses`` read, in one read of the provider;
        False (and logged) when the provider failed, so each thesis may try on its own."""
        try:
            self.refresh({ref for thesis in theses for ref in thesis_refs(thesis)})
        except Exception as exc:  # the caller evaluates each thesis, which reports its own failure
            log.warning("reading the series of every thesis at once failed", extra={"error": repr(exc)})
            return False
        return True

    def evaluate_all(
        self, theses: Iterable[tuple[Thesis, EngineState | None]], at: datetime
    ) -> list[Evaluation]:
        """One pass: a single refresh for every thesis's inputs, then each thesis."""
        pairs = list(theses)
        self.refresh({ref for thesis, _ in pairs for ref in thesis_refs(thesis)})
        return [self.evaluate(thesis, at, prior, refresh=False) for thesis, prior in pairs]

    def conditions(self, thesis: Thesis, state: EngineState, nodes: Mapping[str, Node]) -> dict[str, bool | None]:
        """Extra conditions on ``thesis`` (``ack --unless``) at the instant of ``state``, its
        last evaluation here, over the kept indexes (see
        :func:`signalflow.thesis.engine.conditions_at`)."""
        refs = condition_refs(thesis, nodes)
        if not refs <= self.series.keys():
            self.refresh(refs)
        return conditions_at(thesis, {ref: self.series[ref] for ref in refs}, state, nodes)
