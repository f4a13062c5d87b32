"""The function table of the thesis language: names, arities and argument kinds.

This file is the agreement between the checker (which rejects a call that matches no
signature) and the evaluator (which dispatches on :attr:`Signature.impl`). The loader
resolves every call to one signature and stores its ``impl`` on the ``Call`` node, so the
evaluator never has to guess between overloads (``mean(x, 4)`` against ``mean(x, 30d)``)::

    from signalflow.thesis.functions_spec import FUNCTIONS, describe
    FUNCTIONS["mean"]            # (Signature(impl='mean_n', ...), Signature(impl='mean_window', ...))
    describe("mean")             # "mean(series, n) or mean(series, window)"

Argument kinds: a *series* is any numeric expression (a reference, a derived series, a
number, arithmetic); an *n* is a literal positive whole number counting observations
(releases); a *window* is a duration literal (``30d``); *events* is an event stream such as
``news.deployment_delay`` or ``news.power_contract[MSFT]``; *events.field* is an event stream
with a numeric field (``news.power_contract.mw``); a *ticker* is a bare upper-case ticker
(``NVDA``), a *hypothesis* the bare name of an entry under ``hypotheses:`` and a *layer* a
bare bottleneck-map layer (``power``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from signalflow.thesis.ast import Node, Pos, SeriesRef


class ArgKind(str, enum.Enum):
    SERIES = "series"
    COUNT = "n"
    DURATION = "window"
    EVENTS = "events"  # an event stream, with or without a field
    EVENT_FIELD = "events.field"  # an event stream with a numeric field
    TICKER = "ticker"  # a bare upper-case ticker: market_cap(NVDA)
    HYPOTHESIS = "hypothesis"  # the name of an entry of the thesis's hypotheses: section
    LAYER = "layer"  # a bare bottleneck-map layer name: layer(power)


class ValueKind(str, enum.Enum):
    """What an expression produces, as inferred by the checker."""

    NUMBER = "number"
    BOOL = "boolean"
    EVENTS = "events"
    DURATION = "duration"


@dataclass(frozen=True)
class Signature:
    """One way to call a function. ``rest`` repeats for any further arguments (n-ary)."""

    name: str
    params: tuple[ArgKind, ...]
    impl: str
    doc: str
    rest: ArgKind | None = None
    result: ValueKind = ValueKind.NUMBER

    def accepts_count(self, count: int) -> bool:
        return count == len(self.params) or (self.rest is not None and count > len(self.params))

    def __str__(self) -> str:
        parts = [p.value for p in self.params]
        if self.rest is not None:
            parts.append("...")
        return f"{self.name}({', '.join(parts)})"


S, N, W, E, F = ArgKind.SERIES, ArgKind.COUNT, ArgKind.DURATION, ArgKind.EVENTS, ArgKind.EVENT_FIELD
T, H, L = ArgKind.TICKER, ArgKind.HYPOTHESIS, ArgKind.LAYER

_SIGNATURES = (
    Signature("yoy", (S,), "yoy", "growth against the period one year earlier: x / x[-1y] - 1"),
    Signature("qoq", (S,), "qoq", "growth against the period one quarter earlier: x / x[-1q] - 1"),
    Signature("pct_change", (S, N), "pct_change", "growth over the last n observations: x / x[-n] - 1"),
    Signature("change", (S, W), "change", "difference with the value known one window earlier"),
    Signature("lag", (S, N), "lag", "the value n observations (periods) earlier"),
    Signature("ttm", (S,), "ttm", "trailing twelve months: the sum of the last four quarters of a flow"),
    Signature("mean", (S, N), "mean_n", "mean of the last n observations"),
    Signature("mean", (S, W), "mean_window", "mean of the observations whose period ends within the window"),
    Signature("sum", (S, S), "sum", "sum of several series, each at its latest value", rest=S),
    Signature("sum", (F, W), "sum_events", "sum of an event field over the stories first known within the window"),
    Signature("min", (S, S), "min", "smallest of several series", rest=S),
    Signature("max", (S, S), "max", "largest of several series", rest=S),
    Signature("zscore", (S, W), "zscore", "(x - mean) / std of the observations within the window"),
    Signature("abs", (S,), "abs", "absolute value"),
    Signature("latest", (S,), "latest", "the latest known value (the same as x itself)"),
    Signature("days_since", (S,), "days_since", "days from the end of the latest known period to now"),
    Signature("days_since", (E,), "days_since_events", "days since the latest event became known"),
    Signature("count", (E, W), "count", "number of stories first known within the window (copies count once)"),
    Signature("outlets", (E, W), "outlets", "number of distinct outlets that carried such a story within the window"),
    Signature("revised", (S, W), "revised", "number of revisions of x (an already known period changed value) known within the window"),
    Signature("revision", (S,), "revision", "(new - old) / abs(old) of the latest revision of x known now (unknown before the first)"),
    Signature("market_cap", (T,), "market_cap", "close x cover-page shares outstanding, brought to the close's split basis"),
    Signature("ps_ratio", (T,), "ps_ratio", "market cap / trailing twelve months of revenue"),
    Signature("pe_op", (T,), "pe_op", "market cap / trailing twelve months of operating income (NaN when <= 0)"),
    Signature("percentile", (S, W), "percentile", "share of the values within the window at or below the current one"),
    Signature("drawdown", (S,), "drawdown", "x / its highest known value - 1"),
    Signature("drawdown", (S, W), "drawdown_window", "x / its highest value within the window - 1"),
    Signature("pct_above_mean", (S, W), "pct_above_mean", "x / mean(x, window) - 1"),
    Signature(
        "hypothesis", (H,), "hypothesis", "true once confirmed, false once refuted, unknown while open",
        result=ValueKind.BOOL,
    ),
    Signature("layer", (L,), "layer", "share (0 to 1) of the layer's theses in Soft Warning or Kill Switch at that instant"),
)

FUNCTIONS: dict[str, tuple[Signature, ...]] = {}
for _sig in _SIGNATURES:
    FUNCTIONS[_sig.name] = FUNCTIONS.get(_sig.name, ()) + (_sig,)

IMPLS: frozenset[str] = frozenset(sig.impl for sig in _SIGNATURES)


TICKER = re.compile(r"^[A-Z][A-Z0-9_]{0,14}$")
SHARES = "EntityCommonStockSharesOutstanding"

# What each ticker function reads, in argument order after expansion (functions_valuation.py).
TICKER_SERIES: dict[str, tuple[str, ...]] = {
    "market_cap": ("px.{t}.close", "sec.{t}." + SHARES, "px.{t}.split"),
    "ps_ratio": ("px.{t}.close", "sec.{t}." + SHARES, "px.{t}.split", "sec.{t}.revenue"),
    "pe_op": ("px.{t}.close", "sec.{t}." + SHARES, "px.{t}.split", "sec.{t}.operating_income"),
}


def expand_ticker(func: str, ticker: str, pos: Pos) -> tuple[Node, ...]:
    """The series arguments ``func(TICKER)`` is evaluated with."""
    return tuple(SeriesRef(pattern.format(t=ticker), pos=pos) for pattern in TICKER_SERIES[func])


def describe(name: str) -> str:
    """What ``name`` takes, in words: 'mean(series, n) or mean(series, window)'."""
    return " or ".join(str(sig) for sig in FUNCTIONS[name])


def functions_table() -> str:
    """The function table of docs/thesis-format.md, generated (a test keeps them equal)."""
    rows = ["| call | meaning |", "|---|---|"]
    for name in FUNCTIONS:
        for sig in FUNCTIONS[name]:
            args = [p.value for p in sig.params]
            if sig.rest is not None:
                args += [sig.rest.value, "..."]
            rows.append(f"| `{name}({', '.join(args)})` | {sig.doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(functions_table())
