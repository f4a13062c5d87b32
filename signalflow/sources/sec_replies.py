"""The JSON an SEC reply carries (companyfacts, submissions, the ticker map), checked for the
shape expected, or a PayloadError saying what came instead."""

from __future__ import annotations

import json
from collections.abc import MutableMapping

from signalflow.errors import PayloadError
from signalflow.sources.conditional import Validators

# Where each reply holds its data: anything else (an error object, a list) fails its company.
FACTS_SHAPE = ("facts",)
SUBMISSIONS_SHAPE = ("filings", "recent")


def _ticker_map(content: bytes, origin: str) -> dict[str, int]:
    """TICKER -> CIK from a company_tickers.json, or a PayloadError naming ``origin``."""
    data = _parsed(content, origin)
    try:
        found = {str(v["ticker"]).upper(): int(v["cik_str"]) for v in data.values()}
    except (TypeError, KeyError, ValueError, AttributeError):
        raise PayloadError(origin, "not a company_tickers map ({\"0\": {\"cik_str\": ..., \"ticker\": ...}})") from None
    if not found:
        raise PayloadError(origin, "an empty company_tickers map")
    return found


def _json(reply, kept: Validators, state: MutableMapping[str, str], shape: tuple[str, ...]) -> dict:
    """The JSON object a reply carries, holding an object at ``shape`` (``("filings", "recent")``
    is ``data["filings"]["recent"]``). Any other reply (no JSON, an error object such as
    ``{"message": ...}``, a list) forgets its resource's validators in ``state`` (the next
    request is plain, never answered 304) and raises a PayloadError naming what was expected."""
    try:
        data = _decoded(reply.content, reply.url)
        inner = data
        for key in shape:
            inner = inner.get(key) if isinstance(inner, dict) else None
        if not isinstance(inner, dict):
            expected = f"an object with a {'.'.join(shape)!r} object"
            raise PayloadError(reply.url, f"expected {expected}, got {_excerpt(data)}")
        return data
    except PayloadError:
        kept.forget(state)
        raise


def _excerpt(data: object, limit: int = 80) -> str:
    """A JSON value as shown in an error: a list by its type, anything else by its start."""
    if isinstance(data, list):
        return "a JSON list"
    text = json.dumps(data, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parsed(content: bytes, origin: str) -> dict:
    """``content`` as a JSON object, or a PayloadError naming ``origin`` and where it broke."""
    data = _decoded(content, origin)
    if not isinstance(data, dict):
        raise PayloadError(origin, f"a JSON {type(data).__name__}, not an object")
    return data


def _decoded(content: bytes, origin: str) -> object:
    """``content`` as JSON, or a PayloadError naming ``origin`` and where it broke."""
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise PayloadError(origin, f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # not even text (UnicodeDecodeError)
        raise PayloadError(origin, f"invalid JSON: {exc}") from None
