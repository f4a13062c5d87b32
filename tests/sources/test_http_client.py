"""HttpClient against a local server: retries, Retry-After, conditional GET, rate limits."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from fakes.clock import FakeClock
from signalflow.errors import FetchError, RateLimited
from signalflow.sources.http import HttpClient, RateLimiter
from signalflow._retry_after import parse_retry_after


def _client(waits: list[float], retries: int = 3, **kwargs) -> HttpClient:
    return HttpClient("test", retries=retries, sleep=waits.append, **kwargs)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Sat, 21 Nov 2026 10:00:30 GMT", 30.0),
        ("Sat, 21 Nov 2026 09:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 21, 10, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after(header, now=now) == expected


@pytest.mark.parametrize(
    ("replies", "waits"),
    [
        ([(429, {"Retry-After": "5"}), (200, {})], [5.0]),
        ([(503, {"Retry-After": "1"}), (502, {"Retry-After": "2"}), (200, {})], [1.0, 2.0]),
        ([(429, {"Retry-After": "9999"}), (200, {})], [300.0]),  # capped at max_retry_after
    ],
)
def test_retries_honour_retry_after(http_server, replies, waits) -> None:
    from fakes.http_server import Reply

    http_server.routes["/x"] = [Reply(status, "ok" if status == 200 else "busy", headers) for status, headers in replies]
    slept: list[float] = []
    fetched = _client(slept).get(f"{http_server.url}/x")
    assert fetched.status == 200 and fetched.content == b"ok"
    assert slept == waits
    assert len(http_server.requests) == len(replies)


def test_backoff_without_retry_after_is_bounded_exponential(http_server) -> None:
    from fakes.http_server import Reply

    http_server.routes["/x"] = Reply(500, "down")
    slept: list[float] = []
    with pytest.raises(FetchError) as caught:
        _client(slept, retries=4, backoff=0.5).get(f"{http_server.url}/x")
    assert caught.value.status == 500 and "down" in str(caught.value)
    assert len(slept) == 4 and all(0 <= w <= 0.5 * 2**i for i, w in enumerate(slept))
    assert len(http_server.requests) == 5


def test_persistent_429_raises_rate_limited_with_the_servers_wait(http_server) -> None:
    from fakes.http_server import Reply

    http_server.routes["/x"] = Reply(429, '{"error_code":429}', {"Retry-After": "4"})
    with pytest.raises(RateLimited) as caught:
        _client([], retries=1).get(f"{http_server.url}/x")
    assert caught.value.retry_after == 4.0 and "wait 4s" in str(caught.value)


def test_client_errors_are_not_retried(http_server) -> None:
    from fakes.http_server import Reply

    http_server.routes["/x"] = Reply(404, "no such series")
    slept: list[float] = []
    with pytest.raises(FetchError) as caught:
        _client(slept).get(f"{http_server.url}/x")
    assert caught.value.status == 404 and slept == [] and len(http_server.requests) == 1


def test_transport_errors_retry_then_fail(http_server) -> None:
    url = f"{http_server.url}/x"
    http_server.stop()  # nothing listens any more: connection refused
    slept: list[float] = []
    with pytest.raises(FetchError, match="ConnectError"):
        _client(slept, retries=2).get(url)
    assert len(slept) == 2


def test_conditional_get(http_server) -> None:
    from fakes.http_server import Reply

    def reply(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, "body", {"ETag": '"v1"', "Last-Modified": "Sat, 21 Nov 2026 09:00:00 GMT"})

    http_server.routes["/x"] = reply
    client = _client([])
    first = client.get(f"{http_server.url}/x")
    assert (first.etag, first.last_modified) == ('"v1"', "Sat, 21 Nov 2026 09:00:00 GMT")
    second = client.get(f"{http_server.url}/x", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.content == b""
    assert http_server.requests[1].headers["if-modified-since"] == first.last_modified


def test_query_strings_never_reach_logs_or_errors(http_server, caplog) -> None:
    from fakes.http_server import Reply

    http_server.routes["/x"] = [Reply(503, "busy"), Reply(403, "bad key")]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchError) as caught:
        _client([]).get(f"{http_server.url}/x", params={"api_key": "s3cret-key"})
    assert http_server.requests[0].query["api_key"] == ["s3cret-key"]
    assert "s3cret-key" not in str(caught.value)
    assert "s3cret-key" not in caplog.text
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log, without the query


def test_rate_limiter_spaces_calls_with_an_injected_clock() -> None:
    clock = FakeClock(100.0)
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.wait()
    assert clock.sleeps == [0.25, 0.25]
    clock.now += 10
    limiter.wait()
    assert clock.sleeps == [0.25, 0.25]
