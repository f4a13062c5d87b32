"""Collecting many items (series, tickers, companies) where one failure must not stop the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from signalflow.errors import Interrupted, RateLimited, SourceError, Unreachable
from signalflow.series import Batch

log = logging.getLogger(__name__)


def collect_each(
    items: Iterable[str],
    collect_one: Callable[[str], Batch],
    *,
    source: str,
    stop_on: tuple[type[Exception], ...] = (),
    redact: Callable[[Exception], Exception] = lambda exc: exc,
) -> Batch:
    """Collect each item (a series, a ticker, a company) with ``collect_one``.

    One failing item becomes a warning in the batch and the others go on, unless every item
    failed: then the first error is raised, so the run counts as failed, carrying
    ``items_failed`` (how many items the run did not get) for a one-line summary. An error of
    a type in ``stop_on`` (a rate limit: the server asked us to slow down), a host that
    cannot be reached, or signalflow stopping ends the run and leaves the rest for the next
    one. ``redact`` strips secrets from an error before it is kept."""
    from signalflow.sources.http import STOPPING

    items = list(items)
    batch = Batch()
    errors: list[Exception] = []
    succeeded = 0
    for item in items:
        try:
            part = collect_one(item)
        except SourceError as exc:
            exc = redact(exc)
            errors.append(exc)
            batch.warnings.append(str(exc))
            log.debug("collection of one item failed", extra={"source": source, "item": item, "error": str(exc)})
            if isinstance(exc, (RateLimited, Unreachable, Interrupted, *stop_on)) or STOPPING.is_set():
                break
            continue
        batch.extend(part)
        succeeded += 1
    if errors and not succeeded:
        first = errors[0]
        first.items_failed = len(items)  # type: ignore[attr-defined]
        raise first
    return batch
