"""Fixtures every test module may use.

- ``shared_data``: the real payloads in ../shared/data, or a skip that says why.
- ``http_server``: a local HTTP server whose routes a test sets (tests/fakes/http_server.py).
- ``store``: a migrated Store, parametrized over SQLite in memory, SQLite file and
  PostgreSQL (the server .ci/run starts; its URL in SIGNALFLOW_TEST_POSTGRES_URL).
- ``settings``: Settings with every SIGNALFLOW_* variable cleared and a temp working dir.
- ``fake_slack``: a local server speaking the Slack Web API (tests/fakes/slack_server.py).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test modules are imported in importlib mode; the shared fakes (a local HTTP server, a Slack
# Web API server, an SMTP server, a recording notifier, clocks) live in tests/fakes and are
# importable as `fakes`.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes.fixtures import fake_slack, http_server  # noqa: E402,F401

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POSTGRES_URL_VAR = "SIGNALFLOW_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIGNALFLOW_* variable from the developer's shell leaks into a test, and no test
    reads a signalflow.toml or .env from the project directory. The user data folder (the
    default data_dir) is a temp dir too, so no test writes to the real home."""
    for name in list(os.environ):
        if name.startswith("SIGNALFLOW_") and name != POSTGRES_URL_VAR:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands configure logging globally; each test starts from the same logging setup."""
    import logging

    import httpx  # noqa: F401  (their loggers exist before the snapshot, so it covers them)
    import sqlalchemy  # noqa: F401

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger_level in levels.items():
        logging.getLogger(name).setLevel(logger_level)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real payloads not found at {SHARED_DATA} (../shared/data is absent)")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path):
    from signalflow.settings import Settings

    return Settings(database_url=f"sqlite:///{tmp_path / 'signalflow.db'}", rules_dir=tmp_path / "rules")


# Storage over every backend ----------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server, dropped afterwards."""
    import sqlalchemy as sa

    base = os.environ.get(POSTGRES_URL_VAR)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_URL_VAR} is not set: .ci/run must start PostgreSQL")
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_URL_VAR} (bash .ci/run starts one)")
    name = f"sf_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite-memory":
        yield "sqlite://"
    elif request.param == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def store(database_url: str):
    from signalflow.store import Store

    opened = Store.open(database_url)
    yield opened
    opened.close()
