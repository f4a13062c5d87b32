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
    max_rss: int  # bytes: the child's own peak resident size (0 where /proc is not there)


# The child reports its own high-water mark as it exits. The kernel's figure for a child
# (wait4, RUSAGE_CHILDREN) is no use: at exec the child keeps the high-water mark of the
# address space it replaces, the parent's, so a test process grown to 300 MiB over a long
# run makes every child it starts look 300 MiB large.
_REPORTING = """
import atexit, os, runpy, sys

def report():
    try:
        with open("/proc/self/status") as status:
            peak = next((line.split()[1] for line in status if line.startswith("VmHWM:")), "0")
    except OSError:
        peak = "0"
    with open(os.environ["SIGNALFLOW_TEST_PEAK_FILE"], "w") as out:
        out.write(peak)

atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_module_bounded(module: str, args: list[str], timeout: float, env: dict[str, str], **kwargs) -> Finished:
    """``python -m module args`` to the end, with the peak resident size the child itself
    saw (``VmHWM`` of its own address space, read as it exits)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        done = subprocess.run(
            [sys.executable, "-c", _REPORTING, module, *args], capture_output=True, text=True, timeout=timeout,
            env={**env, "SIGNALFLOW_TEST_PEAK_FILE": str(peak_file)}, **kwargs,
        )
        peak = int(peak_file.read_text() or 0) * 1024 if peak_file.exists() else 0
    return Finished(done.returncode, done.stdout, done.stderr, peak)
