"""A recursive-descent parser for thesis expressions; text is never executed as Python.

Precedence, loosest first: ``or`` < ``and`` < ``not`` < comparison < ``+ -`` < ``* /`` <
unary minus < call and atom. Comparisons do not chain (``a < b < c`` is an error).

    >>> to_text(parse_expression("yoy(sec.NVDA.revenue) > 25% and not liquidity"))
    '((yoy(sec.NVDA.revenue) > 25%) and not liquidity)'

Names come out unresolved: a bare word is a :class:`Name`, a dotted one a
:class:`SeriesRef`. The loader resolves names against the thesis.
"""

from __future__ import annotations

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
    to_text,
)
from signalflow.thesis.lexer import Tok, Token, tokenize

__all__ = ["parse_expression", "to_text"]


def parse_expression(
    text: str, path: Path | str | None = None, line: int = 1, column: int = 1
) -> Node:
    """The syntax tree of ``text``; positions are file positions when ``line``/``column``
    say where the text starts. Raises :class:`ThesisSyntaxError`."""
    if not text.strip():
        raise ThesisSyntaxError(Location(path, line, column), "empty expression")
    return _Parser(tokenize(text, path, line, column), path).parse()


class _Parser:
    def __init__(self, tokens: list[Token], path: Path | str | None) -> None:
        self.tokens = tokens
        self.path = path
        self.i = 0

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
            return Unary("not", self.not_expr(), pos=_pos(op))
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
        if self.at(Tok.OP, "-"):
            op = self.advance()
            return Unary("-", self.unary(), pos=_pos(op))
        if self.at(Tok.OP, "+"):
            self.advance()
            return self.unary()
        return self.primary()

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind is Tok.NUMBER:
            self.advance()
            return Number(float(tok.text), tok.text, pos=_pos(tok))
        if tok.kind is Tok.PERCENT:
            self.advance()
            return Number(float(tok.text[:-1]) / 100, tok.text, pos=_pos(tok))
        if tok.kind is Tok.DURATION:
            self.advance()
            return Duration(parse_duration(tok.text), tok.text, pos=_pos(tok))
        if tok.kind is Tok.LPAREN:
            self.advance()
            node = self.or_expr()
            if not self.at(Tok.RPAREN):
                raise self.unexpected("')' to close the '(' at " f"{tok.line}:{tok.column}")
            self.advance()
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

    def call(self, name: Token) -> Node:
        self.advance()  # '('
        args: list[Node] = []
        if not self.at(Tok.RPAREN):
            args.append(self.or_expr())
            while self.at(Tok.COMMA):
                self.advance()
                args.append(self.or_expr())
        if not self.at(Tok.RPAREN):
            raise self.unexpected(f"',' or ')' in the arguments of {name.text}()")
        self.advance()
        return Call(name.text, tuple(args), pos=_pos(name))


def _pos(tok: Token) -> Pos:
    return Pos(tok.line, tok.column)
