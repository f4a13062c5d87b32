"""Engines and migrations: SQLite (WAL) by default, PostgreSQL by URL, Alembic for schema."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import StaticPool

from pydantic import SecretStr

from signalflow.errors import ConfigError, StoreError
from signalflow.redact import display_url

MIGRATIONS = Path(__file__).parent / "migrations"


def normalize_url(url: str | SecretStr) -> str:
    """Accept the URLs people paste: ``postgres://`` and ``postgresql://`` use psycopg 3
    (the ``database_url`` setting is a secret URL: its value is read here)."""
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def dialect_insert(session, table: sa.Table):
    """An INSERT into ``table`` in the session's dialect (PostgreSQL's, else SQLite's), the
    kind that takes ``.on_conflict_do_nothing()``: skip what a unique constraint holds."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def create_engine(url: str | SecretStr) -> sa.Engine:
    url = normalize_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError("database_url", f"not a database URL: {display_url(url)!r}", str(exc)) from None
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if not memory:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_conn.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ConfigError("database_url", f"unsupported backend {parsed.get_backend_name()!r}", "use sqlite or postgresql")


def alembic_config(engine: sa.Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


@functools.cache
def head_revision() -> str | None:
    """The newest migration, read from the ``revision``/``down_revision`` lines of the files
    (Alembic not imported); None unless that is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)
        down = re.search(r"^down_revision\b[^=]*=(.*)$", text, re.M)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: sa.Engine) -> bool:
    """Whether the database is already at the newest migration: one query, so a command that
    opens an up-to-date store never loads Alembic and its scripts."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            found = [row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    except sa.exc.DBAPIError:  # no alembic_version table yet: a new database
        return False
    return found == [head]


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``; safe to call on every start (and cheap once the
    database is at the head)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    try:
        with engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot migrate {engine.url.render_as_string(hide_password=True)}: {exc.orig}") from exc


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
