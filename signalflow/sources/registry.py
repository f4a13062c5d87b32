"""Sources are found through the ``signalflow.sources`` entry-point group, built-ins
included, so a user's package registers a source exactly the way signalflow does."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from signalflow.sources.base import Source

log = logging.getLogger(__name__)

GROUP = "signalflow.sources"


@cache
def source_classes() -> dict[str, type[Source]]:
    """Every registered source class by name; one that fails to import is logged and left out."""
    found: dict[str, type[Source]] = {}
    for ep in entry_points(group=GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not take the daemon down
            log.error("cannot load source plugin", extra={"plugin": ep.name, "error": repr(exc)})
            continue
        found[ep.name] = cls
    return found


def source_names() -> list[str]:
    return sorted(source_classes())


def in_date_order(files: Sequence[Path], sources: Iterable[Source], head_bytes: int = 65536) -> list[Path]:
    """``files`` with those a source dates (:meth:`Source.file_date`) put oldest first among
    themselves, ties in their given order; the others keep their places. Snapshot files
    compared with the one before them must come in the order of the dates they represent,
    which their names do not tell (a later download can hold older data)."""
    sources = list(sources)
    dated: list[tuple[int, date]] = []
    for index, path in enumerate(files):
        try:
            with path.open("rb") as handle:
                head = handle.read(head_bytes)
        except OSError:
            continue  # the import reports it
        for source in sources:
            try:
                if source.sniff(path, head):
                    when = source.file_date(path, head)
                    if when is not None:
                        dated.append((index, when))
                    break
            except Exception as exc:  # a file no reader can date is imported (and reported) in place
                log.debug("cannot date file", extra={"path": str(path), "error": str(exc)})
                break
    ordered = list(files)
    slots = [index for index, _ in dated]
    for slot, (index, _) in zip(slots, sorted(dated, key=lambda item: (item[1], item[0]))):
        ordered[slot] = files[index]
    return ordered
