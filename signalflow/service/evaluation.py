"""The evaluation pass: each thesis evaluated over one cascade, its new state, alerts, plan
and outbox rows recorded in one transaction; the ``ack --unless`` and plan conditions read
at the evaluated instant; the episodes missed while nothing evaluated replayed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.errors import SignalflowError
from signalflow.series import SeriesProvider
from signalflow.settings import Settings
from signalflow.store import Store
from signalflow.store.models import utcnow

if TYPE_CHECKING:
    from signalflow.thesis.cascade import Cascade
    from signalflow.thesis.model import Thesis
    from signalflow.thesis.live import LiveEvaluator
    from signalflow.thesis.results import EngineState, Evaluation

log = logging.getLogger(__name__)


def evaluate(
    settings: Settings,
    store: Store,
    theses: Sequence[Thesis],
    at: datetime | None = None,
    record: bool = True,
    live: LiveEvaluator | None = None,
) -> list[Evaluation]:
    """Evaluate each thesis at ``at`` (default now).

    With ``record`` (live), each thesis continues from its stored engine state and its new
    state is saved together with its alerts and outbox rows in one transaction. Without it
    (``evaluate --as-of``), the thesis is evaluated from scratch with only what was known at
    ``at`` and nothing is written. With ``live`` (the daemon keeps one across passes),
    series indexes are kept between passes and only rows stored since are read.

    One cascade serves the pass: the layers its readers read, those an ``ack --unless`` or a
    plan condition reads, then, when the binding layer is looked for, the other layered
    theses; each is backtested once."""
    from signalflow.thesis.cascade import cascade
    from signalflow.thesis.engine import evaluate as evaluate_thesis
    from signalflow.thesis.layers import layer_order, layers_read

    now = utcnow()
    at = at or now
    theses = layer_order(theses)  # a thesis reading layer(X) after X's theses
    layers = cascade(theses, store, at, only={th.id for th in theses if layers_read(th)})
    # One read for every thesis's series (a for_each file's above all); each reads alone if it fails.
    shared = live is not None and record and live.refresh_for(theses)
    reads = _PassReads(store) if record else None
    grouped = _expansions(reads, theses, at, live) if shared and live is not None and reads is not None else {}
    evaluated: list[tuple[Thesis, Evaluation]] = []
    for thesis in theses:
        try:
            if thesis.id in grouped:
                evaluation = grouped[thesis.id]
                if isinstance(evaluation, Exception):
                    raise evaluation
            else:
                prior = reads.prior(thesis, at) if reads is not None else None
                if layers_read(thesis):
                    evaluation = evaluate_thesis(thesis, layers.provider, at=at, prior=prior)
                elif live is not None and record:
                    evaluation = live.evaluate(thesis, at=at, prior=prior, refresh=not shared)
                else:
                    evaluation = evaluate_thesis(thesis, store, at=at, prior=prior)
        except Exception as exc:
            log.error("evaluation failed", extra={"thesis": thesis.id, "error": f"{type(exc).__name__}: {exc}"})
            continue
        evaluated.append((thesis, evaluation))
    if record:
        done = _record_all(settings, store, evaluated, now, live, layers, reads)
        evaluated = [(thesis, evaluation) for thesis, evaluation in evaluated if thesis.id in done]
    results = [evaluation for _, evaluation in evaluated]
    if record:
        from signalflow.alerts.cascade import pass_cascade

        pass_cascade(store, settings, theses, results, lambda: layers.complete().moves, at, now)
    return results


class _PassReads:
    """What a recorded pass reads from the store for every thesis, read once when first
    asked: the stored engine states and the pending ``ack --unless`` expressions. Each
    thesis writes only its own state, after reading its prior, so one read serves the
    pass; an ``ack`` made during the pass is seen by the next (its decision never re-arms
    on an expression it was not handed)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._states: dict[str, EngineState] | None = None
        self._unless: dict[str, list[str]] | None = None

    def prior(self, thesis: Thesis, at: datetime) -> EngineState | None:
        """The stored state a live pass at ``at`` continues from (none when it is later than ``at``)."""
        if self._states is None:
            self._states = self.store.engine_states_only()
        prior = self._states.get(thesis.id)
        if prior is not None and prior.evaluated_at is not None and prior.evaluated_at > at:
            return None
        return prior

    def pending(self, thesis: Thesis) -> list[str]:
        """The thesis's ``ack --unless`` expressions that have not re-armed."""
        if self._unless is None:
            from signalflow.store.alerts import pending_unless_all

            with self.store.session() as session:
                self._unless = pending_unless_all(session)
        return self._unless.get(thesis.id, [])


