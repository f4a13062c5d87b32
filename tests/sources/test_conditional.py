"""The conditional GET bookkeeping the news feeds and the snapshot files share, against a
local server: what is sent back from the source state, and what a reply leaves to keep."""

from __future__ import annotations

import pytest

from fakes.http_server import Reply
from signalflow.sources.conditional import Validators
from signalflow.sources.http import HttpClient

KEPT = Validators.under("grid")
MONDAY = "Mon, 01 Dec 2025 15:00:00 GMT"
TUESDAY = "Tue, 02 Dec 2025 15:00:00 GMT"


@pytest.mark.parametrize(
    "state, reply, sent, not_modified, keep",
    [
        pytest.param(
            {}, Reply(200, b"file", {"ETag": '"v1"'}),
            {}, False, {"grid.etag": '"v1"'}, id="200 with ETag",
        ),
        pytest.param(
            {}, Reply(200, b"file", {"Last-Modified": MONDAY}),
            {}, False, {"grid.last_modified": MONDAY}, id="200 with Last-Modified",
        ),
        pytest.param(
            {"grid.etag": '"v1"', "grid.last_modified": MONDAY}, Reply(304, b"", {"ETag": '"v1"'}),
            {"if-none-match": '"v1"', "if-modified-since": MONDAY}, True, {}, id="304",
        ),
        pytest.param(
            {}, Reply(200, b"file"),
            {}, False, {}, id="validators absent",
        ),
        pytest.param(
            {"grid.etag": '"v1"', "grid.last_modified": MONDAY},
            Reply(200, b"file", {"ETag": '"v2"', "Last-Modified": TUESDAY}),
            {"if-none-match": '"v1"', "if-modified-since": MONDAY}, False,
            {"grid.etag": '"v2"', "grid.last_modified": TUESDAY}, id="server ignores validators",
        ),
    ],
)  # fmt: skip
def test_validators_sent_and_kept(http_server, state, reply, sent, not_modified, keep) -> None:
    http_server.routes["/file"] = reply
    with HttpClient("grid", retries=0, sleep=lambda seconds: None) as http:
        got = KEPT.get(http, f"{http_server.url}/file", state)
    (request,) = http_server.requests
    conditional = {k: v for k, v in request.headers.items() if k in ("if-none-match", "if-modified-since")}
    assert conditional == sent
    assert got.not_modified is not_modified
    assert got.content == (b"" if not_modified else b"file")
    assert KEPT.of(got) == keep


def test_the_separator_names_the_state_keys() -> None:
    assert Validators.under("reuters", sep=":") == Validators("reuters:etag", "reuters:last_modified")
    assert Validators.under("ercot") == Validators("ercot.etag", "ercot.last_modified")


def test_forgotten_validators_leave_the_next_get_plain(http_server) -> None:
    # emptied rather than removed: the store keeps every key it was once given
    state = {"grid.etag": '"v1"', "grid.last_modified": MONDAY, "grid.sha256": "abc"}
    KEPT.forget(state)
    assert state == {"grid.etag": "", "grid.last_modified": "", "grid.sha256": "abc"}
    http_server.routes["/file"] = Reply(200, b"file", {"ETag": '"v1"'})
    with HttpClient("grid", retries=0, sleep=lambda seconds: None) as http:
        KEPT.get(http, f"{http_server.url}/file", state)
    (request,) = http_server.requests
    assert not {"if-none-match", "if-modified-since"} & set(request.headers)
    empty: dict[str, str] = {}
    KEPT.forget(empty)
    assert empty == {}  # nothing kept: no keys made up
