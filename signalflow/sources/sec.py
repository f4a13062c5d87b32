"""SEC EDGAR: ``sec.TICKER.metric`` company fundamentals, point in time.

References:

- ``sec.AAPL.capex``: a canonical metric (``signalflow/data/sec_concepts.toml``);
- ``sec.AAPL.PaymentsToAcquirePropertyPlantAndEquipment``: any XBRL concept by its name;
- ``sec.TSM.revenue.USD``: the same in a currency other than the filer's reporting one;
- ``sec.AAPL.next_filing``: when the next 10-Q/10-K is expected (:mod:`.sec_calendar`).

Fetching is polite, as SEC fair access asks: a User-Agent naming the user (collection refuses
to start without ``sec_user_agent``), at most ``sec_max_rps`` requests per second across the
whole process (one limiter shared by every instance and thread), gzip, retries with backoff on
429/5xx, and conditional requests (ETag / Last-Modified kept in the source state).
The ticker -> CIK map (company_tickers.json) is cached in ``data_dir`` and refreshed daily.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from signalflow.errors import ConfigError, PayloadError
from signalflow.series import Batch
from signalflow.sources.base import Source
from signalflow.sources.collect import collect_each
from signalflow.sources.http import HttpClient, RateLimiter
from signalflow.sources.sec_calendar import calendar_batch, expect_next
from signalflow.sources.sec_concepts import CONCEPT_NAME, METRIC_NAME, Metric, load_metrics
from signalflow.sources.sec_settings import SecSettings
from signalflow.sources.sec_facts import normalize_companyfacts

TICKERS_FILE = "sec_company_tickers.json"
TICKERS_MAX_AGE_S = 86400.0
TICKER = re.compile(r"^[A-Z][A-Z0-9-]{0,9}$")
SPECIAL = ("next_filing",)
USER_AGENT_HINT = (
    "set SIGNALFLOW_SEC_USER_AGENT='Your Name you@example.com' "
    "(or sec_user_agent in signalflow.toml): the SEC asks every client to name a contact"
)

_limiters: dict[float, RateLimiter] = {}
_limiters_lock = threading.Lock()


def shared_limiter(rate: float) -> RateLimiter:
    """The process-wide limiter for SEC requests (one per rate setting)."""
    with _limiters_lock:
        if rate not in _limiters:
            _limiters[rate] = RateLimiter(rate)
        return _limiters[rate]


@dataclass(frozen=True, slots=True)
class SecRef:
    """``sec.TICKER.name[.UNIT]`` taken apart."""

    ticker: str
    name: str
    unit: str = ""

    @classmethod
    def parse(cls, ref: str) -> SecRef | None:
        parts = ref.split(".")
        if len(parts) not in (3, 4) or parts[0] != "sec":
            return None
        return cls(parts[1].upper(), parts[2], parts[3] if len(parts) == 4 else "")


def read_payload(path: Path) -> tuple[str, dict, dict]:
    """(kind, payload, metadata) of a saved SEC file; kind is companyfacts, submissions or tickers.

    Accepts the plain API reply and the ``{"metadata": ..., "raw_payload": ...}`` wrapping."""
    try:
        data = json.loads(Path(path).read_bytes())
    except json.JSONDecodeError as exc:
        raise PayloadError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except OSError as exc:
        raise PayloadError(str(path), f"cannot read: {exc.strerror}") from None
    metadata: dict = {}
    if isinstance(data, dict) and isinstance(data.get("raw_payload"), dict):
        metadata = data.get("metadata") or {}
        data = data["raw_payload"]
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        return "companyfacts", data, metadata
    if isinstance(data, dict) and isinstance(data.get("filings"), dict):
        return "submissions", data, metadata
    if isinstance(data, dict) and data and all(isinstance(v, dict) and "cik_str" in v for v in data.values()):
        return "tickers", data, metadata
    raise PayloadError(str(path), "not an SEC companyfacts, submissions or company_tickers payload")


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

    def cached_tickers(self) -> dict[str, int]:
        """TICKER -> CIK from the cached company_tickers.json (empty when there is none)."""
        try:
            data = json.loads(self.tickers_path.read_bytes())
        except (OSError, ValueError):
            return {}
        return {str(v["ticker"]).upper(): int(v["cik_str"]) for v in data.values()}

    def tickers(self, state: MutableMapping[str, str]) -> dict[str, int]:
        """TICKER -> CIK, refreshing the cached map when it is older than a day."""
        path = self.tickers_path
        fresh = path.exists() and self._now() - path.stat().st_mtime < TICKERS_MAX_AGE_S
        if not fresh:
            reply = self._client().get(
                self.config.tickers_url,
                etag=state.get("tickers.etag") if path.exists() else None,
                last_modified=state.get("tickers.last_modified") if path.exists() else None,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            if reply.not_modified:
                path.touch()
            else:
                path.write_bytes(reply.content)
                _remember(state, "tickers", reply)
        return self.cached_tickers()

    # Collection --------------------------------------------------------------------

    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        wanted: dict[str, set[str]] = {}
        for ref in refs:
            parsed = SecRef.parse(ref)
            if parsed is not None:
                names = wanted.setdefault(parsed.ticker, set())
                if CONCEPT_NAME.match(parsed.name):
                    names.add(parsed.name)
        batch = Batch()
        if not wanted:
            return batch
        ciks = self.tickers(state)
        unknown = [t for t in sorted(wanted) if t not in ciks]
        batch.warnings.extend(f"sec: unknown ticker {t} (not in company_tickers.json)" for t in unknown)
        known = [t for t in sorted(wanted) if t in ciks]
        batch.extend(
            collect_each(known, lambda t: self._collect_company(t, ciks[t], wanted[t], state), source="sec")
        )
        return batch

    def _collect_company(
        self, ticker: str, cik: int, concepts: set[str], state: MutableMapping[str, str]
    ) -> Batch:
        client = self._client()
        base = self.config.base_url.rstrip("/")
        batch = Batch()
        facts_key = f"facts.{cik:010d}"
        known = set(filter(None, state.get(f"{facts_key}.concepts", "").split(",")))
        # A newly referenced concept needs the full payload even if it did not change.
        conditional = concepts <= known
        reply = client.get(
            f"{base}/api/xbrl/companyfacts/CIK{cik:010d}.json",
            etag=state.get(f"{facts_key}.etag") if conditional else None,
            last_modified=state.get(f"{facts_key}.last_modified") if conditional else None,
        )
        if not reply.not_modified:
            try:
                payload = reply.json()
            except ValueError as exc:
                raise PayloadError(reply.url, f"invalid JSON: {exc}") from None
            batch.extend(normalize_companyfacts(payload, ticker, self.metrics, sorted(concepts)))
            _remember(state, facts_key, reply)
            state[f"{facts_key}.concepts"] = ",".join(sorted(concepts | known))
        subs_key = f"subs.{cik:010d}"
        reply = client.get(
            f"{base}/submissions/CIK{cik:010d}.json",
            etag=state.get(f"{subs_key}.etag"),
            last_modified=state.get(f"{subs_key}.last_modified"),
        )
        if not reply.not_modified:
            expectation = expect_next(reply.json(), reply.url)
            if expectation is not None:
                batch.extend(calendar_batch(expectation, ticker))
            _remember(state, subs_key, reply)
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
        if CONCEPT_NAME.match(parsed.name) or parsed.name in SPECIAL or parsed.name in self.metrics:
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
        if not head.lstrip().startswith(b"{"):
            return False
        facts = b'"entityName"' in head and b'"facts"' in head
        submissions = b'"fiscalYearEnd"' in head and b'"filings"' in head
        tickers = b'"cik_str"' in head and b'"ticker"' in head
        return facts or submissions or tickers

    def import_file(self, path: Path) -> Batch:
        """A saved companyfacts (every canonical metric and the cover-page share count), submissions (the filing calendar) or
        company_tickers.json (becomes the cached ticker map)."""
        kind, payload, metadata = read_payload(path)
        if kind == "tickers":
            self.tickers_path.parent.mkdir(parents=True, exist_ok=True)
            self.tickers_path.write_bytes(Path(path).read_bytes())
            return Batch()
        ticker = self._ticker_for(Path(path), payload, metadata)
        if kind == "submissions":
            expectation = expect_next(payload, str(path))
            return calendar_batch(expectation, ticker) if expectation else Batch()
        return normalize_companyfacts(payload, ticker, self.metrics)

    def _ticker_for(self, path: Path, payload: dict, metadata: dict) -> str:
        """The ticker a saved file belongs to: the wrapper's metadata, the submissions' own
        tickers, the cached ticker map, the file name (``AAPL_...``), or ``CIK##########``."""
        if metadata.get("ticker"):
            return str(metadata["ticker"]).upper()
        if payload.get("tickers"):
            return str(payload["tickers"][0]).upper()
        cik = int(payload.get("cik") or 0)
        by_cik = {c: t for t, c in sorted(self.cached_tickers().items(), reverse=True)}
        if cik in by_cik:
            return by_cik[cik]
        prefix = path.name.split("_", 1)[0].upper()
        if "_" in path.name and TICKER.match(prefix) and not prefix.startswith("CIK"):
            return prefix
        return f"CIK{cik:010d}"


def _remember(state: MutableMapping[str, str], key: str, reply) -> None:
    if reply.etag:
        state[f"{key}.etag"] = reply.etag
    if reply.last_modified:
        state[f"{key}.last_modified"] = reply.last_modified
