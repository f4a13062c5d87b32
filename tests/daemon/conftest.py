"""Fixtures for the daemon tests; the harness itself is in daemon_harness.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules are imported in importlib mode: the fakes and the harness go on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from daemon_harness import DaemonProcess  # noqa: E402
from fakes.fixtures import fake_slack  # noqa: E402,F401
from fakes.fred_feed import FredFeed  # noqa: E402


@pytest.fixture
def feed(http_server) -> FredFeed:
    return FredFeed(http_server)


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Started daemons are registered here and stopped (SIGKILL) after the test."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait(10)
        daemon.close()



@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server (skips without one)."""
    from tests.conftest import _postgres_database

    yield from _postgres_database()
