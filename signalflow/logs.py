"""Structured logs: one event per line, as ``key=value`` text or as JSON.

Call sites log a short event name and put the facts in ``extra``; this formatter prints
them. Secrets never reach a log: settings are logged only through ``Settings.masked()``,
HTTP URLs are logged without their query strings (where API keys travel), and a
:class:`~signalflow.redact.RedactFilter` on every root handler takes each known secret out of
every record, a third-party logger's at DEBUG included.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from signalflow.redact import RedactFilter

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info or record.exc_text:
            data["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        extras = " ".join(f"{k}={_quote(v)}" for k, v in _fields(record).items())
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extras:
            line += " " + extras
        if record.exc_info or record.exc_text:
            line += "\n" + (record.exc_text or self.formatException(record.exc_info))
        return line


def _quote(value: object) -> str:
    text = str(value)
    return json.dumps(text) if (" " in text or not text) else text


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record, so a handler set up
    under a redirected stderr (tests, embedding) never writes to a closed stream."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", json_lines: bool = False, stream=None) -> None:
    """Route every log line to ``stream`` (default: the current stderr) in the chosen format."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_signalflow", False):
            root.removeHandler(old)
    handler._signalflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    for each in root.handlers:  # other handlers (a user's, a test's) see redacted records too
        if not any(isinstance(f, RedactFilter) for f in each.filters):
            each.addFilter(RedactFilter())
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.scheduler", "apscheduler.executors.default", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
