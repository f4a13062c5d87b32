"""Conditional GET bookkeeping: where a resource's ``ETag`` and ``Last-Modified`` are kept in
a source state, sent back as ``If-None-Match`` and ``If-Modified-Since``, and taken from a reply.

Usage::

    kept = Validators.under("grid", sep=":")   # state keys grid:etag, grid:last_modified
    reply = kept.get(http, url, state)
    if reply.not_modified:                      # a 304: the copy read last time stands
        return
    ...                                         # read reply.content
    state.update(kept.of(reply))                # once read and stored: the next GET is conditional

A reply that cannot be read must leave no validators behind (``kept.forget(state)``): the
next GET would be answered 304 and the unread body passed as unchanged, never read again.
A server that ignores the validators answers 200 with the whole file again; what to do with
bytes equal to the last ones is the caller's (a snapshot compares their digest).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from signalflow.sources.http import Fetched, HttpClient


@dataclass(frozen=True)
class Validators:
    """The source-state keys of one resource's validators."""

    etag_key: str
    last_modified_key: str

    @classmethod
    def under(cls, key: str, sep: str = ".") -> Validators:
        """``KEY.etag`` and ``KEY.last_modified`` (or with another separator)."""
        return cls(f"{key}{sep}etag", f"{key}{sep}last_modified")

    def get(
        self, http: HttpClient, url: str, state: Mapping[str, str], params: Mapping[str, str | int] | None = None
    ) -> Fetched:
        """GET ``url`` (with query ``params``), conditional on the validators kept in ``state``
        (none kept: a plain GET)."""
        return http.get(
            url, params=params, etag=state.get(self.etag_key), last_modified=state.get(self.last_modified_key)
        )

    def of(self, reply: Fetched) -> dict[str, str]:
        """The validators ``reply`` carries, by state key, to keep once it has been read: none
        for a 304 (the kept ones stand) nor for a server that sends none."""
        if reply.not_modified:
            return {}
        found = {self.etag_key: reply.etag, self.last_modified_key: reply.last_modified}
        return {key: value for key, value in found.items() if value}

    def forget(self, state: MutableMapping[str, str]) -> None:
        """Drop the validators kept in ``state``, after a reply that could not be read: the
        next GET is a plain one, so the whole body is read again."""
        # Emptied, not removed: the store keeps every key it was once given (it only upserts
        # the state), so a removed validator would be read back on the next run.
        for key in (self.etag_key, self.last_modified_key):
            if state.get(key):
                state[key] = ""
