"""Fixtures over the fakes, imported by the conftest of each test folder that uses them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.http_server import LocalServer
from fakes.slack_server import FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = LocalServer().start()
    yield server
    server.stop()
