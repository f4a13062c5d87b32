"""The expression grammar: precedence, literals, references, positions and syntax errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from signalflow.errors import ThesisSyntaxError
from signalflow.thesis.ast import Binary, Call, Duration, Name, Number, Pos, SeriesRef, Unary, to_text, walk
from signalflow.thesis.parser import parse_expression


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a or b and c", "(a or (b and c))"),
        ("not a and b", "(not a and b)"),
        ("not a < 1", "not (a < 1)"),
        ("a + b * c", "(a + (b * c))"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b * c", "((a / b) * c)"),
        ("-a * b", "(-a * b)"),
        ("- -a", "--a"),
        ("(a + b) * c", "((a + b) * c)"),
        ("a + b > c * 2 or not d", "(((a + b) > (c * 2)) or not d)"),
        ("x <= 1 and y != 2", "((x <= 1) and (y != 2))"),
        ("yoy(sec.NVDA.revenue) > 25%", "(yoy(sec.NVDA.revenue) > 25%)"),
        ("fred.WALCL - fred.WTREGEN - fred.RRPONTSYD * 1000", "((fred.WALCL - fred.WTREGEN) - (fred.RRPONTSYD * 1000))"),
        ("sum(a, b, c)", "sum(a, b, c)"),
        ("count(news.power_contract[MSFT], 30d) >= 1", "(count(news.power_contract[MSFT], 30d) >= 1)"),
        ("sum(news.power_contract[MSFT].mw, 12w)", "sum(news.power_contract[MSFT].mw, 12w)"),
        ("max(abs(x), 0)", "max(abs(x), 0)"),
        ("f()", "f()"),
    ],
)
def test_precedence_and_canonical_text(text: str, canonical: str) -> None:
    assert to_text(parse_expression(text)) == canonical


@pytest.mark.parametrize(
    ("text", "value", "literal"),
    [
        ("0.25", 0.25, "0.25"),
        ("1.2e9", 1.2e9, "1.2e9"),
        ("25%", 0.25, "25%"),
        ("2.5%", 0.025, "2.5%"),
        (".5", 0.5, ".5"),
        ("3E-2", 0.03, "3E-2"),
    ],
)
def test_numbers_and_percentages(text: str, value: float, literal: str) -> None:
    node = parse_expression(text)
    assert isinstance(node, Number)
    assert node.value == pytest.approx(value)
    assert node.text == literal


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("6h", timedelta(hours=6)),
        ("30d", timedelta(days=30)),
        ("12w", timedelta(weeks=12)),
        ("1y", timedelta(days=365)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    node = parse_expression(f"change(x, {text})")
    assert isinstance(node, Call)
    duration = node.args[1]
    assert isinstance(duration, Duration)
    assert (duration.delta, duration.text) == (delta, text)


@pytest.mark.parametrize(
    ("text", "ref", "source", "stream", "company", "field"),
    [
        ("fred.DGS10", "fred.DGS10", "fred", "fred.DGS10", None, None),
        ("sec.MSFT.capex", "sec.MSFT.capex", "sec", "sec.MSFT", None, "capex"),
        ("news.power_contract", "news.power_contract", "news", "news.power_contract", None, None),
        ("news.power_contract.mw", "news.power_contract.mw", "news", "news.power_contract", None, "mw"),
        ("news.power_contract[MSFT]", "news.power_contract[MSFT]", "news", "news.power_contract", "MSFT", None),
        ("news.power_contract[MSFT].mw", "news.power_contract[MSFT].mw", "news", "news.power_contract", "MSFT", "mw"),
    ],
)
def test_series_references(text, ref, source, stream, company, field) -> None:
    node = parse_expression(text)
    assert isinstance(node, SeriesRef)
    assert (node.ref, node.source, node.stream, node.company, node.field) == (ref, source, stream, company, field)


def test_bare_names_stay_unresolved() -> None:
    node = parse_expression("growth and not liquidity_lost")
    names = [n.name for n in walk(node) if isinstance(n, Name)]
    assert names == ["growth", "liquidity_lost"]


def test_positions_point_at_each_token() -> None:
    node = parse_expression("yoy(sec.NVDA.revenue) > 25%", line=7, column=11)
    assert isinstance(node, Binary)
    assert node.pos == Pos(7, 33)  # the operator
    call = node.left
    assert isinstance(call, Call) and call.pos == Pos(7, 11)
    assert call.args[0].pos == Pos(7, 15)
    assert node.right.pos == Pos(7, 35)


def test_positions_on_later_lines_start_at_column_one() -> None:
    node = parse_expression("a > 1\n    and not b", line=3, column=5)
    assert isinstance(node, Binary)
    assert node.pos == Pos(4, 5)
    assert isinstance(node.right, Unary)
    assert node.right.operand.pos == Pos(4, 13)


def test_positions_do_not_affect_equality() -> None:
    assert parse_expression("a + 1", line=1) == parse_expression("a  +  1", line=9, column=4)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a < b < c", 7, "comparisons do not chain"),
        ("yoy(x", 6, "expected ',' or ')'"),
        ("(a + b", 7, "expected ')'"),
        ("fred.DGS10(1)", 1, "is a series, not a function"),
        ("30q", 3, "unknown unit 'q'"),
        ("a = b", 3, "unexpected character '='"),
        ("a && b", 3, "unexpected character '&'"),
        ("a +", 4, "expected a number"),
        ("a b", 3, "unexpected 'b' after a complete expression"),
        ("", 1, "empty expression"),
        ("and a", 1, "'and' needs a condition"),
        ("fred.", 6, "a name must follow '.'"),
        ("news.power_contract[MSFT", 20, "company filter"),
        ("__import__('os')", 12, "unexpected character"),
        ("x.__class__()", 1, "a series, not a function"),
    ],
)
def test_syntax_errors_name_position(text: str, column: int, message: str) -> None:
    with pytest.raises(ThesisSyntaxError) as info:
        parse_expression(text, path="rules/t.yaml", line=4, column=1)
    assert message in str(info.value)
    assert info.value.location.path == "rules/t.yaml"
    assert (info.value.location.line, info.value.location.column) == (4, column)


def test_text_is_never_executed() -> None:
    with pytest.raises(ThesisSyntaxError):
        parse_expression("exec('1')[0]")


def test_a_node_keeps_its_hash_and_forgets_it_when_copied_or_unpickled():
    import pickle
    from dataclasses import replace

    node = parse_expression("yoy(sec.MSFT.capex) > 10% and fred.X < 5")
    assert node._hash == 0
    assert hash(node) == node._hash != 0
    again = parse_expression("yoy(sec.MSFT.capex) > 10% and fred.X < 5")
    assert again == node and hash(again) == hash(node)
    # Another process hashes text differently: an unpickled tree computes its own.
    loaded = pickle.loads(pickle.dumps(node))
    assert loaded._hash == 0 and loaded == node and hash(loaded) == hash(node)
    changed = replace(node, op="or")
    assert changed._hash == 0 and changed != node and hash(changed) != hash(node)
