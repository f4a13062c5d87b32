"""What signalflow does, as plain functions the CLI and the daemon share:
collect -> store -> evaluate (+ record alerts in the same transaction) -> deliver.

Failures are contained per source and per thesis: one broken feed, one 429 or one thesis
that cannot be evaluated is logged, recorded and reported; it never stops the others.

Each step lives in its own module (:mod:`.collection`, :mod:`.imports`, :mod:`.evaluation`,
:mod:`.decisions`); callers import every name from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.service.collection import (
    NOTHING_COLLECTED,
    WARNINGS_LOGGED,
    SourcePlan,
    SourceReport,
    collect,
    collect_source,
    make_source,
    plan_sources,
    refs_by_source,
    waiting_for,
)
from signalflow.service.decisions import acknowledge, journal
from signalflow.service.evaluation import evaluate, replay_downtime, unless_check, unless_values
from signalflow.service.imports import SNIFF_BYTES, ImportReport, expand_paths, import_file, import_paths
from signalflow.settings import Settings
from signalflow.store import Store

if TYPE_CHECKING:
    from signalflow.thesis.model import Thesis

__all__ = [
    "ImportReport",
    "NOTHING_COLLECTED",
    "SNIFF_BYTES",
    "SourcePlan",
    "SourceReport",
    "WARNINGS_LOGGED",
    "acknowledge",
    "collect",
    "collect_source",
    "deliver",
    "evaluate",
    "expand_paths",
    "import_file",
    "import_paths",
    "journal",
    "load_theses",
    "make_source",
    "open_store",
    "plan_sources",
    "refs_by_source",
    "replay_downtime",
    "run_once",
    "unless_check",
    "unless_values",
    "waiting_for",
]


def open_store(settings: Settings) -> Store:
    return Store.open(settings.database_url)


def load_theses(settings: Settings, directory: Path | None = None) -> list[Thesis]:
    """Every thesis under the rules directory; raises CheckFailed when any file is broken."""
    from signalflow.thesis.loader import load_rules_dir

    ruleset = load_rules_dir(directory or settings.rules_dir, settings=settings)
    ruleset.raise_for_errors()
    return list(ruleset.theses)


def deliver(settings: Settings, store: Store):
    from signalflow.alerts import deliver_pending

    return deliver_pending(store, settings)


def run_once(settings: Settings, store: Store, theses: Sequence[Thesis]) -> dict:
    """One collect -> evaluate -> notify pass; like the daemon's first pass, it first tells
    the episodes that began and ended since the last evaluation (:func:`replay_downtime`)."""
    reports = collect(settings, store, theses)
    replay_downtime(settings, store, theses)
    evaluations = evaluate(settings, store, theses)
    delivery = deliver(settings, store)
    return {"collect": reports, "evaluations": evaluations, "delivery": delivery}
