"""SEC EDGAR: ``sec.TICKER.metric`` company fundamentals, point in time.

References:

- ``sec.AAPL.capex``: a canonical metric (``signalflow/data/sec_concepts.toml``);
- ``sec.AAPL.PaymentsToAcquirePropertyPlantAndEquipment``: any XBRL concept by its name;
- ``sec.TSM.revenue.USD``: the same in a currency other than the filer's reporting one;
- ``sec.AAPL.next_filing``: when the next 10-Q/10-K is expected (:mod:`.sec_calendar`);
- ``sec.VRT.gross_margin``, ``operating_margin``, ``capex_to_revenue``, ``fcf``: computed from
  two metrics (:mod:`.sec_derived`);
- ``sec.NVDA.top_customer_share``, ``customers_over_10pct``, ``customer_share[CustomerA]``,
  ``rpo_within_12m``: read from a filing's own XBRL (:mod:`.sec_filing`), which imports from a
  saved instance or inline-XBRL document, known at the filing's acceptance time.

Fetching is polite, as SEC fair access asks: a User-Agent naming the user (collection refuses
to start without ``sec_user_agent``), at most ``sec_max_rps`` requests per second across the
whole process (one limiter shared by every instance and thread), gzip, retries with backoff on
429/5xx, and conditional requests (ETag / Last-Modified kept in the source state, only with
what the reply held: a reply that is not the JSON object expected, such as an error object,
fails its company and forgets them, so the next request reads it whole).
The ticker -> CIK map (company_tickers.json) is cached in ``data_dir`` and refreshed daily.

Point in time: each fact is known from its filing's EDGAR acceptance (``acceptanceDateTime``
in ``submissions``, read for every accession whenever companyfacts changes, older pages
included), else from the end of its filing day in New York; see :mod:`.sec_accepted`, which
also says where each filing's acceptance time is kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.errors import ConfigError, PayloadError, SourceError
from signalflow.series import Batch
from signalflow.sources.base import Source
from signalflow.sources.captured import parse_instant
from signalflow.sources.conditional import Validators
from signalflow.sources.sec_accepted import FilingIndex
from signalflow.sources.sec_concepts import CONCEPT_NAME, METRIC_NAME, Metric, load_metrics
from signalflow.sources.sec_filing import FILING_SERIES, accession_in, filing_batch
from signalflow.sources.sec_refs import FILTERED, SPECIAL, TICKER, SecRef
from signalflow.sources.sec_replies import FACTS_SHAPE, SUBMISSIONS_SHAPE, _excerpt, _json, _ticker_map
from signalflow.sources.sec_saved import _beside, _cik, read_payload
from signalflow.sources.sec_settings import SecSettings
from signalflow.sources.sec_xbrl import read_document
from signalflow.sources.sec_xbrl import sniff as sniff_xbrl

if TYPE_CHECKING:
    from signalflow.sources.http import HttpClient, RateLimiter

# Collection's own modules (HTTP, companyfacts, the filing archive, the calendar) are
# imported where they are used: ``signalflow check`` starts this source for check_ref only.

TICKERS_FILE = "sec_company_tickers.json"
TICKERS_MAX_AGE_S = 86400.0
TICKERS = Validators.under("tickers")  # the ticker map's validators in the source state
USER_AGENT_HINT = (
    "set SIGNALFLOW_SEC_USER_AGENT='Your Name you@example.com' "
    "(or sec_user_agent in signalflow.toml): the SEC asks every client to name a contact"
)

_limiters: dict[float, RateLimiter] = {}
_limiters_lock = threading.Lock()


def shared_limiter(rate: float) -> RateLimiter:
    """The process-wide limiter for SEC requests (one per rate setting)."""
    from signalflow.sources.http import RateLimiter

    with _limiters_lock:
        if rate not in _limiters:
            _limiters[rate] = RateLimiter(rate)
        return _limiters[rate]


class SecSource(Source):
    """Collector for ``sec.*`` references (see the module docstring)."""

    name = "sec"
    config_model = SecSettings
    config: SecSettings

    def __init__(
        self,
        settings,
        http: HttpClient | None = None,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(settings, http)
        self._limiter = limiter
        self._sleep = sleep
        self._now = now
        self._metrics: dict[str, Metric] | None = None

    @property
    def metrics(self) -> dict[str, Metric]:
        if self._metrics is None:
            self._metrics = load_metrics(self.config.concepts_file)
        return self._metrics

    def needs(self, ref: str) -> str | None:
        return None if self.config.user_agent.strip() else "SIGNALFLOW_SEC_USER_AGENT"

    def _client(self) -> HttpClient:
        agent = self.config.user_agent.strip()
        if not agent:
            raise ConfigError("sec_user_agent", "SEC collection needs a contact User-Agent", USER_AGENT_HINT)
        if self.http is None:
            from signalflow.sources.http import HttpClient

            self.http = HttpClient(
                self.name,
                user_agent=agent,
                limiter=self._limiter or shared_limiter(self.config.max_rps),
                sleep=self._sleep,
            )
        return self.http

    # Ticker map --------------------------------------------------------------------

    @property
    def tickers_path(self) -> Path:
        return self.settings.data_dir / TICKERS_FILE

    @property
    def filings(self) -> FilingIndex:
        """Every filing seen in submissions (collected or imported), with its acceptance time."""
        return FilingIndex(self.settings.data_dir)

    def cached_tickers(self) -> dict[str, int]:
        """TICKER -> CIK from the cached company_tickers.json (empty when there is none)."""
        try:
            return _ticker_map(self.tickers_path.read_bytes(), str(self.tickers_path))
        except (OSError, PayloadError):
            return {}

    def tickers(self, state: MutableMapping[str, str]) -> dict[str, int]:
        """TICKER -> CIK, refreshing the cached map when it is older than a day."""
        path = self.tickers_path
        fresh = path.exists() and self._now() - path.stat().st_mtime < TICKERS_MAX_AGE_S
        if not fresh:
            # without the cached file a 304 would leave nothing to read: ask unconditionally
            reply = TICKERS.get(self._client(), self.config.tickers_url.get_secret_value(), state if path.exists() else {})
            path.parent.mkdir(parents=True, exist_ok=True)
            if reply.not_modified:
                path.touch()
            else:
                try:
                    _ticker_map(reply.content, reply.url)
                except PayloadError:
                    TICKERS.forget(state)  # the cached map stays; the next refresh reads it whole
                    raise
                path.write_bytes(reply.content)
                state.update(TICKERS.of(reply))
        return self.cached_tickers()

    # Collection --------------------------------------------------------------------

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        # A client this source opened for the run is closed with it (the daemon makes a new
        # source each run: left open, each run's connections stayed until collected).
        owned = self.http is None
        try:
            return self._collect(refs, state)
        finally:
            if owned and self.http is not None:
                self.http.close()
                self.http = None

    def _collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        from signalflow.sources.collect import collect_each

        wanted: dict[str, set[str]] = {}
        read_filings: set[str] = set()  # tickers whose filings' own XBRL a thesis reads
        for ref in refs:
            parsed = SecRef.parse(ref)
            if parsed is not None:
                names = wanted.setdefault(parsed.ticker, set())
                if CONCEPT_NAME.match(parsed.name):
                    names.add(parsed.name)
                elif parsed.name.split("[", 1)[0] in FILING_SERIES:
                    read_filings.add(parsed.ticker)
        batch = Batch()
        if not wanted:
            return batch
        ciks = self.tickers(state)
        unknown = [t for t in sorted(wanted) if t not in ciks]
        batch.warnings.extend(f"sec: unknown ticker {t} (not in company_tickers.json)" for t in unknown)
        known = [t for t in sorted(wanted) if t in ciks]
        batch.extend(
            collect_each(
                known,
                lambda t: self._collect_company(t, ciks[t], wanted[t], state, read_filings=t in read_filings),
                source="sec",
            )
        )
        return batch

    def _collect_company(
        self, ticker: str, cik: int, concepts: set[str], state: MutableMapping[str, str], *, read_filings: bool = False
    ) -> Batch:
        from signalflow.sources.sec_archive import archives_base, collect_filings
        from signalflow.sources.sec_calendar import calendar_batch, expect_next
        from signalflow.sources.sec_facts import normalize_companyfacts

        client = self._client()
        base = self.config.base_url.get_secret_value().rstrip("/")
        batch = Batch()
        # Validators of the replies read, kept only once the company's whole batch is built: a
        # later failure (its submissions) drops the facts read, and their ETag kept would get a
        # 304 next time, so they would never be stored.
        read: dict[str, str] = {}
        facts_key = f"facts.{cik:010d}"
        facts_kept = Validators.under(facts_key)
        known = set(filter(None, state.get(f"{facts_key}.concepts", "").split(",")))
        # A newly referenced concept needs the full payload even if it did not change.
        conditional = concepts <= known
        collected_at = self.clock()
        facts_url = f"{base}/api/xbrl/companyfacts/CIK{cik:010d}.json"
        reply = facts_kept.get(client, facts_url, state if conditional else {})
        facts = None
        if not reply.not_modified:
            facts = _json(reply, facts_kept, state, FACTS_SHAPE)
            read.update(facts_kept.of(reply))
            read[f"{facts_key}.concepts"] = ",".join(sorted(concepts | known))
        subs_kept = Validators.under(f"subs.{cik:010d}")
        # New facts need every acceptance time: then submissions is read whole, not conditionally.
        reply = subs_kept.get(client, f"{base}/submissions/CIK{cik:010d}.json", state if facts is None else {})
        accepted = self.filings.accepted(cik)
        if not reply.not_modified:
            submissions = _json(reply, subs_kept, state, SUBMISSIONS_SHAPE)
            pages = []
            for page in (submissions.get("filings") or {}).get("files") or []:
                if facts is not None and isinstance(page, dict) and page.get("name"):
                    try:
                        older = client.get(f"{base}/submissions/{page['name']}").json()
                    except (SourceError, ValueError) as exc:  # its facts fall back to the filing day's end
                        batch.warnings.append(f"sec {ticker}: older submissions page {page['name']}: {exc}")
                        continue
                    if isinstance(older, dict) and isinstance(older.get("accessionNumber"), list):
                        pages.append(older)
                    else:
                        batch.warnings.append(
                            f"sec {ticker}: older submissions page {page['name']}: expected an object "
                            f"with an 'accessionNumber' list, got {_excerpt(older)}"
                        )
            accepted = self.filings.add(cik, submissions, pages)
            expectation = expect_next(submissions, reply.url)
            if expectation is not None:
                batch.extend(calendar_batch(expectation, ticker, accepted, collected_at))
            read.update(subs_kept.of(reply))
        if facts is not None:
            batch.extend(
                normalize_companyfacts(facts, ticker, self.metrics, sorted(concepts), accepted, collected_at, facts_url)
            )
        if read_filings:
            archives = archives_base(self.config.base_url.get_secret_value())
            batch.extend(collect_filings(client, archives, cik, ticker, self.filings.records(cik), state))
        state.update(read)
        return batch

    # Checking and importing -------------------------------------------------------

    def check_ref(self, ref: str) -> str | None:
        from signalflow.suggest import did_you_mean

        parsed = SecRef.parse(ref)
        if parsed is None:
            return f"{ref}: SEC references look like sec.TICKER.metric (e.g. sec.AAPL.capex)"
        if not TICKER.match(parsed.ticker):
            return f"{ref}: {parsed.ticker!r} is not a ticker symbol"
        known = self.cached_tickers()
        if known and parsed.ticker not in known:
            hint = did_you_mean(parsed.ticker, known)
            return f"{ref}: unknown ticker {parsed.ticker}" + (f"; {hint}" if hint else "")
        known_name = parsed.name in SPECIAL or parsed.name in self.metrics or FILTERED.match(parsed.name)
        if CONCEPT_NAME.match(parsed.name) or known_name:
            return None
        names = sorted(self.metrics)
        hint = did_you_mean(parsed.name, [*names, *SPECIAL]) if METRIC_NAME.match(parsed.name) else None
        return (
            f"{ref}: unknown SEC metric {parsed.name!r}"
            + (f"; {hint}" if hint else "")
            + f" (metrics: {', '.join(names)}; or an XBRL concept name such as "
            "PaymentsToAcquirePropertyPlantAndEquipment)"
        )

    def sniff(self, path: Path, head: bytes) -> bool:
        if sniff_xbrl(head):
            return True
        if not head.lstrip().startswith(b"{"):
            return False
        facts = b'"entityName"' in head and b'"facts"' in head
        submissions = b'"fiscalYearEnd"' in head and b'"filings"' in head
        tickers = b'"cik_str"' in head and b'"ticker"' in head
        return facts or submissions or tickers

    def import_file(self, path: Path, *, refs: Sequence[str] = (), known_at: datetime | None = None) -> Batch:
        """A saved companyfacts (every canonical metric, the cover-page share count and the
        concepts ``refs`` name), submissions (the filing calendar, and each filing's acceptance
        time), company_tickers.json (becomes the cached ticker map), or one filing's XBRL
        instance or inline document (known at its acceptance time, else at ``known_at``).

        A submissions file's acceptance times are kept for the company's facts; a companyfacts
        file uses those kept and those of a submissions file of the same company beside it
        (a name with ``submissions`` or the CIK in it). A wrapper's ``fetched_at`` caps known_at."""
        from signalflow.sources.sec_calendar import calendar_batch, expect_next
        from signalflow.sources.sec_facts import normalize_companyfacts

        with Path(path).open("rb") as fh:
            head = fh.read(65536)
        if sniff_xbrl(head):
            return self._import_filing(Path(path), known_at)
        kind, payload, metadata = read_payload(path)
        if kind == "tickers":
            self.tickers_path.parent.mkdir(parents=True, exist_ok=True)
            self.tickers_path.write_bytes(Path(path).read_bytes())
            return Batch()
        ticker = self._ticker_for(Path(path), payload, metadata)
        collected_at = parse_instant(metadata.get("fetched_at"))
        cik = _cik(payload, path)
        if kind == "submissions":
            accepted = self.filings.add(cik, payload)
            expectation = expect_next(payload, str(path))
            return calendar_batch(expectation, ticker, accepted, collected_at) if expectation else Batch()
        concepts = [
            r.name for r in map(SecRef.parse, refs) if r is not None and r.ticker == ticker and CONCEPT_NAME.match(r.name)
        ]
        accepted = {**_beside(Path(path), cik), **self.filings.accepted(cik)}
        return normalize_companyfacts(
            payload, ticker, self.metrics, concepts, accepted=accepted, collected_at=collected_at, origin=str(path)
        )

    def _import_filing(self, path: Path, known_at: datetime | None) -> Batch:
        from signalflow.sources.sec_facts import company_url

        doc = read_document(path)
        cik = int(doc.dei.get("EntityCentralIndexKey") or 0)
        symbol = doc.dei.get("TradingSymbol", "").strip().upper()
        by_cik = {c: t for t, c in sorted(self.cached_tickers().items(), reverse=True)}
        ticker = symbol if TICKER.match(symbol) else by_cik.get(cik, f"CIK{cik:010d}")
        accession = accession_in(path)
        record = self.filings.find(cik, accession, doc)
        when = record.accepted if record else known_at
        if when is None:
            raise PayloadError(
                str(path),
                "when was this filing accepted? import the company's submissions JSON first "
                "(it gives each filing's acceptance time) or pass --known-at",
            )
        batch = filing_batch(doc, ticker, when, record.accession if record else accession or path.name, company_url(cik))
        if record and known_at and known_at != record.accepted:
            batch.warnings.append(
                f"{path.name}: known at the filing's acceptance {record.accepted:%Y-%m-%d %H:%M} UTC "
                f"(submissions), not --known-at {known_at:%Y-%m-%d %H:%M}"
            )
        if not batch.observations:
            batch.warnings.append(f"{path.name}: no customer concentration or RPO timing tagged")
        return batch

    def _ticker_for(self, path: Path, payload: dict, metadata: dict) -> str:
        """The ticker a saved file belongs to: the wrapper's metadata, the submissions' own
        tickers, the cached ticker map, the file name (``AAPL_...``), or ``CIK##########``."""
        if metadata.get("ticker"):
            return str(metadata["ticker"]).upper()
        if payload.get("tickers"):
            return str(payload["tickers"][0]).upper()
        try:
            cik = int(payload.get("cik") or 0)
        except (TypeError, ValueError):
            raise PayloadError(str(path), f"cik {payload.get('cik')!r} is not a number") from None
        by_cik = {c: t for t, c in sorted(self.cached_tickers().items(), reverse=True)}
        if cik in by_cik:
            return by_cik[cik]
        prefix = path.name.split("_", 1)[0].upper()
        if "_" in path.name and TICKER.match(prefix) and not prefix.startswith("CIK"):
            return prefix
        return f"CIK{cik:010d}"
