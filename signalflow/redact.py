"""Secrets are a type, not a place: a setting that can hold credentials is a ``SecretStr``
(tokens, passwords) or a :class:`SecretUrl` (URLs and DSNs, which carry passwords in their
userinfo and tokens in their path or query). Both keep the real value for use
(``get_secret_value()``) and show only a redacted form.

Loading the settings registers every secret value here, so that :func:`redact` can take
them out of any text a user or a log can read: log lines (a filter on the root handlers,
third-party loggers included), error messages stored as source health, outbox payloads and
notifications::

    register(settings.slack_webhook_url)
    redact("POST https://hooks.slack.com/services/T0/B0/xyz failed")
    # 'POST *** failed'
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, SecretStr

MASK = "***"
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/@'\"<>]+@")
_KEY_NAME = re.compile(r"(?i)key|token|secret|pass|auth|sig|code|session|credential")
_MIN_LENGTH = 4  # shorter values are too common to hide without hiding ordinary text

_known: set[str] = set()
_lock = threading.Lock()


class SecretUrl(SecretStr):
    """A URL or DSN that may carry credentials: shown as :func:`endpoint` shows it (userinfo,
    token-like path segments and query values masked); a file path is shown as is."""

    def _display(self) -> str:
        return endpoint(self.get_secret_value())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):  # settings compare with the text they were given
            return self.get_secret_value() == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.get_secret_value())


def endpoint(url: str) -> str:
    """How a URL is shown wherever it is shown (``config show``, tables, stored health):
    ``scheme://host[:port]`` kept, the userinfo masked, each token-like path segment (what
    :func:`fragments` treats as a credential) masked, every query value masked and the
    fragment left out: ``http://user:pass@host:9090/in/tok3n0042abcdef?key=v`` ->
    ``http://***@host:9090/in/***?key=***``. A file path or a SQLite URL is shown as is."""
    if "://" not in url or url.lower().startswith("sqlite"):
        return url  # a file path or a SQLite file: no credential to hide
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    host = f"[{host}]" if ":" in host else host  # IPv6
    who = f"{MASK}@" if "@" in parts.netloc else ""
    path = "/".join(MASK if _token_like(s) else s for s in parts.path.split("/"))
    query = "&".join(f"{k}={MASK}" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{who}{host}{port}{path}" + (f"?{query}" if query else "")


display_url = endpoint  # the earlier name


def fragments(value: str, url: bool = False) -> set[str]:
    """The parts of a secret that must never be shown. A token (``url`` false) is secret
    whole, and so is each part of it a URL would carry; of a :class:`SecretUrl` only the
    credentials are: its userinfo when it has a password, the query values named like keys
    or reading like tokens, and the token-like segments of its path
    (``/services/T0/B0/x8Yc...``). A file path or a SQLite URL holds none."""
    found = set() if url else {value}
    if "://" in value and not value.lower().startswith("sqlite"):
        try:
            parts = urlsplit(value)
            password = parts.password or ""
        except ValueError:
            return {value}
        userinfo = parts.netloc.rpartition("@")[0]
        found |= {userinfo, password} if password else set()
        found |= {v for k, v in parse_qsl(parts.query) if _KEY_NAME.search(k) or _token_like(v)}
        segments = [s for s in parts.path.split("/") if s]
        found |= {s for s in segments if _token_like(s)}
        if not url and parts.path.strip("/"):
            found.add(parts.path.rstrip("/"))
    return {f for f in found if len(f) >= _MIN_LENGTH}


def _token_like(segment: str) -> bool:
    """A path segment that reads as a credential: long, or mixing letters and digits."""
    mixed = any(c.isdigit() for c in segment) and any(c.isalpha() for c in segment)
    return len(segment) >= 24 or (len(segment) >= 12 and mixed)


def register(value: Any) -> None:
    """Remember a secret (a ``SecretStr``, a ``SecretUrl`` or text) so :func:`redact` hides it."""
    url = isinstance(value, SecretUrl)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str) and value:
        with _lock:
            _known.update(fragments(value, url))


def register_all(value: Any) -> None:
    """Register every secret found in a settings object, list or model, however deep."""
    if isinstance(value, SecretStr):
        register(value)
    elif isinstance(value, BaseModel):
        for item in value.__dict__.values():
            register_all(item)
    elif isinstance(value, list | tuple):
        for item in value:
            register_all(item)


def redact(text: Any) -> str:
    """``text`` with every registered secret and every URL's userinfo replaced by ``***``."""
    text = _USERINFO.sub(rf"\1{MASK}@", str(text))
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactFilter(logging.Filter):
    """Takes every known secret out of a log record: its message, its arguments, its extra
    fields and its traceback. Installed on the root handlers, so it sees third-party loggers
    (slack-sdk logs webhook URLs at DEBUG) as well as signalflow's own."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not a leak
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                record.__dict__[key] = _deep(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None
        return True


def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep(v) for v in value]
    return value if isinstance(value, int | float | bool) or value is None else redact(value)


_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
