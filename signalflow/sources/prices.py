"""``px.TICKER.close`` (and ``open``, ``high``, ``low``, ``volume``, ``split``): daily prices.

Collected from the keyless chart endpoint that yfinance reads
(``{prices_url}/v8/finance/chart/SYMBOL?interval=1d&range=10y&events=split``), through the
shared :class:`~signalflow.sources.http.HttpClient` (retries, Retry-After, politeness).
A first run asks for ``prices_history``; later runs ask for ``prices_recent`` unless the reply
shows a split not seen before, which re-versions the whole history: then the long range is
fetched again. See :mod:`signalflow.sources.prices_formats` for the point-in-time rules
(a bar is known at ``prices_close_utc`` on its session date; splits re-version history at
their ex-date).

Saved payloads import as if collected: a chart JSON, or a ``Date,Open,High,Low,Close,Volume``
CSV (Stooq's download; the ticker is the file stem, ``nvda.us.csv`` -> NVDA). FRED index
series (``fred.NASDAQCOM``, ``fred.SP500``) and ``csv.NAME`` series are prices as well: every
valuation function takes any series.

Usage::

    source = PriceSource(settings)
    batch = source.collect(["px.NVDA.close", "px.NVDA.volume"], state)
    batch = source.import_file(Path("NVDA.json"))
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import MutableMapping, Sequence
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING

from signalflow.errors import ConfigError, PayloadError
from signalflow.series import Batch
from signalflow.sources.base import Source
from signalflow.sources.prices_formats import (
    FIELDS,
    SPLIT,
    DailyBars,
    parse_chart_json,
    parse_price_csv,
    symbol_of,
    ticker_key,
    to_batch,
)
from signalflow.sources.prices_settings import PriceSettings

if TYPE_CHECKING:
    from signalflow.sources.http import HttpClient

log = logging.getLogger(__name__)

TICKER = re.compile(r"^[A-Z][A-Z0-9_]{0,14}$")
REF_FIELDS = (*FIELDS, SPLIT)
RANGES = ("1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")



def close_time(config: PriceSettings) -> time:
    """``prices_close_utc`` as a time of day."""
    try:
        return time.fromisoformat(config.close_utc)
    except ValueError:
        raise ConfigError("prices_close_utc", f"{config.close_utc!r} is not a time", "e.g. 21:00") from None


class PriceSource(Source):
    """Collects and imports daily prices (``px.NVDA.close``)."""

    name = "px"
    config_model = PriceSettings
    config: PriceSettings


    def collect(self, refs: Sequence[str], state: MutableMapping[str, str]) -> Batch:
        """Every field of each ticker the refs name. A ticker that fails becomes a warning,
        unless none succeeded: then the first error is raised; a rate limit stops the run."""
        from signalflow.sources.collect import collect_each
        from signalflow.sources.http import HttpClient

        for setting, value in (("prices_history", self.config.history), ("prices_recent", self.config.recent)):
            if value not in RANGES:
                raise ConfigError(setting, f"{value!r} is not a range", ", ".join(RANGES))
        tickers = list(dict.fromkeys(ref.split(".")[1] for ref in refs if self.handles(ref) and ref.count(".") >= 1))
        http = self.http or HttpClient("px", user_agent="Mozilla/5.0 (signalflow daily prices)")
        try:
            return collect_each(tickers, lambda ticker: self._collect_one(http, ticker, state), source="px")
        finally:
            if self.http is None:
                http.close()

    def _collect_one(self, http: HttpClient, ticker: str, state: MutableMapping[str, str]) -> Batch:
        seen_splits = json.loads(state.get(f"{ticker}:splits", "[]"))
        first_run = f"{ticker}:last" not in state
        bars, url = self._fetch(http, ticker, self.config.history if first_run else self.config.recent)
        splits = [s.ex_date.isoformat() for s in bars.splits]
        if not first_run and any(s not in seen_splits for s in splits):
            log.info("new split: fetching the whole history again", extra={"ticker": ticker})
            bars, url = self._fetch(http, ticker, self.config.history)
            splits = [s.ex_date.isoformat() for s in bars.splits]
        now = self.clock()
        batch = to_batch(bars, ticker, f"chart {symbol_of(ticker)}", close_time(self.config), now)
        if batch.observations:
            state[f"{ticker}:last"] = max(state.get(f"{ticker}:last", ""), max(o.period_end for o in batch.observations).isoformat())
        else:
            state.setdefault(f"{ticker}:last", "")
        state[f"{ticker}:splits"] = json.dumps(sorted(set(seen_splits) | set(splits)))
        log.info("prices collected", extra={"ticker": ticker, "sessions": len(bars.dates), "url": url})
        return batch

    def _fetch(self, http: HttpClient, ticker: str, range_: str) -> tuple[DailyBars, str]:
        url = f"{self.config.url.get_secret_value().rstrip('/')}/v8/finance/chart/{symbol_of(ticker)}"
        fetched = http.get(url, params={"interval": "1d", "range": range_, "events": "split"})
        return parse_chart_json(fetched.content, f"{url}?range={range_}"), url

    def check_ref(self, ref: str) -> str | None:
        parts = ref.split(".")
        if len(parts) != 3 or not TICKER.match(parts[1]):
            return f"{ref}: prices are px.TICKER.FIELD with an upper-case ticker, e.g. px.NVDA.close"
        if parts[2] not in REF_FIELDS:
            from signalflow.suggest import did_you_mean

            hint = did_you_mean(parts[2], REF_FIELDS) or "fields: " + ", ".join(REF_FIELDS)
            return f"{ref}: unknown price field {parts[2]!r} ({hint})"
        return None

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.lstrip()[:400].decode("utf-8", errors="replace")
        if text.startswith("{") and '"chart"' in text:
            return True
        first = text.splitlines()[0].lower().replace(" ", "") if text else ""
        return first.startswith("date,open,high,low,close")

    def import_file(self, path: Path, *, series: str | None = None) -> Batch:
        """A saved chart JSON or price CSV as if collected; ``series`` (``px.T`` or
        ``px.T.close``) names the ticker when the file name does not."""
        path = Path(path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise PayloadError(str(path), f"cannot read: {exc.strerror or exc}") from None
        ticker = series.split(".")[1] if series and series.count(".") >= 1 else None
        if content.lstrip().startswith(b"{"):
            bars = parse_chart_json(content, str(path))
            ticker = ticker or ticker_key(bars.symbol or path.stem.split(".")[0])
        else:
            ticker = ticker or ticker_key(path.stem.split(".")[0])
            bars = parse_price_csv(content.decode("utf-8-sig", errors="replace"), str(path), ticker)
        if not TICKER.match(ticker):
            raise PayloadError(str(path), f"cannot tell the ticker ({ticker!r}): pass --series px.TICKER")
        return to_batch(bars, ticker, path.name, close_time(self.config), self.clock())

