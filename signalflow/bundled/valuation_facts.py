"""Real figures bundled for valuation backtests, served from memory.

    facts = valuation_facts()                # every bundled fact set
    provider = facts_provider(facts)         # signalflow.bundled.facts
    backtest(thesis, provider, None, end)

:func:`valuation_facts` is the union of the NVIDIA closes below (:func:`nvda_facts`), the
Vertiv closes, revenue, operating income and share counts (:mod:`signalflow.bundled.vrt_facts`) and
the demo facts (``signalflow/data/demo/facts.csv``: FRED spreads and yields, hyperscaler capex),
so that a thesis's liquidity condition has its inputs too. The series do not overlap.

``signalflow/data/valuation/nvda_weekly_close.csv`` holds weekly closes (the last session of
each week, 2023-01-06..2024-12-20), each row naming its source as ``repo@commit:path``. The
source is split-adjusted for the 10:1 split of 2024-06-10, so the rows are loaded through the
engine's own point-in-time rule (:func:`signalflow.sources.prices_formats.to_batch`): a close
before the split is first known as traded (the adjusted value x 10, at the session's close)
and gets a second version divided by 10, known at the ex-date; the split itself is the fact
``px.NVDA.split`` (10, known 2024-06-10). At any instant the history is therefore in one
share basis, and a backtest before the split sees the prices as they were quoted.

Not bundled (no verifiable copy found): NVIDIA's cover-page share counts and quarterly
revenue and operating income with their filing dates, so ``market_cap``/``ps_ratio`` of NVDA
are unknown over these facts; the demo thesis uses the price rules.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from signalflow.bundled.facts import Fact, close_facts, load_facts, read_closes, valuation_dir
from signalflow.bundled.vrt_facts import price_facts, sec_facts

SPLIT_EX_DATE = date(2024, 6, 10)
SPLIT_RATIO = 10.0
TICKER = "NVDA"


def weekly_closes(path: Path | None = None) -> list[tuple[date, float, str]]:
    """(session date, split-adjusted close as found in the source, source) per row."""
    return read_closes(path or valuation_dir() / "nvda_weekly_close.csv", "close_split_adjusted")


def valuation_facts(close_utc: time = time(21, 0)) -> list[Fact]:
    """Every bundled fact set: NVIDIA, Vertiv and the demo facts."""
    return nvda_facts(close_utc) + price_facts(close_utc) + sec_facts() + load_facts()


def nvda_facts(close_utc: time = time(21, 0)) -> list[Fact]:
    """``px.NVDA.close`` (every version, point in time) and ``px.NVDA.split``."""
    from signalflow.sources.prices_formats import Split

    return close_facts(TICKER, weekly_closes(), [Split(SPLIT_EX_DATE, SPLIT_RATIO)], close_utc)
