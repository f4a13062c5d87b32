"""The stored moves of the binding bottleneck layer (``layer_binding``), oldest first. Each
function works in the caller's session, so a move and its notification commit together."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from signalflow.store.models import LayerBindingRow


def moves(session: Session) -> list[LayerBindingRow]:
    """Every stored move, oldest first."""
    return list(session.exec(select(LayerBindingRow).order_by(col(LayerBindingRow.at))))


def latest(session: Session) -> LayerBindingRow | None:
    """The move that put the current binding layer in place, or None before any."""
    return session.exec(select(LayerBindingRow).order_by(col(LayerBindingRow.at).desc())).first()


def add(session: Session, at: datetime, layer: str, previous: str, share: float, theses: list[str]) -> LayerBindingRow:
    row = LayerBindingRow(at=at, layer=layer, previous=previous, share=share, theses_json=json.dumps(theses))
    session.add(row)
    return row


def theses_of(row: LayerBindingRow) -> list[str]:
    return list(json.loads(row.theses_json or "[]"))
