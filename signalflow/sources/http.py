"""One polite HTTP client for every source: retries with backoff, Retry-After, rate limits,
gzip and conditional requests.

Time is injected (``sleep`` and ``clock``) so tests never really wait.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signalflow._retry_after import parse_retry_after
from signalflow.errors import FetchError, Interrupted, RateLimited, Unreachable
from signalflow.redact import redact

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Set while the process shuts down: backoff waits end at once and nothing more is retried,
# so a daemon told to stop does not sit out a minute of retries against a dead server.
STOPPING = threading.Event()


def _wait(seconds: float) -> None:
    STOPPING.wait(seconds)


class _WithoutQuery(logging.Filter):
    """Drops query strings from URLs in httpx's own log lines: they may carry API keys."""

    def filter(self, record: logging.LogRecord) -> bool:
        import httpx  # loaded already: only httpx logs through this logger

        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_WithoutQuery())


@dataclass(frozen=True)
class Fetched:
    """A successful reply, or ``not_modified`` when a conditional request matched."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]
    not_modified: bool = False

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self, encoding: str = "utf-8") -> str:
        return self.content.decode(encoding, errors="replace")

    def json(self):
        import json

        return json.loads(self.content)


class RateLimiter:
    """At most ``rate`` calls per second across every thread that shares it."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._next > now:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class HttpClient:
    """GET with retries on 429, 5xx and transport errors.

    Backoff is exponential with full jitter (``backoff * 2**attempt``, capped at
    ``max_backoff``); a Retry-After header overrides it, up to ``max_retry_after``.
    """

    def __init__(
        self,
        source: str,
        *,
        user_agent: str = "signalflow",
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        timeout: float = 30.0,
        limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = _wait,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.limiter = limiter
        self.sleep = sleep
        base_headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        base_headers.update(headers or {})
        import httpx  # here, not with the module: a command that checks or reads never needs it

        self._client = httpx.Client(
            timeout=timeout, headers=base_headers, transport=transport, follow_redirects=True
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        import httpx

        request_headers = dict(headers or {})
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        # never log query strings (they may carry API keys), a URL's userinfo or a configured
        # URL's token-like path segments
        shown = redact(url.split("?", 1)[0])
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if self.limiter is not None:
                self.limiter.wait()
            try:
                response = self._client.get(url, params=params, headers=request_headers)
            except httpx.TransportError as exc:
                if _name_unresolved(exc):
                    # DNS does not heal within seconds: the next scheduled run tries again.
                    raise Unreachable(self.source, shown, "name resolution failed") from exc
                if attempt == self.retries:
                    if isinstance(exc, httpx.ConnectError):
                        raise Unreachable(self.source, shown, f"{type(exc).__name__}: {exc}") from exc
                    raise FetchError(self.source, shown, f"{type(exc).__name__}: {exc}") from exc
                delay = self._delay(attempt, None)
                log.info(
                    "fetch failed, retrying",
                    extra={"source": self.source, "url": shown, "error": str(exc), "delay_s": delay},
                )
                self.sleep(delay)
                self._unless_stopping(shown, str(exc))
                continue
            if response.status_code == 304:
                return Fetched(shown, 304, b"", dict(response.headers), not_modified=True)
            if response.status_code < 400:
                return Fetched(shown, response.status_code, response.content, dict(response.headers))
            if response.status_code not in RETRY_STATUSES:
                raise FetchError(self.source, shown, _reason(response), status=response.status_code)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt == self.retries:
                if response.status_code == 429:
                    raise RateLimited(self.source, shown, retry_after)
                raise FetchError(self.source, shown, _reason(response), status=response.status_code)
            delay = self._delay(attempt, retry_after)
            log.info(
                "server asked us to back off",
                extra={
                    "source": self.source,
                    "url": shown,
                    "status": response.status_code,
                    "delay_s": round(delay, 3),
                },
            )
            self.sleep(delay)
            self._unless_stopping(shown, _reason(response))
        raise AssertionError("unreachable")  # pragma: no cover

    def _unless_stopping(self, url: str, last_error: str) -> None:
        if STOPPING.is_set():
            raise Interrupted(self.source, url, last_error)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


_UNRESOLVED = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
               "getaddrinfo failed", "no address associated")


def _name_unresolved(exc: httpx.TransportError) -> bool:
    import httpx

    return isinstance(exc, httpx.ConnectError) and any(m in str(exc).lower() for m in _UNRESOLVED)


def _reason(response: httpx.Response) -> str:
    text = response.text[:200].strip().replace("\n", " ")
    return f"{response.reason_phrase or 'error'}: {text}" if text else response.reason_phrase or "error"
