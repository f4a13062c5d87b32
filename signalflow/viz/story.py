"""What a backtest tells, in words: the alerts it would have sent as episodes (fired .. over),
days in each Growth x Liquidity quadrant, the inputs whose data end early, and one closing
sentence ("what would have happened").

    eps = episodes(events)                       # announced firings and resolutions, paired
    closing(start, end, eps, "ok", "growth and liquidity", {"px.NVDA.close": last_close})

Only what would have been announced counts: a Soft Warning held back by a Kill Switch (see
:func:`signalflow.thesis.explain.backtest_summary`) is neither an episode nor resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

SEVERITY = {"kill_switch": "Kill Switch", "soft_warning": "Soft Warning"}
PLURAL = {"kill_switch": "Kill Switches", "soft_warning": "Soft Warnings"}
QUADRANT_WORDS = {
    "growth and liquidity": "growth and liquidity both holding",
    "growth only": "growth holding and liquidity not",
    "liquidity only": "liquidity holding and growth not",
    "neither": "neither growth nor liquidity holding",
    "unknown": "its Growth x Liquidity quadrant unknown",
}
STATE_WORDS = {"ok": "ok", "soft_warning": "on a Soft Warning", "kill_switch": "on a Kill Switch"}


@dataclass(frozen=True)
class Episode:
    """A rule from the announcement of its firing to that of its resolution (None: still firing)."""

    rule: str
    severity: str
    start: datetime
    end: datetime | None
    summary: str

    def days(self, until: datetime) -> int:
        return round(((self.end or until) - self.start).total_seconds() / 86400)

    def line(self) -> str:
        """``2023-03-20 to 2023-04-03  Kill Switch   credit_stress`` (at most 80 columns for
        rule names up to 40 characters)."""
        span = f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}" if self.end else f"{self.start:%Y-%m-%d} onwards"
        return f"{span:<24}  {SEVERITY.get(self.severity, self.severity):<12}  {self.rule}"


def episodes(events: Iterable) -> list[Episode]:
    """Announced ``firing`` / ``resolved`` events (with ``at``, ``rule``, ``severity``,
    ``event``, ``summary``) paired per rule, in order of firing."""
    out: list[Episode] = []
    open_: dict[str, int] = {}
    for e in events:
        if e.event == "firing":
            open_[e.rule] = len(out)
            out.append(Episode(e.rule, e.severity, e.at, None, e.summary))
        elif e.rule in open_:
            i = open_.pop(e.rule)
            out[i] = Episode(e.rule, e.severity, out[i].start, e.at, out[i].summary)
    return out


def quadrant_days(runs: Iterable) -> dict[str, int]:
    """Whole days in each quadrant (runs with ``kind``, ``start``, ``end``), in order of first
    appearance."""
    days: dict[str, float] = {}
    for run in runs:
        days[run.kind] = days.get(run.kind, 0.0) + (run.end - run.start).total_seconds() / 86400
    return {k: round(v) for k, v in days.items()}


def _count(eps: Sequence[Episode], severity: str, end: datetime) -> str:
    chosen = [e for e in eps if e.severity == severity]
    name = SEVERITY[severity]
    if not chosen:
        return f"no {name}"
    if len(chosen) == 1:
        (e,) = chosen
        after = f"over after {e.days(end)} days" if e.end else "still firing at the end"
        return f"one {name} ({e.rule} on {e.start:%Y-%m-%d}, {after})"
    by_rule: dict[str, int] = {}
    for e in chosen:
        by_rule[e.rule] = by_rule.get(e.rule, 0) + 1
    rules = ", ".join(f"{rule} {n}x" for rule, n in by_rule.items())
    still = "; the last still firing at the end" if chosen[-1].end is None else ""
    return f"{len(chosen)} {PLURAL[severity]} ({rules}, {sum(e.days(end) for e in chosen)} days in all{still})"


def closing(
    start: datetime | None,
    end: datetime,
    eps: Sequence[Episode],
    state: str | None,
    quadrant: str | None,
    ends_early: dict[str, datetime],
) -> str:
    """One sentence: what following the thesis over the backtest would have meant."""
    if start is None:
        return "No input of this thesis has data up to the end of the demo: nothing would have happened."
    text = (
        f"From {start:%Y-%m-%d} to {end:%Y-%m-%d} it would have sent {_count(eps, 'kill_switch', end)} "
        f"and {_count(eps, 'soft_warning', end)}; it ends {STATE_WORDS.get(state or '', state or 'not evaluated')}"
    )
    if quadrant:
        text += f", {QUADRANT_WORDS.get(quadrant, quadrant)}"
    if ends_early:
        gone = ", ".join(f"{ref} ends {at:%Y-%m-%d}" for ref, at in ends_early.items())
        text += f", although {gone} and says nothing after that"
    return text + "."
