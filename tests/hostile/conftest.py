"""A memory bound on every hostile and fuzz case, beside the time bounds the tests assert:
a parser that grows without bound (a YAML billion laughs, ``/dev/zero`` as a thesis file, a
nested call that multiplies work) fails with its peak named, before it takes the machine down."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from hostile.memory import MiB, peak_memory

PEAK_BYTES = 256 * MiB


@pytest.fixture(autouse=True)
def memory_bound(request: pytest.FixtureRequest) -> Iterator[None]:
    """One case (every example of a fuzz test together) grows the process by under 256 MiB at
    its peak, and a process it starts stays under 256 MiB resident."""
    if getattr(request.function, "measures_memory_itself", False):  # the bound's own test
        yield
        return
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with peak_memory() as peak:
        yield
    assert peak.bytes < PEAK_BYTES, f"{request.node.name}: peak {peak.bytes / MiB:.0f} MiB ({peak.how})"
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if children > children_before:  # a process this case started set a new maximum (KiB on Linux)
        assert children * 1024 < PEAK_BYTES, f"{request.node.name}: a child process reached {children / 1024:.0f} MiB"
