"""Collection: which sources the theses need, what each is ready to collect or still waits
for, and one run of each source stored; a failing source is reported, never raised."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from signalflow.errors import SignalflowError, SourceError
from signalflow.redact import redact
from signalflow.settings import Settings
from signalflow.sources.base import Source
from signalflow.sources.registry import source_classes
from signalflow.sources.validate import check_batch
from signalflow.store import Store

if TYPE_CHECKING:
    from signalflow.thesis.model import Thesis

log = logging.getLogger(__name__)

NOTHING_COLLECTED = (
    "no data could be collected and the database is empty. To see signalflow work offline, run "
    "`signalflow demo` (real history bundled with signalflow), or load saved payloads with "
    "`signalflow import PATH` (e.g. `signalflow import ../shared/data/fred/chzanotti_liquidez-monitor/history`)."
)
WARNINGS_LOGGED = 3  # distinct warnings logged per collection; the rest are counted


@dataclass
class SourceReport:
    source: str
    refs: list[str]
    ok: bool
    observations_added: int = 0
    events_added: int = 0
    error: str = ""
    seconds: float = 0.0
    series_changed: set[str] = field(default_factory=set)
    incomplete: list[str] = field(default_factory=list)  # what the source's replies missed
    waiting: dict[str, list[str]] = field(default_factory=dict)  # setting -> refs skipped until it is set
    interrupted: bool = False

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "refs": self.refs,
            "ok": self.ok,
            "waiting_for": self.waiting,
            "interrupted": self.interrupted,
            "observations_added": self.observations_added,
            "events_added": self.events_added,
            "error": self.error,
            "incomplete": self.incomplete,
            "seconds": round(self.seconds, 3),
        }


def refs_by_source(theses: Iterable[Thesis]) -> dict[str, list[str]]:
    from signalflow.thesis.model import thesis_refs

    grouped: dict[str, set[str]] = defaultdict(set)
    for thesis in theses:
        for ref in thesis_refs(thesis):
            grouped[ref.split(".", 1)[0]].add(ref)
    return {name: sorted(refs) for name, refs in sorted(grouped.items())}


@dataclass
class SourcePlan:
    """What a run will do with one source: the references it collects and those waiting for
    a setting (``waiting``: setting -> refs); ``error`` when the source cannot be built."""

    source: str
    ready: list[str]
    waiting: dict[str, list[str]]
    error: str = ""


def plan_sources(settings: Settings, theses: Iterable[Thesis]) -> list[SourcePlan]:
    """For each source the theses reference, which references are ready and which wait for a
    setting: the start-up summary of ``signalflow run`` and the "waiting for" of ``status``."""
    plans = []
    for name, refs in refs_by_source(theses).items():
        try:
            source = make_source(name, settings)
        except Exception as exc:
            plans.append(SourcePlan(name, [], {}, str(exc)))
            continue
        plan = SourcePlan(name, [], {})
        for ref in refs:
            try:
                setting = source.needs(ref)
            except Exception as exc:  # a broken settings file is reported by the collection itself
                log.debug("needs check failed", extra={"source": name, "ref": ref, "error": str(exc)})
                setting = None
            if setting:
                plan.waiting.setdefault(setting, []).append(ref)
            else:
                plan.ready.append(ref)
        plans.append(plan)
    return plans


def waiting_for(settings: Settings, store: Store, theses: Sequence[Thesis]) -> dict[str, tuple[str, ...]]:
    """For each thesis, the settings its inputs still wait for: an input waits when its
    source needs a setting and the store holds nothing for it (an import fills it too)."""
    from signalflow.thesis.model import thesis_refs

    needed = {ref: setting for plan in plan_sources(settings, theses) for setting, refs in plan.waiting.items() for ref in refs}
    if not needed:
        return {}
    stored = {info.key for info in store.list_series()}
    out = {}
    for thesis in theses:
        settings_needed = sorted({needed[r] for r in thesis_refs(thesis) if r in needed and r not in stored})
        if settings_needed:
            out[thesis.id] = tuple(settings_needed)
    return out


def make_source(name: str, settings: Settings) -> Source:
    classes = source_classes()
    if name not in classes:
        raise SignalflowError(f"no source named {name!r} is registered (known: {', '.join(sorted(classes))})")
    return classes[name](settings)


def collect_source(
    settings: Settings, store: Store, name: str, refs: Sequence[str], next_try: datetime | None = None
) -> SourceReport:
    """Run one source for ``refs`` and store what it found. Never raises for source failures.

    References that still need a setting (:meth:`Source.needs`) are skipped and listed in
    ``report.waiting``, never counted as failures; a collection cut short because signalflow
    is stopping is ``interrupted``, not a failure either. ``next_try`` (the daemon's next
    run of this source) is named in the one line logged for a failure."""
    from signalflow.errors import Interrupted
    from signalflow.sources.http import STOPPING

    started = time.monotonic()
    report = SourceReport(name, list(refs), ok=False)
    try:
        source = make_source(name, settings)
        ready = []
        for ref in refs:
            setting = source.needs(ref)
            if setting:
                report.waiting.setdefault(setting, []).append(ref)
            else:
                ready.append(ref)
        if report.waiting:
            log.debug("not configured yet, skipped",
                     extra={"source": name, "waiting_for": "; ".join(report.waiting), "series": _count(report.waiting)})
        if report.waiting and not ready:
            report.ok = True
            report.seconds = time.monotonic() - started
            return report
        state = store.get_source_state(name)
        before = dict(state)
        try:
            batch = source.collect(ready, state)
        except SourceError:
            # a source may say its state describes nothing left unstored (a feed's health)
            if source.outcome.keep_state and state != before:
                store.set_source_state(name, state)
            raise
        # A collector reads its publisher's own metadata, so a frequency it reports anew is
        # the publisher's change (a company's first 10-Q): stored, and logged loudly.
        check_batch(batch, name)
        result = store.add_batch(batch, allow_frequency_change=True)
        for key, old, new in result.frequency_changes:
            log.warning("series frequency changed", extra={"source": name, "series": key, "old": old, "new": new})
        # Remember ETags and cursors only once the data they describe is safely stored.
        if state != before:
            store.set_source_state(name, state)
        grouped = _grouped(batch.warnings)
        for warning, times in grouped[:WARNINGS_LOGGED]:
            log.warning("source warning", extra={"source": name, "warning": warning, **({"times": times} if times > 1 else {})})
        if len(grouped) > WARNINGS_LOGGED:
            log.warning("source warnings not shown", extra={"source": name, "more": len(grouped) - WARNINGS_LOGGED})
        for missing in batch.incomplete:
            log.warning("incomplete collection", extra={"source": name, "warning": missing})
        report.ok = True
        report.observations_added = result.observations_added
        report.events_added = result.events_added
        report.series_changed = result.series_changed
        report.incomplete = list(batch.incomplete)
        if source.outcome.attempted:  # a run with nothing due is no news of the source's health
            store.record_source_result(name, ok=True, stored=result.observations_added)
    except Exception as exc:  # a source failure is data, not a crash
        # an HTTP error may quote a URL's credentials: the report is shown, logged and stored
        report.error = redact(_failure_text(name, exc))
        if isinstance(exc, Interrupted) or STOPPING.is_set():
            report.interrupted = True
            log.info("collection interrupted, not a failure", extra={"source": name, "error": report.error})
        else:
            extra = {"source": name, "error": report.error}
            if next_try is not None:
                extra["next_try"] = next_try.isoformat(sep=" ", timespec="minutes")
            log.warning("collection failed", extra=extra)
            try:
                store.record_source_result(name, ok=False, error=report.error)
            except Exception as store_exc:  # the database itself may be the problem
                log.error("cannot record source failure", extra={"source": name, "error": str(store_exc)})
    report.seconds = time.monotonic() - started
    log.info(
        "collected",
        extra={
            "source": name,
            "ok": report.ok,
            "observations_added": report.observations_added,
            "seconds": round(report.seconds, 3),
        },
    )
    return report


def _count(waiting: dict[str, list[str]]) -> int:
    return sum(len(refs) for refs in waiting.values())


def _grouped(messages: Sequence[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return list(counts.items())


def _failure_text(name: str, exc: Exception) -> str:
    """One line for a failed run: ``fred: 7 series failed: cannot reach fred.stlouisfed.org
    (name resolution failed)`` when several items failed the same way."""
    from signalflow.errors import SourceError

    if not isinstance(exc, SignalflowError):
        return f"{type(exc).__name__}: {exc}"
    failed = getattr(exc, "items_failed", 0)
    if isinstance(exc, SourceError) and failed > 1:
        return f"{exc.source}: {failed} series failed: {exc.problem}"
    return str(exc)


def collect(
    settings: Settings,
    store: Store,
    theses: Sequence[Thesis],
    only: Sequence[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[SourceReport]:
    """Collect every series the theses reference (optionally only some sources).

    ``progress(source, done, total)`` is called before each source (``done`` sources
    finished) and once at the end with ``source`` empty, for the CLI's progress bar."""
    todo = [(name, refs) for name, refs in refs_by_source(theses).items() if not only or name in only]
    reports = []
    for done, (name, refs) in enumerate(todo):
        if progress:
            progress(name, done, len(todo))
        reports.append(collect_source(settings, store, name, refs))
    if progress:
        progress("", len(todo), len(todo))
    return reports
