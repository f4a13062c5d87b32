"""A recursive-descent parser for thesis expressions; text is never executed as Python.

Precedence, loosest first: ``or`` < ``and`` < ``not`` < comparison < ``+ -`` < ``* /`` <
unary minus < call and atom. Comparisons do not chain (``a < b < c`` is an error).

    >>> to_text(parse_expression("yoy(sec.NVDA.revenue) > 25% and not liquidity"))
    '((yoy(sec.NVDA.revenue) > 25%) and not liquidity)'

Names come out unresolved: a bare word is a :class:`Name`, a dotted one a
:class:`SeriesRef`. The loader resolves names against the thesis.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

from signalflow.errors import Location, ThesisSyntaxError
from signalflow.settings import parse_duration
from signalflow.thesis.ast import (
    COMPARISON,
    Binary,
    Call,
    Duration,
    Name,
    Node,
    Number,
    Pos,
    SeriesRef,
    Unary,
    children,
    to_text,
)
from signalflow.thesis.lexer import Tok, Token, tokenize
from signalflow.thesis.limits import MAX_DEPTH, MAX_DURATION, MAX_EXPRESSION_CHARS, MAX_NESTING, describe_duration

__all__ = ["parse_expression", "to_text"]


def parse_expression(
    text: str, path: Path | str | None = None, line: int = 1, column: int = 1
) -> Node:
    """The syntax tree of ``text``; positions are file positions when ``line``/``column``
    say where the text starts. Raises :class:`ThesisSyntaxError`."""
    if not text.strip():
        raise ThesisSyntaxError(Location(path, line, column), "empty expression")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ThesisSyntaxError(
            Location(path, line, column),
            f"expression is longer than {MAX_EXPRESSION_CHARS:,} characters",
            "define parts of it as derived series under 'series:'",
        )
    node = _Parser(tokenize(text, path, line, column), path).parse()
    deepest = _deepest(node)
    if deepest is not None:
        raise ThesisSyntaxError(
            Location(path, deepest.pos.line, deepest.pos.column),
            f"expression is more than {MAX_DEPTH} levels deep",
            "split long chains of 'and'/'or' or of '+' into derived series or separate rules",
        )
    return node


def _deepest(root: Node) -> Node | None:
    """The first node deeper than MAX_DEPTH, found without recursion, or None."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in children(node))
    return None


