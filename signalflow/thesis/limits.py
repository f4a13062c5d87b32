"""How big a thesis or rule-test file may be, and how deep its expressions may nest.

Every limit is far above what a person writes and far below what exhausts the stack, the
memory or the clock; crossing one is a :class:`~signalflow.errors.ThesisError` that names
the limit, never a ``RecursionError`` or ``MemoryError``.

    text = read_limited(path, "thesis file")        # ThesisError past MAX_FILE_BYTES
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from signalflow.errors import Location, ThesisError

MAX_FILE_BYTES = 1_000_000
"""A thesis or rule-test file; the largest real one is a few kilobytes."""

MAX_EXPRESSION_CHARS = 100_000
"""One expression, whitespace and comments of a block scalar included."""

MAX_NESTING = 40
"""Parentheses, calls, ``not`` and unary signs inside each other (the parser recurses)."""

MAX_DEPTH = 100
"""Levels of the parsed tree; ``a and b and c ...`` adds one level per term, and evaluation,
``explain`` and ``to_text`` walk the tree recursively."""

MAX_YAML_NODES = 100_000
"""Nodes of a YAML document once aliases are expanded (a "billion laughs" file has 10^9)."""

MAX_YAML_DEPTH = 64
"""Collections inside collections in one YAML document (PyYAML composes recursively)."""

MAX_DURATION = timedelta(days=100 * 365)
"""A window, ``for``, ``keep_firing_for``, ``stale_after`` or ``every``: a century, so that
``now - window`` stays inside the dates the store and pandas can hold."""

MAX_COUNT = 1_000_000
"""The ``n`` of ``lag``/``pct_change`` and ``for: N releases``."""

MAX_EVALUATIONS = 100_000
"""Shifted evaluations one expression may cost per instant on its worst path (see
``Resolver._fanout``): ``ttm`` nested 40 deep would otherwise ask for 4^40."""

MAX_MEAN_COUNT = 1_000
"""The ``n`` of ``mean(x, n)``, which evaluates ``x`` once for each of the n observations."""


def read_limited(path: Path | str, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of ``path``, read without ever holding more than ``limit`` + 1 bytes
    (``/dev/zero`` or a FIFO stop at the limit instead of filling the memory)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ThesisError(Location(path), f"cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ThesisError(Location(path), f"{what} is larger than {limit:,} bytes", "split it into several files")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ThesisError(Location(path), f"cannot read {what}: not UTF-8 text (byte {exc.start})") from None


def describe_duration(limit: timedelta) -> str:
    years = limit.days // 365
    return f"{years}y" if years else f"{limit.days}d"
