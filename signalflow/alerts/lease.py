"""Who holds an outbox row, and whether that deliverer still runs.

A delivery pass leases each row it works on under an owner name ``host:pid:start:nonce``
(``start`` is the process's start time from ``/proc``, so a reused pid is not mistaken for
the owner). Another deliverer waits for the lease to expire, unless the owner is a process
of this host that no longer runs (killed, crashed): its claims are taken over at once. An
owner on another host (PostgreSQL shared by two machines) is only known gone at expiry.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

HOST = socket.gethostname().replace(":", "_")
_live: set[str] = set()  # the nonces of this process's passes still running
_live_lock = threading.Lock()


def _started(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), "" for a zombie, None
    when ``/proc`` cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "" if Path("/proc/self/stat").exists() else None
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return "" if fields[0] in ("Z", "X") else fields[19]


def _running(pid: int, start: str) -> bool:
    started = _started(pid)
    if started is not None:
        return bool(started) and (not start or started == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Owner:
    """The identity of one delivery pass; ``with Owner() as me`` marks it live."""

    def __init__(self) -> None:
        pid = os.getpid()
        self.nonce = uuid.uuid4().hex[:12]
        self.name = f"{HOST}:{pid}:{_started(pid) or ''}:{self.nonce}"

    def __enter__(self) -> Owner:
        with _live_lock:
            _live.add(self.nonce)
        return self

    def __exit__(self, *exc: object) -> None:
        with _live_lock:
            _live.discard(self.nonce)


def abandoned(owner: str) -> bool:
    """Whether the deliverer named ``owner`` is known to be gone: a process of this host
    that no longer runs, or a pass of this process that ended (a previous process that had
    the same pid, as a container's pid 1 does on every start)."""
    try:
        host, pid_text, start, nonce = owner.split(":")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != HOST:
        return False
    if pid == os.getpid():
        with _live_lock:
            return nonce not in _live
    return not _running(pid, start)
