"""A tranche plan's adds as informational notifications, inside the caller's transaction.

    rows = record_plan(session, thesis, evaluation.status, {"add 1": True, "stretched": False},
                       settings, now)

The caller that ran the engine hands in the value of each add's condition and of the plan's
``stretched`` condition at the evaluated instant (:func:`signalflow.thesis.plan.plan_conditions`
names them). Each add's episode (its condition holding) is announced once, as ``Kind.ADD``
with severity ``info``, never a warning; it is withheld while a rule of the thesis fires or
the price is stretched, and announced once that clears if the condition still holds. An add
the owner already took (``signalflow tranche THESIS add N``) is not announced again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from signalflow.alerts.lifecycle import queue_routed
from signalflow.alerts.routes import accepts, resolve_routes
from signalflow.errors import SignalflowError
from signalflow.notifiers.notification import Kind, Notification
from signalflow.series import utcnow
from signalflow.settings import Settings
from signalflow.store import plans as store_plans
from signalflow.store.enums import Severity
from signalflow.store.models import OutboxRow, PlanAddRow
from signalflow.thesis.model import Add, Plan, Thesis
from signalflow.thesis.plan import AddEvent, AddState, add_key, blockers, step
from signalflow.thesis.results import RuleState, ThesisStatus


def record_plan(
    session: Session,
    thesis: Thesis,
    status: ThesisStatus,
    values: Mapping[str, bool | None],
    settings: Settings,
    now: datetime,
) -> list[OutboxRow]:
    """Move each add of ``thesis``'s plan on at ``status.at``; queue an ``add`` notification
    for each add announced. Returns the outbox rows written."""
    plan = thesis.plan
    if plan is None or not plan.adds:
        return []
    firing = {r.severity for r in status.rules if r.state is RuleState.FIRING}
    blocked = blockers(Severity.SOFT_WARNING in firing, Severity.KILL_SWITCH in firing, values.get("stretched"))
    rows = store_plans.add_states(session, thesis.id)
    taken = {t.number for t in store_plans.tranches(session, thesis.id)}
    routes = [r for r in resolve_routes(thesis, settings) if accepts(r, Severity.INFO)]
    written: list[OutboxRow] = []
    for add in plan.adds:
        row = rows.get(add.number) or PlanAddRow(thesis=thesis.id, number=add.number)
        before = AddState(row.due_since is not None, row.announced_at is not None, row.withheld)
        after, event = step(before, values.get(add_key(add)), blocked)
        if event is AddEvent.ANNOUNCED and add.number in taken:
            event = None  # taken already: nothing to tell, the episode still counts as told
        if event is AddEvent.ANNOUNCED:
            due_since = row.due_since or status.at
            key = f"{thesis.id}/plan/add{add.number}/{due_since.isoformat()}"
            written += queue_routed(session, add_notification(key, thesis, plan, add, status, due_since), routes, now)
        if after != before or row.id is None:
            row.due_since = (row.due_since or status.at) if after.due else None
            row.announced_at = (row.announced_at or status.at) if after.announced else None
            row.withheld = after.withheld
            row.updated_at = now
            session.add(row)
    session.flush()
    return written


def add_notification(
    key: str, thesis: Thesis, plan: Plan, add: Add, status: ThesisStatus, due_since: datetime
) -> Notification:
    """The message that an add of the plan is due: its size, its condition, and since when."""
    total = plan.first + sum(a.size for a in plan.adds if a.number <= add.number)
    return Notification(
        key=key,
        alert_key=key,
        kind=Kind.ADD,
        severity=Severity.INFO,
        thesis=thesis.id,
        title=thesis.title or thesis.id,
        rule=f"add_{add.number}",
        at=status.at,
        summary=(
            f"Add {add.number} of the plan is due: {add.size:g}% of the intended position"
            f" (to {total:g}% with the first tranche and the adds before it)"
        ),
        why=(
            f"Its condition holds since {due_since:%Y-%m-%d %H:%M} UTC, no rule fires and the price is not"
            f" stretched ({plan.stretched_text}). Record it with `signalflow tranche {thesis.id} add {add.number}`."
        ),
        expression=add.when_text,
        state=status.state.value,
        quadrant=status.quadrant.value,
        growth=status.growth,
        liquidity=status.liquidity,
        fired_at=due_since,
        position=tuple((k, str(v)) for k, v in thesis.position.items()),
    )


@dataclass(frozen=True)
class Tranche:
    """A tranche of a thesis's plan the owner says was taken (``signalflow tranche``)."""

    thesis: str
    number: int  # 0: the first tranche; N: add N
    size_pct: float | None
    note: str
    taken_at: datetime

    @property
    def label(self) -> str:
        return store_plans.tranche_label(self.number)

    def to_json(self) -> dict:
        return {"thesis": self.thesis, "tranche": self.label, "add": self.number or None,
                "size_pct": self.size_pct, "note": self.note, "taken_at": self.taken_at.isoformat()}


def taken_tranches(store, thesis: str) -> list[Tranche]:
    """The tranches of ``thesis`` the journal says were taken, oldest first."""
    with store.session() as session:
        return [Tranche(r.thesis, r.number, r.size, r.note, r.taken_at) for r in store_plans.tranches(session, thesis)]


def take_tranche(store, thesis: Thesis, number: int, note: str = "", now: datetime | None = None) -> Tranche:
    """Journal that the owner took tranche ``number`` (0: the first; N: add N) of
    ``thesis``'s plan, with its size per the plan; raises SignalflowError when the thesis
    has no plan or no such add, or when the tranche was recorded already."""
    plan = thesis.plan
    if plan is None:
        raise SignalflowError(f"thesis {thesis.id!r} has no plan: (add one to {thesis.path.name} first)")
    if number:
        try:
            size = plan.add(number).size
        except KeyError:
            adds = ", ".join(str(a.number) for a in plan.adds) or "none"
            raise SignalflowError(f"the plan of {thesis.id} has no add {number} (its adds: {adds})") from None
    else:
        size = plan.first
    with store.session() as session:
        done = [r for r in store_plans.tranches(session, thesis.id) if r.number == number]
        if done:
            raise SignalflowError(
                f"{store_plans.tranche_label(number)} of {thesis.id} was recorded on {done[0].taken_at:%Y-%m-%d %H:%M} UTC"
            )
        row = store_plans.record_tranche(session, thesis.id, number, size, note, now or utcnow())
        return Tranche(row.thesis, row.number, row.size, row.note, row.taken_at)
