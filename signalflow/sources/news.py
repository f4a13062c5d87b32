"""RSS and Atom feeds into classified events and ``news.*`` event series.

Each feed is fetched with a conditional GET (the ETag and Last-Modified of the last reply
are kept in the source state), parsed with feedparser from the raw bytes and the reply's
headers so declared and undeclared encodings decode right, and classified entry by entry.
A malformed ("bozo") feed still yields the entries that parsed. A reply with no feed in it
(broken XML without entries, an HTML page, an empty body) fails the feed, naming where the
parser stopped. Only a feed read whole keeps its validators: after a malformed or unreadable
reply the next GET is a plain one, so a 304 never passes an unread body as unchanged.
Entries already seen (by id, else link) are skipped across runs; the store's unique
(source, entry_id) is the backstop.

Labelled entries are grouped into stories (``news/stories.py``): the copies of one event
from any outlets are one story. The stories still open are kept in the source state, so
copies collected in later runs or from other feeds join them. For every story the batch
carries, with ``known_at`` = publication time (basis EXACT, never after the collection), for
an entry without a date the feed's HTTP Last-Modified (EXACT: the entry was in the feed by
then), else the collection time (COLLECTED): ``news.<label>`` (1.0, one row per outlet that
carried the story, source_ref ``STORY @OUTLET``), ``news.<label>.mw`` and
``news.<label>.usd`` when a capacity or an amount was found (source_ref ``STORY``; a fuller
report filling a figure in adds version ``STORY #2``), and the same per watch-list company:
``news.<label>[TICKER]``, ``news.<label>[TICKER].mw``, ``news.<label>[TICKER].usd``.

A saved feed file imports exactly as if collected (``signalflow import feed.xml``): the feed
is named after the file stem, and the collection time of undated entries is the file's
modification time (when it was saved). Entry ids dedup against earlier collections and
imports of the same feed name through the store.

The default feed list and what is kept per feed (health, ids seen) are in ``news_feeds.py``;
the helpers that read one payload (dates, parser problems, outlets) in ``news_parse.py``; the
``news.*`` references and the rows a story adds to its series in ``news_series.py``.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from hashlib import sha1
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax import SAXParseException

from signalflow.errors import PayloadError, SourceError
from signalflow.redact import endpoint
from signalflow.series import (
    Batch,
    Event,
    KnownAtBasis,
    Observation,
    SeriesInfo,
    SeriesKind,
    Story,
    capped,
    utcnow,
)
from signalflow.sources.base import RunOutcome, Source
from signalflow.sources.conditional import Validators
from signalflow.sources.news_feeds import (  # noqa: F401  (importable from here too)
    DEFAULT_FEEDS_FILE,
    SEEN_LIMIT,
    FeedHealth,
    _remember,
    _seen,
    default_feeds,
    feed_health,
)
from signalflow.sources.news_parse import _FEED_ROOT, _host, _http_date, _no_feed, _parser_problem, _stamp_time
from signalflow.sources.news_series import FIELDS, _REF, parse_ref, series_key, story_observations  # noqa: F401
from signalflow.sources.news_settings import FeedConfig, NewsSettings

log = logging.getLogger(__name__)

STORIES_KEY = "stories"  # the source state entry holding the open stories


def alike(failed: list[tuple[FeedConfig, str]]) -> list[str]:
    """The warnings of failed feeds, those that failed alike said once: twelve feeds that
    cannot be reached offline are one line naming the twelve, not twelve lines. Two
    warnings are alike when they read the same once the feed's name and host are left out."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for feed, warning in failed:
        reason = warning.removeprefix(f"feed {feed.name}: ")
        url = feed.url.get_secret_value()
        reason = reason.replace(endpoint(url), "each one's URL")
        host = urlsplit(url).hostname
        if host:
            reason = reason.replace(host, "each one's host")
        groups.setdefault(reason, []).append((feed.name, warning))
    out = []
    for reason, group in groups.items():
        if len(group) == 1:
            out.append(group[0][1])
        else:
            out.append(f"{len(group)} feeds failed alike: {reason}: {', '.join(name for name, _ in group)}")
    return out


