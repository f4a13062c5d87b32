"""A tranche plan: how a position is built and what to do when the thesis warns.

A thesis file may carry::

    plan:
      first: 40%                       # the first tranche, percent of the intended position
      stretched: stretch > 40%         # the price has moved too far: adds are withheld
      adds:
        - size: 30%
          when: hypothesis(meta_capex_2026) and growth
        - size: 30%
          when: percentile(price_to_sales, 5y) < 50%
      on_soft_warning: "Take no add; re-read the thesis before the next one"
      on_kill_switch: "Sell the whole position"

Sizes are percent of the intended position, each above 0, together at most 100%. Each add's
``when`` and ``stretched`` are conditions checked like rules (names, functions, types). An
add is *due* while its condition holds; it is *announced* once per such episode, and
*withheld* while a rule of the thesis fires (a Soft Warning or a Kill Switch) or the price is
stretched, then announced when that clears and the condition still holds
(:func:`step`, shared by the daemon's record and the backtest).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signalflow.thesis.ast import Node
from signalflow.thesis.functions_spec import ValueKind
from signalflow.thesis.model import Add, Plan, Thesis

if TYPE_CHECKING:
    from signalflow.thesis.results import ThesisStatus

PLAN_KEYS = ("first", "adds", "stretched", "on_soft_warning", "on_kill_switch")
ADD_KEYS = ("size", "when")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def read_plan(builder, entry, resolver) -> Plan | None:
    """The ``plan:`` section with its conditions resolved by ``resolver`` (the rules' one);
    problems go to the builder's reader."""
    if entry is None:
        return None
    r = builder.reader
    fields = r.mapping(entry.value, "plan", PLAN_KEYS, ("first", "on_soft_warning", "on_kill_switch"), entry.key_node)
    if fields is None:
        return None
    first = _size(r, fields["first"].value, "plan.first") if "first" in fields else None
    texts = {}
    for key in ("on_soft_warning", "on_kill_switch"):
        if key in fields:
            text = (r.string(fields[key].value, f"plan.{key}") or "").strip()
            if not text:
                r.problem(fields[key].value, f"plan.{key} is empty", "say what the plan tells you to do then")
            texts[key] = " ".join(text.split())
    adds = _adds(builder, fields.get("adds"), resolver)
    stretched, stretched_text = None, ""
    if "stretched" in fields:
        parsed = builder.expression(fields["stretched"].value, "plan.stretched")
        if parsed is not None:
            stretched = resolver.resolve(parsed[0], ValueKind.BOOL, "plan.stretched")
            stretched_text = parsed[1]
    elif adds:
        r.problem(
            entry.key_node, "plan has adds but no 'stretched' condition",
            "say when the price has moved too far, e.g. stretched: pct_above_mean(px.NVDA.close, 200d) > 40%",
        )
    if first is not None and adds is not None:
        total = first + sum(a.size for a in adds)
        if total > 100 + 1e-9:
            r.problem(entry.key_node, f"plan sizes add up to {total:g}% of the intended position", "first and adds together may be at most 100%")
    if first is None or adds is None or len(texts) < 2 or not all(texts.values()):
        return None
    return Plan(
        first=first,
        on_soft_warning=texts["on_soft_warning"],
        on_kill_switch=texts["on_kill_switch"],
        location=r.loc(entry.key_node),
        adds=tuple(adds),
        stretched=stretched,
        stretched_text=stretched_text,
    )


def _size(r, node, what: str) -> float | None:
    text = r.string(node, what)
    if text is None:
        return None
    match = PERCENT.match(text)
    if match is None:
        r.problem(node, f"{what} must be a percent of the intended position, e.g. 40%, not {text!r}")
        return None
    value = float(match.group(1))
    if not 0 < value <= 100:
        r.problem(node, f"{what} must be above 0% and at most 100%, not {text.strip()}")
        return None
    return value


def _adds(builder, entry, resolver) -> list[Add] | None:
    """The adds in file order (None when one is broken)."""
    if entry is None:
        return []
    r = builder.reader
    items = r.sequence(entry.value, "plan.adds")
    if items is None:
        return None
    out: list[Add] = []
    broken = False
    for number, item in enumerate(items, start=1):
        what = f"plan add {number}"
        fields = r.mapping(item, what, ADD_KEYS, ADD_KEYS)
        if fields is None or set(fields) != set(ADD_KEYS):
            broken = True
            continue
        size = _size(r, fields["size"].value, f"{what}: size")
        parsed = builder.expression(fields["when"].value, f"{what}: when")
        if size is None or parsed is None:
            broken = True
            continue
        when = resolver.resolve(parsed[0], ValueKind.BOOL, f"{what}: when")
        out.append(Add(number, size, when, parsed[1], r.loc(fields["when"].value)))
    return None if broken else out


class AddEvent(str, enum.Enum):
    """What happened to an add at an instant."""

    ANNOUNCED = "announced"  # its condition holds, nothing blocks it: the user is told
    WITHHELD = "withheld"  # its condition holds but a rule fires or the price is stretched
    CLEARED = "cleared"  # its condition stopped holding: the next time it holds is a new episode


@dataclass(frozen=True)
class AddState:
    """Where one add stands: is its condition's episode open, and was it announced."""

    due: bool = False
    announced: bool = False
    withheld: str = ""  # why the open episode is not announced yet ('' when it is or none is open)


def blockers(firing_soft: bool, firing_kill: bool, stretched: bool | None) -> str:
    """Why an add cannot be announced now ('' when nothing blocks it)."""
    reasons = []
    if firing_kill:
        reasons.append("a Kill Switch fires")
    if firing_soft:
        reasons.append("a Soft Warning fires")
    if stretched:
        reasons.append("the price is stretched")
    return " and ".join(reasons)


def step(state: AddState, met: bool | None, blocked: str) -> tuple[AddState, AddEvent | None]:
    """The add's next state and what to tell: announced once per episode of its condition
    (unknown counts as not met), withheld (told once) while ``blocked`` says why."""
    if not met:
        return AddState(), (AddEvent.CLEARED if state.due else None)
    if state.announced:
        return state, None
    if blocked:
        event = AddEvent.WITHHELD if state.withheld != blocked else None
        return AddState(due=True, withheld=blocked), event
    return AddState(due=True, announced=True), AddEvent.ANNOUNCED


def add_key(add: Add) -> str:
    """The name of an add's condition among the plan's conditions (:func:`plan_conditions`)."""
    return f"add {add.number}"


def plan_conditions(thesis: Thesis) -> dict[str, Node]:
    """The conditions of ``thesis``'s plan by the name the alert layer reads them under:
    ``add N`` for each add's ``when`` and ``stretched``."""
    plan = thesis.plan
    if plan is None or not plan.adds:
        return {}
    nodes = {add_key(add): add.when for add in plan.adds}
    if plan.stretched is not None:
        nodes["stretched"] = plan.stretched
    return nodes


def plan_explain(
    thesis: Thesis, values: dict[str, bool | None], status: ThesisStatus, taken: dict[int, str]
) -> dict | None:
    """``thesis``'s plan for ``explain``: each tranche with its size, whether it was taken
    (``taken``: number -> when, from the tranche journal), each add's condition at the
    instant of ``status`` (``values``: :func:`plan_conditions` evaluated then), whether it
    would be announced or why it is withheld, and the instructions."""
    plan = thesis.plan
    if plan is None:
        return None
    firing = {str(r.severity) for r in status.rules if r.state.value == "firing"}
    blocked = blockers("soft_warning" in firing, "kill_switch" in firing, values.get("stretched"))
    adds = []
    for add in plan.adds:
        met = values.get(add_key(add))
        if add.number in taken:
            now = "taken"
        elif not met:
            now = "not due" if met is False else "unknown"
        else:
            now = f"withheld: {blocked}" if blocked else "due"
        adds.append({"add": add.number, "size_pct": add.size, "when": add.when_text, "met": met,
                     "now": now, "taken_at": taken.get(add.number)})
    return {
        "first": {"size_pct": plan.first, "taken_at": taken.get(0)},
        "adds": adds,
        "stretched": {"when": plan.stretched_text, "value": values.get("stretched")},
        "on_soft_warning": plan.on_soft_warning,
        "on_kill_switch": plan.on_kill_switch,
    }
