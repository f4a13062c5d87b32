"""Cascade notifications: the binding bottleneck layer moved (``thesis/cascade.py`` finds
the moves). Each new move is stored in ``layer_binding`` and, when it is a move from one
layer to another, told once as an informational ``cascade`` notification through the
outbox, in the same transaction.

A move is new when it is later than the latest stored one, so a second pass or a restart
that finds the same moves stores and sends nothing again (the outbox key names the move's
instant and layer as well). The first binding layer ever seen is not a move from anywhere
and is only stored; a move to "no layer binds" is stored and not told (each thesis's own
Resolved messages tell it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session

from signalflow.alerts.lifecycle import queue_routed
from signalflow.alerts.routes import accepts, default_routes
from signalflow.notifiers.notification import Kind, Notification
from signalflow.settings import Settings
from signalflow.store import layer_binding
from signalflow.store.enums import Severity
from signalflow.store.models import LayerBindingRow, OutboxRow, SourceStateRow
from signalflow.thesis.model import Thesis
from signalflow.thesis.results import Evaluation, RuleState

if TYPE_CHECKING:
    from signalflow.store import Store

log = logging.getLogger(__name__)


class MoveLike(Protocol):
    at: datetime
    layer: str
    previous: str
    share: float
    theses: tuple[str, ...]


def cascade_key(layer: str, at: datetime) -> str:
    return f"cascade/{layer}/{at.isoformat()}"


def record_moves(
    session: Session, settings: Settings, moves: Sequence[MoveLike], now: datetime, notify: bool = True
) -> tuple[list[LayerBindingRow], list[OutboxRow]]:
    """Store the moves later than the latest stored one; queue a notification for each that
    goes from a layer to another (``notify=False``: the first look at the history, stored
    only). A row's ``previous`` is the last layer that bound before it (spells when none
    bound are skipped). Returns the rows stored and the outbox rows written."""
    latest = layer_binding.latest(session)
    last_layer = _last_layer(session)
    stored: list[LayerBindingRow] = []
    written: list[OutboxRow] = []
    for move in moves:
        if latest is not None and move.at <= latest.at:
            continue
        stored.append(layer_binding.add(session, move.at, move.layer, last_layer, move.share, list(move.theses)))
        if move.layer and last_layer and move.layer != last_layer and notify:
            written += _queue(session, settings, move, last_layer, now)
        if move.layer:
            last_layer = move.layer
    session.flush()
    return stored, written


def _last_layer(session: Session) -> str:
    """The latest layer that bound (skipping spells when none did)."""
    for row in reversed(layer_binding.moves(session)):
        if row.layer:
            return row.layer
    return ""


def _queue(session: Session, settings: Settings, move: MoveLike, before: str, now: datetime) -> list[OutboxRow]:
    key = cascade_key(move.layer, move.at)
    names = ", ".join(move.theses)
    base = Notification(
        key=key,
        alert_key=key,
        kind=Kind.CASCADE,
        severity=Severity.INFO,
        thesis="cascade",
        title=f"The binding layer moved from {before} to {move.layer}",
        rule=move.layer,
        at=move.at,
        summary=(
            f"From {move.at:%Y-%m-%d %H:%M} UTC {move.layer} binds: {move.share:.0%} of its theses"
            f" in Soft Warning or Kill Switch ({names}); {before} bound before."
        ),
        firing=tuple(move.theses),
    )
    routes = [r for r in default_routes(settings) if accepts(r, Severity.INFO)]
    return queue_routed(session, base, routes, now)


CHECKED = ("cascade", "checked_at")  # source-state memory: when the moves were last looked for


def pass_cascade(
    store: Store,
    settings: Settings,
    theses: Sequence[Thesis],
    evaluations: Sequence[Evaluation],
    find_moves: Callable[[], Sequence[MoveLike]],
    at: datetime,
    now: datetime,
) -> list[OutboxRow]:
    """The cascade step of a live pass: look for moves (``find_moves``, the engine's) when at
    least two layers have theses and either a layered thesis's rule started or stopped
    firing in this pass or the moves were never looked for; store them and queue their
    notifications. The first look stores the history without telling it."""
    layered = {th.id for th in theses if th.layer}
    if len({th.layer for th in theses if th.layer}) < 2:
        return []
    source, key = CHECKED
    checked = store.get_source_state(source).get(key)
    changed = any(
        RuleState.FIRING in (tr.from_state, tr.to_state)
        for ev in evaluations
        if ev.status.thesis in layered
        for tr in ev.transitions
    )
    if checked and not changed:
        return []
    try:
        moves = find_moves()
    except Exception as exc:  # the theses' own alerts are recorded; the next change retries
        log.error("finding the binding layer failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        return []
    with store.session() as session:  # the moves, their messages and the mark commit together
        _, written = record_moves(session, settings, moves, now, notify=bool(checked))
        row = session.get(SourceStateRow, (source, key)) or SourceStateRow(source=source, key=key)
        row.value, row.updated_at = at.isoformat(), now
        session.add(row)
    return written