class NewsSource(Source):
    """Collects the configured feeds (or the default list) and classifies every entry."""

    name = "news"
    config_model = NewsSettings
    config: NewsSettings

    def __init__(self, settings, http=None, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(settings, http, clock=clock)
        self._classifier = None
        self._known: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    @property
    def classifier(self):
        if self._classifier is None:
            from signalflow.news.classify import Classifier

            self._classifier = Classifier.default(self.config.rules_file, self.config.watchlist_file)
        return self._classifier

    def _names(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The labels and watch-list tickers a reference may name: read from the rules and
        the watch list without building the classifier, so `signalflow check` stays quick."""
        if self._classifier is not None:
            return self._classifier.labels, self._classifier.tickers
        if self._known is None:
            from signalflow.news.rules import load_watchlist, rule_labels

            companies = load_watchlist(self.config.watchlist_file)
            self._known = rule_labels(self.config.rules_file), tuple(c.ticker for c in companies)
        return self._known

    def feeds(self) -> list[FeedConfig]:
        return list(self.config.feeds) or default_feeds()

    def schedule(self) -> timedelta:
        """The shortest feed schedule; feeds with longer ones are skipped until due."""
        return min((f.schedule for f in self.feeds()), default=timedelta(minutes=30))

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Fetch every due feed; ``refs`` do not narrow it (any thesis may count any event)."""
        batch = Batch()
        http = self.http
        owned = http is None
        if owned:
            from signalflow.sources.http import HttpClient

            http = HttpClient(self.name, retries=2)
        from signalflow.news.stories import StoryIndex

        index = StoryIndex.from_json(state.get(STORIES_KEY))
        due = [feed for feed in self.feeds() if self._due(feed, state)]
        self.outcome = RunOutcome(attempted=bool(due))
        failed: list[tuple[FeedConfig, str]] = []
        try:
            for feed in due:
                part = self.collect_feed(feed, state, http, index)
                batch.extend(part)
                if FeedHealth.from_json(state[f"{feed.name}:health"]).status == "failing":
                    failed.append((feed, part.warnings[0] if part.warnings else f"feed {feed.name} failed"))
        finally:
            if owned:
                http.close()
        index.prune(self.clock())
        state[STORIES_KEY] = index.to_json()
        # Feeds that failed alike are one warning, whether some feeds or all failed.
        own, grouped = {warning for _, warning in failed}, alike(failed)
        batch.warnings = [w for w in batch.warnings if w not in own] + grouped
        if due and len(failed) == len(due):
            # Like every collector: a run that got nothing is a failed run, not a healthy one.
            # Its error stays one line (the status board shows it); each feed's is logged
            # once here, as a run's warnings are, and kept in its health (`signalflow feeds`).
            for warning in grouped:
                log.warning("source warning", extra={"source": self.name, "warning": warning})
            # the feeds' health and fetch times describe no unstored data: keep them
            self.outcome = RunOutcome(attempted=True, keep_state=True)
            raise SourceError(self.name, f"every feed failed ({len(due)}); each one's error: `signalflow feeds`")
        batch.series = self._series_infos(batch.observations)
        return batch

    def _due(self, feed: FeedConfig, state: MutableMapping[str, str]) -> bool:
        last = state.get(f"{feed.name}:fetched_at")
        if not last:
            return True
        # a little slack so a feed on the daemon's own interval is never skipped by jitter
        return self.clock() - datetime.fromisoformat(last) >= feed.schedule * 0.9

    def collect_feed(self, feed: FeedConfig, state: MutableMapping[str, str], http, index=None) -> Batch:
        """One feed: conditional GET, parse, skip seen entries, classify, group into the
        stories of ``index`` (a fresh one when None), record health."""
        now = self.clock()
        key = feed.name
        previous = state.get(f"{key}:health")
        old = FeedHealth.from_json(previous) if previous else None
        state[f"{key}:fetched_at"] = now.isoformat()
        url, shown = feed.url.get_secret_value(), endpoint(feed.url.get_secret_value())
        kept = Validators.under(key, sep=":")
        try:
            fetched = kept.get(http, url, state)
        except SourceError as exc:
            failures = (old.consecutive_failures if old else 0) + 1
            health = FeedHealth(
                feed.name, shown, "failing", now.isoformat(), str(exc),
                entries=old.entries if old else 0, last_success=old.last_success if old else "",
                consecutive_failures=failures,
            )  # fmt: skip
            state[f"{key}:health"] = health.to_json()
            # the batch warning is what the run logs (grouped with the others): not twice
            log.debug("feed failed", extra={"source": self.name, "feed": feed.name, "error": str(exc)})
            return Batch(warnings=[f"feed {feed.name}: {exc}"])
        if fetched.not_modified:
            state[f"{key}:health"] = FeedHealth(
                feed.name, shown, "not_modified", now.isoformat(),
                entries=old.entries if old else 0, last_success=now.isoformat(),
            ).to_json()  # fmt: skip
            return Batch()
        # The feed's Last-Modified dates its undated entries: they were in it by then.
        changed = _http_date(fetched.last_modified)
        try:
            batch, total, problem = self._parse(
                feed.name, fetched.content, fetched.headers, _seen(state, key), shown, collected_at=now,
                index=index,
                undated_at=changed if changed is not None and changed <= now else None,
            )
        except SourceError as exc:
            # Kept validators would get a 304 next time: the feed passed as unchanged and healthy,
            # its body never read again. Without them the next run reads it whole.
            kept.forget(state)
            state[f"{key}:health"] = FeedHealth(
                feed.name, shown, "failing", now.isoformat(), str(exc),
                entries=old.entries if old else 0, last_success=old.last_success if old else "",
                consecutive_failures=(old.consecutive_failures if old else 0) + 1,
            ).to_json()  # fmt: skip
            return Batch(warnings=[str(exc)])
        if problem:
            kept.forget(state)  # read in part: the next run reads it whole (and reports it again)
        else:
            state.update(kept.of(fetched))  # kept with the batch: the service stores both or neither
        _remember(state, key, [e.entry_id for e in batch.events])
        state[f"{key}:health"] = FeedHealth(
            feed.name, shown, "bozo" if problem else "ok", now.isoformat(), problem,
            entries=total, new_entries=len(batch.events), last_success=now.isoformat(),
            other_language=sum(e.language not in self.classifier.languages for e in batch.events),
        ).to_json()  # fmt: skip
        return batch

    def parse(
        self,
        feed_name: str,
        content: bytes,
        headers: dict[str, str] | Any = None,
        seen: set[str] | frozenset[str] = frozenset(),
        origin: str = "",
    ) -> Batch:
        """Entries of one feed payload as events and observations; ``seen`` ids are skipped.

        Raises PayloadError when the payload holds no feed: no entry parsed and no feed root
        found, or the XML broke before any entry."""
        return self._parse(feed_name, content, headers, seen, origin)[0]

    def sniff(self, path: Path, head: bytes) -> bool:
        """An RSS (0.9x, 1.0, 2.0) or Atom document: XML whose root is rss, feed or rdf:RDF."""
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return start.startswith(b"<") and _FEED_ROOT.search(start[:8192]) is not None

    def import_file(self, path: Path) -> Batch:
        """A saved feed, exactly as if collected from a feed named after the file stem.

        Undated entries are known from the file's modification time (when it was saved)."""
        path = Path(path)
        try:
            content = path.read_bytes()
            saved = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
        except OSError as exc:
            raise PayloadError(str(path), f"cannot read: {exc.strerror or exc}") from None
        batch = self._parse(path.stem, content, None, frozenset(), str(path), collected_at=saved)[0]
        batch.series = self._series_infos(batch.observations)
        return batch

    def _parse(
        self,
        feed_name: str,
        content: bytes,
        headers: Any,
        seen: set[str] | frozenset[str],
        origin: str,
        collected_at: datetime | None = None,
        index=None,
        undated_at: datetime | None = None,
    ) -> tuple[Batch, int, str]:
        import feedparser

        from signalflow.news.stories import StoryIndex

        collected_at = collected_at or self.clock()
        index = StoryIndex() if index is None else index

        headers = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
        parsed = feedparser.parse(content, response_headers=headers)
        problem = ""
        exc = parsed.get("bozo_exception")
        # text/xml without a charset "declares" us-ascii (RFC 3023); feedparser then flags the
        # document's real encoding as an override although it decoded right; a feed served as
        # text/html or application/octet-stream is flagged although it parsed whole: neither is
        # a health problem (and flagging it would drop its validators, so no 304 ever again)
        benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
        if parsed.get("bozo") and not isinstance(exc, benign):
            problem = _parser_problem(exc, content)
        # An empty body or a well-formed HTML page parses without complaint and without entries:
        # a failure, never an empty feed; so is XML that broke before its first entry.
        if not parsed.entries and (not parsed.get("version") or isinstance(exc, SAXParseException)):
            detail = "empty body" if not content.strip() else problem or _no_feed(headers)
            raise PayloadError(origin or feed_name, f"not a readable RSS or Atom feed ({detail})")
        batch = Batch(warnings=[f"feed {feed_name}: malformed, kept what parsed ({problem})"] if problem else [])
        stories: dict[str, Story] = {}
        for entry in parsed.entries:
            event, basis = self._event(feed_name, entry, collected_at, undated_at)
            if event.entry_id in seen:
                continue
            assignment = index.assign(event)
            if assignment is None:
                batch.events.append(event)
                continue
            event = replace(event, story=assignment.story.id)
            batch.events.append(event)
            batch.observations.extend(story_observations(assignment, event, basis))
            if assignment.new_story or assignment.revised:
                stories[assignment.story.id] = assignment.story
        batch.stories.extend(stories.values())
        return batch, len(parsed.entries), problem

    def _event(
        self, feed_name: str, entry: Any, collected_at: datetime, undated_at: datetime | None = None
    ) -> tuple[Event, KnownAtBasis]:
        title = entry.get("title", "") or ""
        summary = entry.get("summary", "") or ""
        link = entry.get("link", "") or ""
        entry_id = entry.get("id") or link or "sha1:" + sha1(f"{title}\n{summary}".encode()).hexdigest()
        stamp = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
        # feedparser normalises dates to UTC struct_time; without one (or one after we saw the
        # entry), the time we saw it
        stamped = _stamp_time(stamp)
        published, basis = capped(stamped or collected_at, KnownAtBasis.EXACT, collected_at)
        if stamped is None:
            published = undated_at or collected_at
            basis = KnownAtBasis.EXACT if undated_at else KnownAtBasis.COLLECTED
        from signalflow.news.extract import plain_text

        result = self.classifier.classify(title, summary)
        origin = entry.get("source") or {}
        outlet = (origin.get("title") if hasattr(origin, "get") else "") or _host(link) or feed_name
        event = Event(
            source=feed_name,
            entry_id=str(entry_id)[:500],
            title=plain_text(title),
            link=link,
            published=published,
            label=result.label,
            summary=plain_text(summary),
            mw=result.mw,
            amount_usd=result.amount_usd,
            companies=result.companies,
            rule=result.rule,
            outlet=str(outlet)[:200],
            language=result.language,
            details=result.details.as_dict() if result.details else {},
        )
        return event, basis

    def _series_infos(self, observations: list[Observation]) -> list[SeriesInfo]:
        keys = sorted({o.series for o in observations})
        return [
            SeriesInfo(
                key=k,
                source=self.name,
                kind=SeriesKind.EVENT,
                unit="MW" if k.endswith(".mw") else "USD" if k.endswith(".usd") else "event",
                frequency="irregular",
                title=f"news events: {k.removeprefix('news.')}",
            )
            for k in keys
        ]

    def check_ref(self, ref: str) -> str | None:
        parts = parse_ref(ref)
        if parts is None:
            return f"{ref}: expected news.LABEL, news.LABEL.FIELD or news.LABEL[TICKER]"
        label, ticker, field = parts
        labels, tickers = self._names()
        if label not in labels:
            return f"unknown news label {label!r}" + _nearest(label, labels)
        if ticker is not None and ticker not in tickers:
            return f"unknown company {ticker!r} in {ref}" + _nearest(ticker.upper(), tickers)
        if field is not None and field not in FIELDS:
            return f"unknown field {field!r} in {ref}" + _nearest(field, FIELDS)
        return None


def _nearest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(choices)}"
