"""Reading one feed payload: what looks like a feed, entry and HTTP dates, where the parser
stopped, and an entry's outlet when the feed does not name it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from xml.sax import SAXParseException

from signalflow.sources.validate import in_range

_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)


def _host(link: str) -> str:
    from urllib.parse import urlsplit

    host = urlsplit(link).hostname or ""
    return host.removeprefix("www.")


def _http_date(text: str | None) -> datetime | None:
    """An HTTP date (``Wed, 30 Jul 2025 10:00:00 GMT``) as naive UTC, or None."""
    if not text:
        return None
    try:
        stamp = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:
        return stamp
    return stamp.astimezone(timezone.utc).replace(tzinfo=None)


def _parser_problem(exc: BaseException, content: bytes) -> str:
    """What the parser said, with the line and column of the payload where it stopped, when
    it tells them (feedparser puts an XML declaration line before a document without one)."""
    if not isinstance(exc, SAXParseException):
        return f"{type(exc).__name__}: {exc}"
    line, column = exc.getLineNumber(), exc.getColumnNumber()
    head = content[:64].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xfe\xff")
    if not head.startswith(b"<?xml") and line > 1:
        line -= 1
    return f"{exc.getMessage()} at line {line}, column {column}"


def _no_feed(headers: dict[str, str]) -> str:
    served = headers.get("content-type", "").split(";")[0].strip()
    return "no rss, feed or RDF root element" + (f"; served as {served}" if served else "")


def _stamp_time(stamp: Any) -> datetime | None:
    """A feed's date, or None when it is missing or no real date (year 0, year 9999):
    such an entry is undated, like one without a date."""
    if not stamp:
        return None
    try:
        value = datetime(*stamp[:6])
    except (TypeError, ValueError, OverflowError):
        return None
    return value if in_range(value) else None