def _expansions(
    reads: _PassReads, theses: Sequence[Thesis], at: datetime, live: LiveEvaluator
) -> dict[str, Evaluation | Exception]:
    """The live pass of the ``for_each`` expansions among ``theses`` that read no layer,
    each template's evaluated together (``LiveEvaluator.evaluate_expansions``), by id, an
    error in its place; empty when that fails, so each is evaluated on its own."""
    from signalflow.thesis.layers import layers_read

    try:
        chosen = [(th, reads.prior(th, at)) for th in theses if th.expansion is not None and not layers_read(th)]
        return live.evaluate_expansions(chosen, at) if chosen else {}
    except Exception as exc:
        log.warning("evaluating the expansions together failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        return {}


def replay_downtime(
    settings: Settings, store: Store, theses: Sequence[Thesis], now: datetime | None = None
) -> int:
    """Tell the episodes that began and ended while nothing evaluated: for each thesis with
    a stored state older than ``now``, the engine's backtest up to ``now`` (from the first
    known value, so ``for`` and windows see the history before) gives the transitions after
    the state's instant; each episode that fired and resolved there is queued once as a
    ``missed`` notification. The daemon calls it before its first pass after a start (that
    pass moves the state on). Returns the number of outbox rows written."""
    from signalflow.alerts.missed import missed_episodes, record_missed, record_missed_adds
    from signalflow.thesis.cascade import readers_provider
    from signalflow.thesis.engine import backtest

    now = now or utcnow()
    written = 0
    layered = readers_provider(theses, store, now)  # layer() read as the layer stood
    for thesis in theses:
        try:
            prior = store.get_engine_state(thesis.id)
            if prior is None or prior.evaluated_at is None or prior.evaluated_at >= now:
                continue
            result = backtest(thesis, layered or store, None, now)
            episodes = missed_episodes(result.transitions, prior.evaluated_at)
            with store.session() as session:  # a plan's adds announced and cleared meanwhile
                written += len(record_missed_adds(session, thesis, result, prior.evaluated_at, settings, now))
            if not episodes or result.status_at is None:
                continue
            with store.session() as session:
                written += len(record_missed(session, thesis, result.status_at, episodes, settings, now))
        except Exception as exc:
            log.error("replaying the downtime failed", extra={"thesis": thesis.id, "error": f"{type(exc).__name__}: {exc}"})
    return written


RECORDED_TOGETHER = 200  # expansions of a template recorded in one transaction at most


def _record_all(
    settings: Settings, store: Store, evaluated: Sequence[tuple[Thesis, Evaluation]], now: datetime,
    live: LiveEvaluator | None = None, layers: Cascade | None = None, reads: _PassReads | None = None,
) -> set[str]:
    """Record each evaluation (:func:`_record`); the ids of those recorded. The expansions
    of a ``for_each`` file are recorded :data:`RECORDED_TOGETHER` at a time in one
    transaction; when it fails, nothing of it was saved and each is recorded on its own."""
    done: set[str] = set()
    chunks: dict[str, list[tuple[Thesis, Evaluation]]] = {}
    alone: list[list[tuple[Thesis, Evaluation]]] = []
    for thesis, evaluation in evaluated:
        if thesis.expansion is None:
            alone.append([(thesis, evaluation)])
            continue
        chunk = chunks.setdefault(thesis.expansion.template, [])
        chunk.append((thesis, evaluation))
        if len(chunk) == RECORDED_TOGETHER:
            alone.append(chunks.pop(thesis.expansion.template))
    for chunk in alone + list(chunks.values()):
        if len(chunk) > 1:
            try:
                _record_together(settings, store, chunk, now, live, layers, reads)
                done.update(thesis.id for thesis, _ in chunk)
                continue
            except Exception as exc:  # rolled back: each is recorded (or fails) on its own
                log.warning(
                    "recording expansions together failed",
                    extra={"thesis": chunk[0][0].id, "error": f"{type(exc).__name__}: {exc}"},
                )
        for thesis, evaluation in chunk:
            try:
                _record(settings, store, thesis, evaluation, now, live, layers, reads)
            except Exception:  # nothing was saved: the next pass evaluates this thesis again
                log.exception("recording the evaluation failed", extra={"thesis": thesis.id})
                continue
            done.add(thesis.id)
    return done


def _record(
    settings: Settings, store: Store, thesis: Thesis, evaluation: Evaluation, now: datetime,
    live: LiveEvaluator | None = None, layers: Cascade | None = None, reads: _PassReads | None = None,
) -> None:
    """The thesis's new engine state, its alerts and their outbox rows: one transaction.

    Everything the alerts need is computed before it (the ``unless`` conditions) or after it
    commits (the chart), so the transaction holds no lock while the engine or matplotlib runs.
    """
    needs = _needs(settings, store, thesis, evaluation, live, layers, reads)
    with store.session() as session:
        starts_thread = _write(session, settings, store, thesis, evaluation, now, needs)
    if needs.chart and starts_thread:
        _draw_chart(store, thesis, evaluation, needs.chart)


def _record_together(
    settings: Settings, store: Store, chunk: Sequence[tuple[Thesis, Evaluation]], now: datetime,
    live: LiveEvaluator | None = None, layers: Cascade | None = None, reads: _PassReads | None = None,
) -> None:
    """:func:`_record` for many theses in one transaction: their open alerts and stored
    states read in one query each."""
    from signalflow.store import alerts as store_alerts

    needs = [_needs(settings, store, thesis, evaluation, live, layers, reads) for thesis, evaluation in chunk]
    ids = [thesis.id for thesis, _ in chunk]
    with store.session() as session:
        open_alerts = store_alerts.firing_of(session, ids)
        store.engine_rows(session, ids)  # kept by the session: saving each state reads no more
        starts = [
            _write(session, settings, store, thesis, evaluation, now, need, open_alerts.get(thesis.id, []))
            for (thesis, evaluation), need in zip(chunk, needs)
        ]
    for (thesis, evaluation), need, starts_thread in zip(chunk, needs, starts):
        if need.chart and starts_thread:
            _draw_chart(store, thesis, evaluation, need.chart)


@dataclass(frozen=True)
class _Needs:
    """What recording one evaluation needs, computed before its transaction."""

    unless: dict[str, bool | None]
    plan: dict[str, bool | None]
    chart: str


def _needs(
    settings: Settings, store: Store, thesis: Thesis, evaluation: Evaluation, live: LiveEvaluator | None,
    layers: Cascade | None, reads: _PassReads | None,
) -> _Needs:
    from signalflow.thesis.plan import plan_conditions

    pending = reads.pending(thesis) if reads is not None else None
    return _Needs(
        unless_values(store, thesis, evaluation, live, layers, pending),
        _conditions(store, thesis, evaluation, plan_conditions(thesis), live, layers),
        _chart_path(settings, thesis, evaluation),
    )


def _write(
    session, settings: Settings, store: Store, thesis: Thesis, evaluation: Evaluation, now: datetime, needs: _Needs,
    open_alerts: list | None = None,
) -> bool:
    """Save the state, alerts, plan and outbox rows of one evaluation in ``session``; True
    when a message starting a thread was queued (its chart is drawn once committed)."""
    from signalflow.alerts import record_evaluation
    from signalflow.alerts.plan import record_plan
    from signalflow.notifiers.notification import Kind

    store.save_engine_state(session, evaluation.state, evaluation.status.to_json())
    rows = record_evaluation(
        session, thesis, evaluation, settings, now, unless=needs.unless, chart_path=needs.chart, open_alerts=open_alerts
    )
    record_plan(session, thesis, evaluation.status, needs.plan, settings, now)
    return any(Kind(row.kind).starts_thread for row in rows)


def unless_values(
    store: Store, thesis: Thesis, evaluation: Evaluation, live: LiveEvaluator | None = None,
    layers: Cascade | None = None, texts: Sequence[str] | None = None,
) -> dict[str, bool | None]:
    """The value of each pending ``ack --unless`` of ``thesis`` (``texts``, read from the
    store when not given) at the evaluated instant, for
    :func:`~signalflow.alerts.record_evaluation` (``layer()`` read from ``layers``, the
    pass's cascade). A condition that no longer resolves (the thesis was edited since) is
    logged and left unknown: it never blocks the record."""
    from signalflow.alerts import pending_conditions, resolve_unless

    if texts is None:
        with store.session() as session:
            texts = pending_conditions(session, thesis.id)
    nodes = {}
    for text in texts:
        try:
            nodes[text] = resolve_unless(thesis, text)
        except SignalflowError as exc:
            log.error("cannot evaluate unless", extra={"thesis": thesis.id, "unless": text, "error": str(exc)})
    return _conditions(store, thesis, evaluation, nodes, live, layers)


def _conditions(
    store: Store, thesis: Thesis, evaluation: Evaluation, nodes: dict, live: LiveEvaluator | None = None,
    layers: Cascade | None = None,
) -> dict[str, bool | None]:
    """Extra resolved conditions of ``thesis`` at the evaluated instant (see
    :func:`signalflow.thesis.engine.conditions_at`); ``layer()`` reads the series ``layers``
    (the pass's cascade) holds, which the thesis itself read."""
    from signalflow.thesis.engine import conditions
    from signalflow.thesis.layers import layers_called, layers_read

    if not nodes:
        return {}
    read = layers_read(thesis) | layers_called(nodes.values())
    if read and layers is not None:
        return conditions(thesis, layers.read(read), evaluation.state, nodes)
    if live is not None:
        return live.conditions(thesis, evaluation.state, nodes)
    return conditions(thesis, store, evaluation.state, nodes)


def unless_check(provider: SeriesProvider) -> Callable[[Thesis, str, datetime], bool | None]:
    """Evaluate an ``ack --unless`` expression for a thesis at any instant (the thesis
    evaluated up to it first); raises ThesisError when the expression does not resolve."""

    def check(thesis: Thesis, text: str, at: datetime) -> bool | None:
        from signalflow.alerts import resolve_unless
        from signalflow.thesis.engine import conditions, evaluate

        node = resolve_unless(thesis, text)
        return conditions(thesis, provider, evaluate(thesis, provider, at).state, {text: node})[text]

    return check


def _chart_path(settings: Settings, thesis: Thesis, evaluation: Evaluation) -> str:
    """With ``alert_charts``, where the chart of a thesis whose rule just started firing goes
    (drawn once the alert is committed); '' otherwise."""
    from signalflow.thesis.results import RuleState

    if not settings.alert_charts or not any(t.to_state is RuleState.FIRING for t in evaluation.transitions):
        return ""
    at = evaluation.status.at
    return str(settings.data_dir / "charts" / f"{thesis.id}-{at:%Y%m%dT%H%M}.png")


def _draw_chart(store: Store, thesis: Thesis, evaluation: Evaluation, path: str) -> None:
    """The last year of the thesis, drawn after the alert's transaction committed and before
    its delivery, so a slow drawing holds no lock. A chart is a nicety: on failure the alert
    goes out without it (the notifier finds no file)."""
    from datetime import timedelta

    from signalflow.viz.plot import plot_thesis

    at = evaluation.status.at
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        plot_thesis(thesis, store, at - timedelta(days=365), at, path)
    except Exception as exc:
        log.warning("alert chart failed", extra={"thesis": thesis.id, "error": f"{type(exc).__name__}: {exc}"})
