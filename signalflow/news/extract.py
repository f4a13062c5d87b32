"""Fields pulled from a headline: capacity in MW, a USD amount, watch-list companies.

Capacity counts power (kW, MW, GW), never energy (MWh, GWh): a "500 GWh" battery is not a
500 GW contract. When a text names several sizes, the largest is kept: headlines say "a
1 GW campus, first 300 MW phase", and the campus is the size of the commitment.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from signalflow.news.rules import Company

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"

_CAPACITY = re.compile(
    _NUMBER + r"[\s-]*(kilowatts?|megawatts?|gigawatts?|kw|mw|gw)(?![a-z])",
    re.IGNORECASE,
)
_TO_MW = {"k": 0.001, "m": 1.0, "g": 1000.0}

_MONEY_SCALE = {
    "thousand": 1e3, "k": 1e3,
    "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "t": 1e12,
}  # fmt: skip
_SCALE = r"(thousand|million|billion|trillion|mln|bln|mn|bn|tn|[kmbt])\b"
_DOLLARS = re.compile(r"(?:US\s?\$|\$|\bUSD\s?)\s?" + _NUMBER + r"(?:\s?" + _SCALE + r")?", re.IGNORECASE)
_WORDS = re.compile(_NUMBER + r"\s?(million|billion|trillion)\s+(?:US\s+)?dollars\b", re.IGNORECASE)

_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def plain_text(text: str) -> str:
    """Feed HTML to one line of text: tags dropped, entities decoded, spaces collapsed."""
    return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", text or ""))).strip()


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def capacities_mw(text: str) -> list[float]:
    """Every power capacity in ``text``, in MW."""
    return [_number(m.group(1)) * _TO_MW[m.group(2)[0].lower()] for m in _CAPACITY.finditer(text)]


def extract_mw(text: str) -> float | None:
    """The largest capacity named in ``text`` in MW, or None."""
    found = capacities_mw(text)
    return max(found) if found else None


def amounts_usd(text: str) -> list[float]:
    """Every US dollar amount in ``text``: "$1.2 billion", "$500M", "USD 3bn", "5 billion dollars"."""
    found = []
    for match in _DOLLARS.finditer(text):
        scale = match.group(2)
        found.append(_number(match.group(1)) * (_MONEY_SCALE[scale.lower()] if scale else 1.0))
    for match in _WORDS.finditer(text):
        found.append(_number(match.group(1)) * _MONEY_SCALE[match.group(2).lower()])
    return found


def extract_usd(text: str) -> float | None:
    """The largest dollar amount named in ``text``, or None."""
    found = amounts_usd(text)
    return max(found) if found else None


class CompanyMatcher:
    """Finds watch-list companies by name, alias or ticker.

    All-capital aliases (tickers such as NVDA, AMD) match case-sensitively so that ordinary
    words are not taken for tickers; names match in any case ("Nvidia", "NVIDIA")."""

    def __init__(self, companies: Iterable[Company]) -> None:
        self.companies = tuple(companies)
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        exact: dict[str, str] = {}  # alias -> ticker, matched case-sensitively
        folded: dict[str, str] = {}  # lowercased alias -> ticker
        pairs = [(c.ticker, alias) for c in self.companies for alias in (c.ticker, c.name, *c.aliases)]
        for ticker, alias in pairs:
            # An alias inside another company's alias ("Georgia" in "Georgia Power") needs its
            # own search: one alternation finds only one of two overlapping names.
            flags = 0 if alias.isupper() else re.IGNORECASE
            word = re.compile(r"(?<![\w$])" + re.escape(alias) + r"(?![\w-])", flags)
            inside_other = any(t != ticker and word.search(other) for t, other in pairs)
            if inside_other:
                pattern = re.compile(r"(?<![\w$])" + re.escape(alias) + r"(?:'s|’s)?(?![\w-])", flags)
                self._patterns.append((ticker, pattern))
            elif flags:
                folded.setdefault(alias.lower(), ticker)
            else:
                exact.setdefault(alias, ticker)
        self._exact, self._folded = exact, folded
        self._combined = [
            (table, re.compile(r"(?<![\w$])(" + "|".join(map(re.escape, sorted(table, key=len, reverse=True)))
                               + r")(?:'s|’s)?(?![\w-])", flags))
            for table, flags in ((exact, 0), (folded, re.IGNORECASE))
            if table
        ]  # fmt: skip

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(c.ticker for c in self.companies)

    def find(self, text: str) -> tuple[str, ...]:
        """Tickers of the companies named in ``text``, in order of first mention."""
        first: dict[str, int] = {}
        for table, pattern in self._combined:
            for match in pattern.finditer(text):
                name = match.group(1)
                ticker = table.get(name) or table[name.lower()]
                if match.start() < first.get(ticker, len(text) + 1):
                    first[ticker] = match.start()
        for ticker, pattern in self._patterns:
            match = pattern.search(text)
            if match and match.start() < first.get(ticker, len(text) + 1):
                first[ticker] = match.start()
        return tuple(sorted(first, key=first.__getitem__))
