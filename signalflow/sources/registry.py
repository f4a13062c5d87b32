"""Sources are found through the ``signalflow.sources`` entry-point group, built-ins
included, so a user's package registers a source exactly the way signalflow does."""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

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
