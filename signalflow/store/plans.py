"""The tranche plan's rows: the tranches the owner says were taken (a journal, never
deleted) and where each add stands for the daemon. Each function works in the caller's
session, so the alert layer writes them in the transaction that saves the engine state."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from signalflow.store.models import PlanAddRow, TrancheRow


def tranche_label(number: int) -> str:
    """'first' for the first tranche (0), 'add N' for an add."""
    return "first" if number == 0 else f"add {number}"


def record_tranche(
    session: Session, thesis: str, number: int, size: float | None, note: str, at: datetime
) -> TrancheRow:
    """Journal that the owner took tranche ``number`` (0: the first) of ``thesis``."""
    row = TrancheRow(thesis=thesis, number=number, size=size, note=note, taken_at=at)
    session.add(row)
    session.flush()
    return row


def tranches(session: Session, thesis: str | None = None) -> list[TrancheRow]:
    """The tranches taken (of ``thesis``), oldest first."""
    query = select(TrancheRow).order_by(col(TrancheRow.taken_at), col(TrancheRow.id))
    if thesis:
        query = query.where(TrancheRow.thesis == thesis)
    return list(session.exec(query))


def add_states(session: Session, thesis: str) -> dict[int, PlanAddRow]:
    """Where each add of ``thesis`` stands, by its number."""
    return {row.number: row for row in session.exec(select(PlanAddRow).where(PlanAddRow.thesis == thesis))}