class _Parser:
    def __init__(self, tokens: list[Token], path: Path | str | None) -> None:
        self.tokens = tokens
        self.path = path
        self.i = 0
        self.nesting = 0

    def enter(self, tok: Token) -> None:
        """One level deeper into parentheses, a call, 'not' or a sign; the parser recurses
        once per level, so the level is bounded before the stack is."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(
                tok,
                f"expression nests more than {MAX_NESTING} levels of parentheses, calls, 'not' or signs",
                "define inner parts as derived series under 'series:'",
            )

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: Tok, *texts: str) -> bool:
        return self.tok.kind is kind and (not texts or self.tok.text in texts)

    def error(self, tok: Token, problem: str, hint: str | None = None) -> ThesisSyntaxError:
        return ThesisSyntaxError(Location(self.path, tok.line, tok.column), problem, hint)

    def unexpected(self, expected: str) -> ThesisSyntaxError:
        tok = self.tok
        got = tok.kind.value if tok.kind is Tok.END else f"{tok.text!r}"
        return self.error(tok, f"expected {expected}, got {got}")

    def parse(self) -> Node:
        node = self.or_expr()
        if not self.at(Tok.END):
            hint = "a function call needs '(' right after its name" if self.at(Tok.LPAREN) else None
            raise self.error(self.tok, f"unexpected {self.tok.text!r} after a complete expression", hint)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at(Tok.KEYWORD, "or"):
            op = self.advance()
            node = Binary("or", node, self.and_expr(), pos=_pos(op))
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.at(Tok.KEYWORD, "and"):
            op = self.advance()
            node = Binary("and", node, self.not_expr(), pos=_pos(op))
        return node

    def not_expr(self) -> Node:
        if self.at(Tok.KEYWORD, "not"):
            op = self.advance()
            self.enter(op)
            node = Unary("not", self.not_expr(), pos=_pos(op))
            self.nesting -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        if self.at(Tok.OP) and self.tok.text in COMPARISON:
            op = self.advance()
            node = Binary(op.text, node, self.additive(), pos=_pos(op))
            if self.at(Tok.OP) and self.tok.text in COMPARISON:
                raise self.error(
                    self.tok,
                    "comparisons do not chain",
                    "write 'a < b and b < c' instead of 'a < b < c'",
                )
        return node

    def additive(self) -> Node:
        node = self.term()
        while self.at(Tok.OP, "+", "-"):
            op = self.advance()
            node = Binary(op.text, node, self.term(), pos=_pos(op))
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at(Tok.OP, "*", "/"):
            op = self.advance()
            node = Binary(op.text, node, self.unary(), pos=_pos(op))
        return node

    def unary(self) -> Node:
        if self.at(Tok.OP, "-", "+"):
            op = self.advance()
            self.enter(op)
            operand = self.unary()
            self.nesting -= 1
            return Unary("-", operand, pos=_pos(op)) if op.text == "-" else operand
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind is Tok.NUMBER:
            self.advance()
            return Number(self.finite(tok, float(tok.text)), tok.text, pos=_pos(tok))
        if tok.kind is Tok.PERCENT:
            self.advance()
            return Number(self.finite(tok, float(tok.text[:-1]) / 100), tok.text, pos=_pos(tok))
        if tok.kind is Tok.DURATION:
            self.advance()
            return Duration(self.window(tok), tok.text, pos=_pos(tok))
        if tok.kind is Tok.LPAREN:
            self.advance()
            self.enter(tok)
            node = self.or_expr()
            if not self.at(Tok.RPAREN):
                raise self.unexpected("')' to close the '(' at " f"{tok.line}:{tok.column}")
            self.advance()
            self.nesting -= 1
            return node
        if tok.kind is Tok.NAME:
            self.advance()
            if self.at(Tok.LPAREN):
                return self.call(tok)
            return Name(tok.text, pos=_pos(tok))
        if tok.kind is Tok.REF:
            self.advance()
            if self.at(Tok.LPAREN):
                raise self.error(tok, f"{tok.text!r} is a series, not a function", "functions are bare names: yoy(x)")
            return SeriesRef(tok.text, pos=_pos(tok))
        if tok.kind is Tok.KEYWORD:
            raise self.error(tok, f"{tok.text!r} needs a condition on its left", None)
        raise self.unexpected("a number, a name, a function call or '('")

    def finite(self, tok: Token, value: float) -> float:
        if not math.isfinite(value):
            raise self.error(tok, f"number {tok.text} is outside the range of a float", "numbers stay below 1e308")
        return value

    def window(self, tok: Token) -> timedelta:
        """A duration literal, which is always a window: positive and at most MAX_DURATION."""
        try:
            value = parse_duration(tok.text)
        except ValueError:
            value = None
        if value is None or value > MAX_DURATION:
            raise self.error(tok, f"duration {tok.text} is too long", f"windows are at most {describe_duration(MAX_DURATION)}")
        if value <= timedelta(0):
            raise self.error(tok, f"duration {tok.text} is not positive", "a window needs a length, e.g. 30d")
        return value

    def call(self, name: Token) -> Node:
        self.advance()  # '('
        self.enter(name)
        args: list[Node] = []
        if not self.at(Tok.RPAREN):
            args.append(self.or_expr())
            while self.at(Tok.COMMA):
                self.advance()
                args.append(self.or_expr())
        if not self.at(Tok.RPAREN):
            raise self.unexpected(f"',' or ')' in the arguments of {name.text}()")
        self.advance()
        self.nesting -= 1
        return Call(name.text, tuple(args), pos=_pos(name))


def _pos(tok: Token) -> Pos:
    return Pos(tok.line, tok.column)
