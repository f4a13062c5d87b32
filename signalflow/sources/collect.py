"""Collecting many items (series, tickers, companies) where one failure must not stop the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from signalflow.errors import RateLimited, SourceError
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
    failed: then the first error is raised, so the run counts as failed. An error of a type in
    ``stop_on`` (a rate limit: the server asked us to slow down) stops the run and leaves the
    rest for the next one. ``redact`` strips secrets from an error before it is kept."""
    from signalflow.sources.http import STOPPING

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
            log.warning("collection of one item failed", extra={"source": source, "item": item, "error": str(exc)})
            if isinstance(exc, (RateLimited, *stop_on)) or STOPPING.is_set():
                break
            continue
        batch.extend(part)
        succeeded += 1
    if errors and not succeeded:
        raise errors[0]
    return batch
