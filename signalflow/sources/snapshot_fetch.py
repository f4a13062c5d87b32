"""Fetching a publisher's snapshot file on the source's schedule, with a conditional GET.

The reply's ``ETag`` and ``Last-Modified`` are kept in the source state (``PUBLISHER.etag``,
``PUBLISHER.last_modified``) and sent back as ``If-None-Match``/``If-Modified-Since``: a 304
stores nothing, and neither does a 200 whose bytes equal the last file's (``PUBLISHER.sha256``;
a server without validators). The validators of a new file are kept only once it was read
and stored; a file that cannot be read leaves the publisher's kept ones emptied, so the next
fetch is a plain GET and reads it whole again. A new file is saved whole under
``data_dir/snapshots/PUBLISHER/fetched/STAMP/``, STAMP the fetch instant in UTC
(``20261202T130512Z``; an Epoch ``data_centers.zip`` is unpacked there, so the timelines sit
beside the sites file), and handed back to be read, diffed and kept as
``PUBLISHER/STAMP.json.gz`` (:mod:`signalflow.sources.snapshot_files`).

Point in time: the file is known at the instant it was fetched (``KnownAtBasis.COLLECTED``).
``Last-Modified`` is not used to date it earlier: it is a server's file time (a mirror, a
re-upload, a CDN copy), not the publication, and on a first fetch it would backdate a file
to months before signalflow could have read it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from signalflow.errors import PayloadError
from signalflow.sources.conditional import Validators
from signalflow.sources.http import HttpClient

_EPOCH_MEMBERS = ("data_centers.csv", "data_center_timelines.csv")


@dataclass(frozen=True)
class Download:
    """A new file fetched for ``publisher``: where it was saved, and the validators to keep
    once it has been read (:func:`remember`)."""

    publisher: str
    url: str
    path: Path
    fetched_at: datetime
    validators: dict[str, str]


def fetch_snapshot(
    http: HttpClient, publisher: str, url: str, state: MutableMapping[str, str], folder: Path, now: datetime
) -> Download | None:
    """The publisher's file if it changed since the last fetch, else ``None``.

    Raises :class:`~signalflow.errors.FetchError` (naming the URL) when the server fails;
    nothing is saved then, and the kept snapshots stay as they were. Raises
    :class:`~signalflow.errors.PayloadError` when the file cannot be unpacked, forgetting
    the publisher's validators."""
    kept = Validators.under(publisher)
    got = kept.get(http, url, state)
    if got.not_modified:
        return None
    digest = hashlib.sha256(got.content).hexdigest()
    validators = {f"{publisher}.sha256": digest, **kept.of(got)}
    if state.get(f"{publisher}.sha256") == digest:
        state.update(validators)  # the same bytes again: nothing new to store
        return None
    target = folder / "fetched" / now.strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=True)
    try:
        path = _save(got.content, publisher, url, target)
    except Exception:
        shutil.rmtree(target, ignore_errors=True)
        kept.forget(state)
        raise
    return Download(publisher, got.url, path, now, validators)


def remember(download: Download, state: MutableMapping[str, str]) -> None:
    """Keep the validators of a file that was read and stored: the next fetch is conditional."""
    state.update(download.validators)


def discard(download: Download, state: MutableMapping[str, str]) -> None:
    """Forget a file that could not be read, and the publisher's validators: the next run
    fetches it whole again, never answered 304 for a file it did not read."""
    shutil.rmtree(download.path.parent, ignore_errors=True)
    Validators.under(download.publisher).forget(state)


def _save(content: bytes, publisher: str, url: str, target: Path) -> Path:
    name = PurePosixPath(urlsplit(url).path).name
    if publisher == "epoch" and content.startswith(b"PK"):
        return _unpack_epoch(content, url, target)
    suffix = ".xlsx" if content.startswith(b"PK") else ".csv"
    if publisher == "epoch":
        name = "data_centers.csv"
    elif not name.lower().endswith(suffix):
        name = f"{publisher}{suffix}"
    path = target / name
    path.write_bytes(content)
    return path


def _unpack_epoch(content: bytes, url: str, target: Path) -> Path:
    """Epoch's ``data_centers.zip``: its sites file and timelines, side by side."""
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise PayloadError(url, f"not a readable zip ({exc})") from exc
    with book:
        members = {PurePosixPath(n).name: n for n in book.namelist() if not n.endswith("/")}
        if _EPOCH_MEMBERS[0] not in members:
            raise PayloadError(url, f"the zip holds no {_EPOCH_MEMBERS[0]} (it holds: {', '.join(sorted(members))})")
        for member in _EPOCH_MEMBERS:
            if member in members:
                (target / member).write_bytes(book.read(members[member]))
    return target / _EPOCH_MEMBERS[0]
