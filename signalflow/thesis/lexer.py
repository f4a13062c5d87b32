"""Tokens of the thesis expression language.

The lexer knows where each token sits in the file: the first line of the text starts at
(``line``, ``column``), later lines at column 1, so the loader can hand it the raw text of a
YAML scalar (block scalars included) and every error lands on the right character.
"""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass
from pathlib import Path

from signalflow.errors import Location, ThesisSyntaxError


class Tok(str, enum.Enum):
    NUMBER = "number"
    PERCENT = "percentage"
    DURATION = "duration"
    NAME = "name"  # bare: growth, net_liquidity, yoy
    REF = "series reference"  # dotted: fred.DGS10, news.power_contract[MSFT].mw
    KEYWORD = "keyword"  # and or not
    OP = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    END = "end of expression"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Tok
    text: str
    line: int
    column: int


KEYWORDS = frozenset({"and", "or", "not"})
DURATION_UNITS = frozenset("smhdwy")

# ASCII only: str.isdigit() is true for '²' and '١', which no float() reading should see.
_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEGMENT = re.compile(r"[A-Za-z0-9_]+", re.ASCII)
_FILTER = re.compile(r"\[([A-Za-z0-9_.\-]+)\]")
_OPERATORS = ("<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/")
_SINGLE = {"(": Tok.LPAREN, ")": Tok.RPAREN, ",": Tok.COMMA}


class _Cursor:
    """Position bookkeeping over the text: offset to (line, column) in the file."""

    def __init__(self, text: str, path: Path | str | None, line: int, column: int) -> None:
        self.text = text
        self.path = path
        self.line0 = line
        self.column0 = column
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def where(self, offset: int) -> tuple[int, int]:
        # A binary search keeps tokenizing linear in practice: a scan per token made a
        # 16,000-line expression take tens of seconds.
        index = bisect.bisect_right(self.line_starts, offset) - 1
        col = offset - self.line_starts[index] + 1
        if index == 0:
            return self.line0, self.column0 + col - 1
        return self.line0 + index, col

    def error(self, offset: int, problem: str, hint: str | None = None) -> ThesisSyntaxError:
        line, col = self.where(offset)
        return ThesisSyntaxError(Location(self.path, line, col), problem, hint)


def tokenize(
    text: str, path: Path | str | None = None, line: int = 1, column: int = 1
) -> list[Token]:
    """The tokens of ``text``, ending with an END token; raises ThesisSyntaxError."""
    cur = _Cursor(text, path, line, column)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch in _DIGITS or (ch == "." and i + 1 < len(text) and text[i + 1] in _DIGITS):
            i, token = _number(text, i, cur)
        elif ch in _LETTERS:
            i, token = _word(text, i, cur)
        elif ch in _SINGLE:
            i, token = i + 1, (_SINGLE[ch], ch)
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                hint = "use 'and', 'or', 'not'" if ch in "&|!" else None
                if ch == "=":
                    hint = "compare with '=='"
                raise cur.error(i, f"unexpected character {ch!r}", hint)
            i, token = i + len(op), (Tok.OP, op)
        tok_line, tok_col = cur.where(start)
        tokens.append(Token(token[0], token[1], tok_line, tok_col))
    end_line, end_col = cur.where(len(text))
    tokens.append(Token(Tok.END, "", end_line, end_col))
    return tokens


def _number(text: str, i: int, cur: _Cursor) -> tuple[int, tuple[Tok, str]]:
    match = _NUMBER.match(text, i)
    assert match is not None  # the caller saw a digit
    end = match.end()
    if end < len(text) and text[end] == "%":
        return end + 1, (Tok.PERCENT, text[i : end + 1])
    unit = _WORD.match(text, end)
    if unit is None:
        return end, (Tok.NUMBER, text[i:end])
    if unit.group() in DURATION_UNITS:
        return unit.end(), (Tok.DURATION, text[i : unit.end()])
    raise cur.error(
        end,
        f"unknown unit {unit.group()!r} after {text[i:end]}",
        "durations use s, m, h, d, w or y (30d, 12w, 1y); percentages use %",
    )


def _word(text: str, i: int, cur: _Cursor) -> tuple[int, tuple[Tok, str]]:
    match = _WORD.match(text, i)
    assert match is not None
    end = match.end()
    dotted = False
    while end < len(text) and text[end] == ".":
        segment = _SEGMENT.match(text, end + 1)
        if segment is None:
            raise cur.error(end + 1, f"a name must follow '.' in {text[i:end + 1]!r}")
        end = segment.end()
        dotted = True
    if end < len(text) and text[end] == "[":
        flt = _FILTER.match(text, end)
        if flt is None:
            raise cur.error(end, "a company filter is written [TICKER], e.g. news.power_contract[MSFT]")
        if not dotted:
            raise cur.error(end, f"{text[i:end]!r} is not an event stream; filters apply to news.EVENT[TICKER]")
        end = flt.end()
        if end < len(text) and text[end] == ".":
            segment = _SEGMENT.match(text, end + 1)
            if segment is None:
                raise cur.error(end + 1, "a field name must follow '.' after the filter, e.g. [MSFT].mw")
            end = segment.end()
    word = text[i:end]
    if word in KEYWORDS:
        return end, (Tok.KEYWORD, word)
    return end, (Tok.REF if dotted else Tok.NAME, word)
