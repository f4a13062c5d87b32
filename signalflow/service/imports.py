"""Saved payloads loaded exactly as if they had been collected (``signalflow import``)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from signalflow.errors import FrequencyChanged, PayloadError, SignalflowError
from signalflow.series import Batch
from signalflow.service.collection import refs_by_source
from signalflow.settings import Settings
from signalflow.sources.base import Source
from signalflow.sources.registry import in_date_order, source_classes
from signalflow.sources.validate import check_batch
from signalflow.store import Store

log = logging.getLogger(__name__)

SNIFF_BYTES = 64 * 1024


@dataclass
class ImportReport:
    path: Path
    source: str
    observations_added: int = 0
    events_added: int = 0
    series: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    incomplete: list[str] = field(default_factory=list)  # what the file is known to miss

    @property
    def ok(self) -> bool:
        """Imported whole: no error and nothing known to be missing."""
        return not self.error and not self.incomplete

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "source": self.source,
            "observations_added": self.observations_added,
            "events_added": self.events_added,
            "series": self.series,
            "warnings": self.warnings,
            "incomplete": self.incomplete,
            "error": self.error,
        }


def import_paths(
    settings: Settings,
    store: Store,
    paths: Sequence[Path],
    series: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    known_at: datetime | None = None,
    *,
    allow_frequency_change: bool = False,
) -> list[ImportReport]:
    """Load saved payloads exactly as if they had been collected.

    With ``series`` (``fred.DGS10``) the source named by its prefix imports every file.
    Otherwise each file is offered to every registered source's ``sniff`` and the first that
    recognises it imports it. A file that cannot be imported (unknown format, an error reply
    saved as a payload, bad rows) is reported with its error and the next file goes on; so is
    a file that would change the frequency of a stored series, unless
    ``allow_frequency_change``. A file known to be partial (a reply cut at a row cap) is
    stored and its report says what is missing. Sources whose files carry more than they
    store by default (SEC companyfacts: every XBRL concept) also store what the theses of
    ``rules_dir`` name; ``known_at`` dates files that cannot date themselves (a filing
    document whose acceptance time is unknown). Files a source dates from their content
    (snapshot files) are imported oldest first. ``progress(done, total)`` is called after
    each file."""
    sources = {name: cls(settings) for name, cls in sorted(source_classes().items())}
    files = expand_paths(paths)
    if known_at is None and series is None:
        files = in_date_order(files, sources.values())  # snapshots are diffed in date order
    refs = _referenced(settings)
    reports = []
    for path in files:
        report = import_file(
            settings, store, path, series, sources,
            known_at=known_at, refs=refs, allow_frequency_change=allow_frequency_change,
        )  # fmt: skip
        if report.error:
            # the report carries the error and the caller prints it: logged once, for debugging
            log.debug("import failed", extra={"path": str(path), "error": report.error})
        else:
            log.debug(
                "imported",
                extra={"path": str(path), "source": report.source, "observations_added": report.observations_added},
            )
        for missing in report.incomplete:
            log.warning("incomplete import", extra={"path": str(path), "warning": missing})
        reports.append(report)
        if progress:
            progress(len(reports), len(files))
    return reports


def import_file(
    settings: Settings,
    store: Store,
    path: Path,
    series: str | None = None,
    sources: dict[str, Source] | None = None,
    *,
    known_at: datetime | None = None,
    refs: dict[str, list[str]] | None = None,
    allow_frequency_change: bool = False,
) -> ImportReport:
    """Import one file; errors of the file's own making (and a refused frequency change)
    come back in ``report.error``."""
    sources = sources or {name: cls(settings) for name, cls in sorted(source_classes().items())}
    try:
        if series is not None:
            prefix = series.split(".", 1)[0]
            if prefix not in sources:
                raise PayloadError(str(path), f"--series {series}: no source named {prefix!r}")
            source = sources[prefix]
        else:
            with path.open("rb") as fh:
                head = fh.read(SNIFF_BYTES)
            source = next((s for s in sources.values() if s.sniff(path, head)), None)
            if source is None:
                raise PayloadError(str(path), "not a format signalflow can import (see `signalflow import --help`)")
        options = {"known_at": known_at, "refs": (refs or {}).get(source.name)}
        batch = _import_file(source, path, series, options)
        check_batch(batch, str(path))
    except SignalflowError as exc:
        return ImportReport(path, "", error=str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ImportReport(path, "", error=str(PayloadError(str(path), f"cannot read: {problem}")))
    except Exception as exc:  # a parser that missed a case: the file is bad, not the import
        log.debug("unexpected import failure", exc_info=True, extra={"path": str(path)})
        return ImportReport(path, "", error=str(PayloadError(str(path), f"cannot read: {_describe(exc)}")))
    try:
        result = store.add_batch(batch, allow_frequency_change=allow_frequency_change)
    except FrequencyChanged as exc:
        return ImportReport(path, "", error=str(exc))
    keys = sorted({o.series for o in batch.observations} | set(_frame_keys(batch)))
    changed = [f"{key}: frequency changed from {old} to {new}" for key, old, new in result.frequency_changes]
    return ImportReport(
        path, source.name, result.observations_added, result.events_added, keys, batch.warnings + changed,
        incomplete=batch.incomplete,
    )


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import_file(source: Source, path: Path, series: str | None, options: dict | None = None) -> Batch:
    """``source.import_file`` with the keyword options it accepts (``refs``, ``known_at``)."""
    accepted = inspect.signature(source.import_file).parameters
    extra = {k: v for k, v in (options or {}).items() if v is not None and k in accepted}
    if series is None:
        return source.import_file(path, **extra)
    try:
        return source.import_file(path, series=series, **extra)
    except TypeError:
        raise PayloadError(str(path), f"source {source.name} does not accept --series") from None


def _referenced(settings: Settings) -> dict[str, list[str]]:
    """The series references of the theses that load from ``rules_dir`` (none when it is absent
    or broken: importing never depends on the theses being valid)."""
    from signalflow.thesis.loader import load_rules_dir

    try:
        return refs_by_source(load_rules_dir(settings.rules_dir, settings=settings).theses)
    except (SignalflowError, OSError):
        return {}


def _frame_keys(batch: Batch) -> list[str]:
    return [] if batch.frame is None or not len(batch.frame) else list(batch.frame["series"].unique())


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files named, and every file under directories named (hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise PayloadError(str(path), "no such file or directory")
    return files
