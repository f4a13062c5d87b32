"""The status board: every thesis of the rules directory with its last stored state,
grouped by bottleneck layer so the user sees where the binding constraint is moving.

    rows = board(theses, store.engine_states(), today=date.today(), provider=store)
    for layer, group in by_layer(rows): ...

Reads only what the live evaluation stored (``Store.engine_states``); it never evaluates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from signalflow.store import Store, layer_binding
from signalflow.thesis.model import LAYERS, Thesis
from signalflow.series import SeriesProvider

if TYPE_CHECKING:
    from signalflow.store.engine_state import EngineState

NEVER = "never evaluated"
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class InputAge:
    """The latest period of one input known at the evaluation instant."""

    ref: str
    period_end: date | None
    known_at: datetime | None
    stale: bool = False

    def text(self) -> str:
        if self.period_end is None:
            return f"{self.ref} (no value)"
        return f"{self.ref} ({self.period_end.isoformat()}{', stale' if self.stale else ''})"

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "known_at": self.known_at.isoformat() if self.known_at else None,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class BoardRow:
    """One line of the board. ``state`` is a ThesisState value or :data:`NEVER`."""

    thesis: str
    title: str
    layer: str
    state: str
    quadrant: str
    since: datetime | None
    evaluated_at: datetime | None
    firing: tuple[str, ...]
    pending: tuple[str, ...]
    stalest: InputAge | None
    stale_inputs: tuple[str, ...]
    review_by: date | None
    review_overdue: bool
    in_rules: bool = True
    waiting_for: tuple[str, ...] = ()  # settings its unfilled inputs wait for (SIGNALFLOW_SEC_USER_AGENT)

    @property
    def evaluated(self) -> bool:
        return self.state != NEVER

    def to_json(self) -> dict[str, Any]:
        return {
            "thesis": self.thesis,
            "title": self.title,
            "layer": self.layer,
            "state": self.state,
            "quadrant": self.quadrant,
            "since": self.since.isoformat() if self.since else None,
            "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
            "firing": list(self.firing),
            "pending": list(self.pending),
            "stalest_input": self.stalest.to_json() if self.stalest else None,
            "stale_inputs": list(self.stale_inputs),
            "review_by": self.review_by.isoformat() if self.review_by else None,
            "review_overdue": self.review_overdue,
            "in_rules": self.in_rules,
            "waiting_for": list(self.waiting_for),
        }


def board(
    theses: Sequence[Thesis],
    states: dict[str, tuple[EngineState, dict]],
    today: date,
    provider: SeriesProvider | None = None,
    waiting: dict[str, tuple[str, ...]] | None = None,
) -> list[BoardRow]:
    """A row per thesis of ``theses`` (never-evaluated ones included) and per stored state
    whose thesis left the rules directory. ``provider`` fills the stalest input when the
    stored status does not carry every input (live passes store only those of the rules
    that changed state or fire). ``waiting`` maps a thesis id to the settings its inputs
    still wait for."""
    rows = []
    for thesis in theses:
        _, status = states.get(thesis.id, (None, {}))
        row = _row(thesis.id, thesis.title, thesis.layer, thesis.review_by, status, today, thesis, provider)
        if waiting and waiting.get(thesis.id):
            row = BoardRow(**{**row.__dict__, "waiting_for": tuple(waiting[thesis.id])})
        rows.append(row)
    known = {t.id for t in theses}
    for thesis_id, (_, status) in sorted(states.items()):
        if thesis_id not in known and status:
            row = _row(thesis_id, status.get("title", ""), status.get("layer", ""), None, status, today, None, provider)
            rows.append(BoardRow(**{**row.__dict__, "in_rules": False}))
    return rows


def by_layer(rows: Iterable[BoardRow]) -> list[tuple[str, list[BoardRow]]]:
    """Rows grouped in bottleneck-map order (compute ... inference), then any other layer,
    then theses without one; within a group Kill Switches first, then by id."""
    order = {s: i for i, s in enumerate(("kill_switch", "soft_warning", "ok", NEVER))}
    groups: dict[str, list[BoardRow]] = {}
    for row in rows:
        groups.setdefault(row.layer or UNASSIGNED, []).append(row)
    layers = [x for x in LAYERS if x in groups]
    layers += sorted(x for x in groups if x not in LAYERS and x != UNASSIGNED)
    layers += [UNASSIGNED] if UNASSIGNED in groups else []
    return [(x, sorted(groups[x], key=lambda r: (order.get(r.state, 9), r.thesis))) for x in layers]


def _row(
    thesis_id: str,
    title: str,
    layer: str,
    review_by: date | None,
    status: dict,
    today: date,
    thesis: Thesis | None,
    provider: SeriesProvider | None,
) -> BoardRow:
    overdue = review_by is not None and today > review_by
    if not status:
        return BoardRow(thesis_id, title, layer, NEVER, "", None, None, (), (), None, (), review_by, overdue)
    stale = tuple(status.get("stale_inputs") or ())
    at = _when(status.get("at"))
    ages = _stored_ages(status, stale)
    if thesis is not None and provider is not None and at is not None and not _covers(ages, thesis):
        ages = latest_inputs(thesis, provider, at, stale)
    return BoardRow(
        thesis=thesis_id,
        title=title or status.get("title", ""),
        layer=layer or status.get("layer", ""),
        state=status.get("state", NEVER),
        quadrant=status.get("quadrant", ""),
        since=_when(status.get("since")),
        evaluated_at=at,
        firing=tuple(status.get("firing") or ()),
        pending=tuple(status.get("pending") or ()),
        stalest=stalest(ages),
        stale_inputs=stale,
        review_by=review_by,
        review_overdue=overdue,
    )


def stalest(ages: Iterable[InputAge]) -> InputAge | None:
    """The input whose latest period is oldest (one with no value at all first)."""
    ages = list(ages)
    if not ages:
        return None
    return min(ages, key=lambda a: (a.period_end is not None, a.period_end or date.min, a.known_at or datetime.min, a.ref))


def _covers(ages: list[InputAge], thesis: Thesis) -> bool:
    from signalflow.thesis.model import thesis_refs

    return bool(ages) and thesis_refs(thesis) <= {a.ref for a in ages}


def _stored_ages(status: dict, stale: tuple[str, ...]) -> list[InputAge]:
    ages: dict[str, InputAge] = {}
    for rule in status.get("rules") or ():
        for i in rule.get("inputs") or ():
            end = i.get("period_end")
            ages[i["ref"]] = InputAge(
                i["ref"],
                date.fromisoformat(end) if end else None,
                _when(i.get("known_at")),
                bool(i.get("stale")) or i["ref"] in stale,
            )
    return list(ages.values())


def latest_inputs(thesis: Thesis, provider: SeriesProvider, at: datetime, stale: Sequence[str] = ()) -> list[InputAge]:
    """For every series the thesis reads, its latest period known at ``at``."""
    from signalflow.thesis.model import thesis_refs

    refs = sorted(thesis_refs(thesis))
    frames = provider.load(refs, until=at)
    out = []
    for ref in refs:
        frame = frames.get(ref)
        data = frame.data if frame is not None else None
        if data is None or data.empty:
            out.append(InputAge(ref, None, None, True))
            continue
        last = data.sort_values(["period_end", "known_at"]).iloc[-1]
        out.append(InputAge(ref, last["period_end"].date(), last["known_at"].to_pydatetime(), ref in stale))
    return out


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Binding:
    """The binding layer now, from the stored moves: ``layer`` ("" when none binds) since
    ``since`` (the exact instant of the move), with ``share`` of its theses warning."""

    layer: str
    since: datetime
    share: float
    theses: tuple[str, ...]
    previous: str

    def to_json(self) -> dict:
        return {
            "layer": self.layer or None,
            "since": self.since.isoformat(),
            "share": round(self.share, 4),
            "theses": list(self.theses),
            "previous": self.previous or None,
        }

    def text(self) -> str:
        if not self.layer:
            return f"No layer binds since {self.since:%Y-%m-%d %H:%M} UTC (none of the theses warns)."
        before = f"; {self.previous} bound before" if self.previous else ""
        return (
            f"Binding layer: {self.layer} since {self.since:%Y-%m-%d %H:%M} UTC, {self.share:.0%} of its"
            f" theses in Soft Warning or Kill Switch ({', '.join(self.theses)}){before}."
        )


def binding(store: Store) -> Binding | None:
    """The latest stored move of the binding layer, or None before the first live pass that
    saw theses in at least two layers."""
    with store.session() as session:
        row = layer_binding.latest(session)
        if row is None:
            return None
        return Binding(row.layer, row.at, row.share, tuple(layer_binding.theses_of(row)), row.previous)
