"""A memory bound on every hostile and fuzz case, beside the time bounds the tests assert:
a parser that grows without bound (a YAML billion laughs, ``/dev/zero`` as a thesis file, a
nested call that multiplies work) fails with its peak named, before it takes the machine down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hostile.memory import PEAK_BYTES, MiB, peak_memory


@pytest.fixture(autouse=True)
def memory_bound(request: pytest.FixtureRequest) -> Iterator[None]:
    """One case (every example of a fuzz test together) grows the process by under 256 MiB at
    its peak. A process a case starts is bounded where it is waited for (:func:`run_bounded`):
    the kernel's figure for all children also counts an earlier test's child reaped late."""
    if getattr(request.function, "measures_memory_itself", False):  # the bound's own test
        yield
        return
    with peak_memory() as peak:
        yield
    assert peak.bytes < PEAK_BYTES, f"{request.node.name}: peak {peak.bytes / MiB:.0f} MiB ({peak.how})"
