"""How much memory one piece of work took at its peak, above what the process held before.

On Linux the kernel's high-water mark of resident memory is reset at the start
(``/proc/self/clear_refs``) and read at the end (``VmHWM``): everything counts (Python objects,
libyaml, pandas, lxml) and nothing is slowed. Elsewhere ``tracemalloc`` measures the Python
allocations, slower but portable."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MiB = 2**20
PEAK_BYTES = 256 * MiB  # what one hostile or fuzz case may take at its peak
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass
class Peak:
    bytes: int = 0
    how: str = ""


def _status(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # kB
    raise LookupError(field)


def _resettable() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # 5: reset the peak resident size to the current one
        _status("VmHWM")
        return True
    except (OSError, LookupError):
        return False


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """``with peak_memory() as peak: work()`` -> ``peak.bytes`` the growth at the peak."""
    peak = Peak()
    if _resettable():
        before = _status("VmRSS")
        try:
            yield peak
        finally:
            peak.bytes, peak.how = max(0, _status("VmHWM") - before), "resident"
        return
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        yield peak
    finally:
        peak.bytes, peak.how = max(0, tracemalloc.get_traced_memory()[1] - before), "Python-allocated"
        if started:
            tracemalloc.stop()



@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    max_rss: int  # bytes: this child's own peak resident size


def run_bounded(args: list[str], timeout: float, **kwargs) -> Finished:
    """Run ``args`` to the end and read that one child's peak resident size from ``wait4``,
    not the kernel's maximum over every child the process ever reaped. Killed after
    ``timeout`` seconds (then ``returncode`` is negative)."""
    import os
    import subprocess
    import tempfile
    import threading

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(args, stdout=out, stderr=err, text=True, **kwargs)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Finished(child.returncode, out.read(), err.read(), usage.ru_maxrss * 1024)  # KiB on Linux
