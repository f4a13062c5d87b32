"""``fred.SERIES_ID``: FRED series, through the API with a key or the keyless CSV download.

With ``fred_api_key`` every request asks for the whole real-time history
(``realtime_start=1776-07-04``, ``realtime_end=9999-12-31``), so each version of each value
carries the day it was first published (known from the end of that Chicago day, or from the
collection if that came first): the first run backfills every vintage, later runs
ask only for observations from ``fred_revision_window`` before the last one seen. Repeated
answers are identical, and the store keeps them once.

Without a key, ``fred_graph_url?id=ID`` gives the latest values only: they are assumed known
at the end of the day after their period ends (never after the collection); a later run that sees a value change for an already seen
period records the new value as known at collection time.

Usage::

    source = FredSource(settings)
    batch = source.collect(["fred.DGS10", "fred.WALCL"], state)   # state persists between runs
    batch = source.import_file(Path("fredgraph.csv"))              # a saved payload
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalflow.errors import ApiError, FetchError, PayloadError, SourceError
from signalflow.series import Batch
from signalflow.sources.base import Source
from signalflow.sources.captured import captured_at
from signalflow.sources.conditional import Validators
from signalflow.sources.fred_formats import (
    SERIES_ID,
    FredFormat,
    detect_format,
    parse_alfred_csv,
    parse_api_json,
    parse_fredgraph_csv,
    parse_processed_csv,
    series_info,
)
from signalflow.sources.fred_settings import FredSettings
from signalflow.sources.frequency import Frequency
from signalflow.sources.seen import remember_last, restamp_seen

if TYPE_CHECKING:
    from signalflow.sources.http import HttpClient

log = logging.getLogger(__name__)

REALTIME_START = "1776-07-04"  # FRED's earliest real-time date: ask for every vintage
REALTIME_END = "9999-12-31"
PAGE_LIMIT = 100_000  # the API's maximum rows per request



class FredSource(Source):
    """Collects and imports FRED series (``fred.DGS10``)."""

    name = "fred"
    config_model = FredSettings
    config: FredSettings
    page_limit = PAGE_LIMIT


    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """New observations and versions for ``refs``.

        A series that fails becomes a warning in the batch, unless no series succeeded: then
        the first error is raised. A rate limit stops the run (the rest waits for the next)."""
        from signalflow.sources.collect import collect_each
        from signalflow.sources.http import HttpClient

        window = self.config.revision_window
        http = self.http or HttpClient("fred", user_agent="signalflow (FRED collector)")
        ids = [ref.split(".", 1)[1] for ref in dict.fromkeys(refs) if self.handles(ref)]

        def one(series_id: str) -> Batch:
            if self.config.api_key is not None:
                return self._collect_api(http, series_id, state, window)
            return self._collect_graph(http, series_id, state, window)

        try:
            return collect_each(ids, one, source="fred", stop_on=(ApiError,), redact=self._redacted)
        finally:
            if self.http is None:
                http.close()

    def _collect_api(
        self, http: HttpClient, series_id: str, state: MutableMapping[str, str], window: timedelta
    ) -> Batch:
        key = self.config.api_key.get_secret_value()  # type: ignore[union-attr]
        base = self.config.api_url.get_secret_value().rstrip("/")
        info = self._metadata(http, base, key, series_id, state)
        url = f"{base}/series/observations"
        params: dict[str, str | int] = {
            "series_id": series_id,
            "api_key": key,
            "file_type": "json",
            "realtime_start": REALTIME_START,
            "realtime_end": REALTIME_END,
            "sort_order": "asc",
            "limit": self.page_limit,
        }
        last = state.get(f"{series_id}:last")
        if last:
            params["observation_start"] = (date.fromisoformat(last) - window).isoformat()
        rows: list[dict[str, Any]] = []
        origin = f"{url}?series_id={series_id}"
        while True:
            reply = http.get(url, params={**params, "offset": len(rows)}).json()
            if not isinstance(reply, dict):
                raise PayloadError(origin, f"expected a JSON object, got {type(reply).__name__}")
            if "error_code" in reply:
                raise ApiError(origin, _int(reply["error_code"]), str(reply.get("error_message", "")))
            page = reply.get("observations") or []
            if not isinstance(page, list):
                raise PayloadError(origin, "'observations' is not a list")
            rows.extend(page)
            # A short page is the last one, whatever `count` says.
            if len(page) < self.page_limit or len(rows) >= _int(reply.get("count")):
                break
        batch = parse_api_json(
            {"observations": rows},
            origin,
            series_id,
            frequency=Frequency.parse(info.get("frequency")),
            unit=info.get("units", ""),
            title=info.get("title", ""),
            collected_at=self.clock(),
        )
        remember_last(batch.frame, state, f"{series_id}:last")
        log.info("FRED series collected", extra={"series": series_id, "rows": len(rows), "mode": "api"})
        return batch

    def _metadata(
        self, http: HttpClient, base: str, key: str, series_id: str, state: MutableMapping[str, str]
    ) -> dict[str, str]:
        """Title, units and frequency from ``fred/series``, fetched once and kept in state."""
        cached = state.get(f"{series_id}:info")
        if cached:
            return json.loads(cached)
        reply = http.get(f"{base}/series", params={"series_id": series_id, "api_key": key, "file_type": "json"}).json()
        if "error_code" in reply:
            raise ApiError(f"{base}/series?series_id={series_id}", int(reply["error_code"] or 0), str(reply.get("error_message", "")))
        found = (reply.get("seriess") or [{}])[0]
        info = {
            "title": str(found.get("title", ""))[:300],
            "units": str(found.get("units", ""))[:80],
            "frequency": str(found.get("frequency", "")),
        }
        state[f"{series_id}:info"] = json.dumps(info)
        return info

    def _collect_graph(
        self, http: HttpClient, series_id: str, state: MutableMapping[str, str], window: timedelta
    ) -> Batch:
        url = self.config.graph_url.get_secret_value()
        origin = f"{url}?id={series_id}"
        kept = Validators.under(series_id, sep=":")
        fetched = kept.get(http, url, state, params={"id": series_id})
        if fetched.not_modified:
            return Batch()
        try:
            batch = parse_fredgraph_csv(fetched.text(), origin, collected_at=self.clock())
            if series_info(series_id, None).key not in {s.key for s in batch.series}:
                raise PayloadError(origin, f"the CSV has no column {series_id}")
        except SourceError:
            # Validators kept for a reply not read would get a 304 next time, and the series
            # would pass as unchanged: without them the next run reads the CSV whole.
            kept.forget(state)
            raise
        if batch.frame is not None:
            batch.frame = restamp_seen(batch.frame, state.get(f"{series_id}:last"), window, self.clock())
        state.update(kept.of(fetched))
        remember_last(batch.frame, state, f"{series_id}:last")
        log.info("FRED series collected", extra={"series": series_id, "mode": "fredgraph"})
        return batch

    def _redacted(self, exc: SourceError) -> SourceError:
        """The error, with the API key removed should a server have echoed it."""
        key = self.config.api_key
        if key is None or key.get_secret_value() not in str(exc):
            return exc
        secret = key.get_secret_value()
        url = getattr(exc, "url", "") or ""
        return FetchError(self.name, url.replace(secret, "***"), exc.problem.replace(secret, "***"))

    def check_ref(self, ref: str) -> str | None:
        series_id = ref.split(".", 1)[1] if "." in ref else ""
        if SERIES_ID.match(series_id):
            return None
        hint = f"; did you mean fred.{series_id.upper()}?" if SERIES_ID.match(series_id.upper()) else ""
        return (
            f"{ref}: {series_id!r} is not a FRED series id (upper-case letters, digits and _, "
            f"as in fred.DGS10){hint}"
        )

    def sniff(self, path: Path, head: bytes) -> bool:
        return detect_format(_name_for(path), head) is not None

    def import_file(self, path: Path, *, series: str | None = None) -> Batch:
        """A saved FRED payload (API JSON, fredgraph CSV, processed ``date,value`` CSV, ALFRED
        CSV) as if collected at the capture time its name begins with, if any (see
        :mod:`signalflow.sources.captured`); ``series`` (``fred.X``) overrides the series id
        of a one-series file."""
        path = Path(path)
        origin = str(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PayloadError(origin, f"cannot read: {exc.strerror or exc}") from None
        override = None
        if series is not None:
            problem = self.check_ref(series) if self.handles(series) else f"{series}: not a fred.* series"
            if problem:
                raise PayloadError(origin, problem)
            override = series.split(".", 1)[1]
        kind = detect_format(_name_for(path), content[:65536])
        text = content.decode("utf-8-sig", errors="replace")
        saved = captured_at(path)
        if kind is FredFormat.API_JSON:
            return parse_api_json(content, origin, override or _api_series_id(path), collected_at=saved)
        if kind is FredFormat.PROCESSED_CSV:
            return parse_processed_csv(text, origin, override or path.stem, collected_at=saved)
        if kind is FredFormat.FREDGRAPH_CSV:
            return _renamed(parse_fredgraph_csv(text, origin, collected_at=saved), override, origin)
        if kind is FredFormat.ALFRED_CSV:
            return _renamed(parse_alfred_csv(text, origin, collected_at=saved), override, origin)
        if override is not None and text.lstrip().lower().startswith("date,value"):
            return parse_processed_csv(text, origin, override, collected_at=saved)
        raise PayloadError(origin, "not a FRED payload (API JSON, fredgraph CSV, date,value CSV or ALFRED CSV)")


def _int(value: Any) -> int:
    """A count or code as FRED sends it; anything that is not a whole number counts as 0."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _name_for(path: Path) -> str:
    return Path(path).name


def _api_series_id(path: Path) -> str:
    """``latest/DGS10.json`` -> DGS10; ``history/DGS10/2026-05-17T21-37-20.json`` -> DGS10."""
    if SERIES_ID.match(path.stem):
        return path.stem
    if SERIES_ID.match(path.parent.name):
        return path.parent.name
    raise PayloadError(str(path), "cannot tell the series id from the file name: pass --series fred.ID")


def _renamed(batch: Batch, override: str | None, origin: str) -> Batch:
    """The batch with its only series renamed to ``override``."""
    if override is None:
        return batch
    if len(batch.series) != 1:
        raise PayloadError(origin, f"the file holds {len(batch.series)} series; --series names only one")
    old = batch.series[0]
    new = series_info(override, Frequency.parse(old.frequency), old.unit, old.title)
    frame = batch.frame.assign(series=new.key) if batch.frame is not None else None
    return Batch(series=[new], frame=frame, warnings=list(batch.warnings), incomplete=list(batch.incomplete))
