"""``for_each``: one file, one thesis per value of a watch list; problems said once."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalflow.settings import Settings
from signalflow.thesis.ast import SeriesRef, walk
from signalflow.thesis.check import check_dir
from signalflow.thesis.context import thesis_refs
from signalflow.thesis.loader import load_rules_dir, read_theses

TEMPLATE = """\
for_each: {{ticker: {values}}}
thesis: capex_discipline
title: "{{ticker}} capex stays disciplined"
series:
  intensity: ttm(sec.{{ticker}}.capex) / ttm(sec.{{ticker}}.{revenue})
growth:
  reason: "{{ticker}} capex still grows"
  when: yoy(sec.{{ticker}}.capex) > 10%
liquidity:
  reason: "Credit is open"
  when: fred.BAMLH0A0HYM2 {op} 5
soft_warning:
  - name: intensity_high
    when: intensity > 40%
    summary: "{{ticker}} spends over 40% of its revenue on capex"
kill_switch:
  - name: capex_cut
    when: yoy(sec.{{ticker}}.capex) < 0
"""


def write(tmp_path: Path, values: str = "[MSFT, GOOGL, ORCL]", revenue: str = "revenue", op: str = "<") -> Path:
    path = tmp_path / "rules" / "capex.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEMPLATE.format(values=values, revenue=revenue, op=op), encoding="utf-8")
    return path


def test_one_thesis_per_value_with_the_value_in_every_text_and_expression(tmp_path):
    theses, problems = read_theses(write(tmp_path))
    assert problems == []
    assert [t.id for t in theses] == ["capex_discipline[MSFT]", "capex_discipline[GOOGL]", "capex_discipline[ORCL]"]
    msft = theses[0]
    assert msft.title == "MSFT capex stays disciplined"
    assert msft.growth.reason == "MSFT capex still grows"
    assert msft.growth.when_text == "yoy(sec.MSFT.capex) > 10%"
    assert msft.soft_warning[0].summary == "MSFT spends over 40% of its revenue on capex"
    assert thesis_refs(msft) == {"sec.MSFT.capex", "sec.MSFT.revenue", "fred.BAMLH0A0HYM2"}
    assert thesis_refs(theses[2]) == {"sec.ORCL.capex", "sec.ORCL.revenue", "fred.BAMLH0A0HYM2"}
    assert msft.expansion is not None and (msft.expansion.template, msft.expansion.value) == ("capex_discipline", "MSFT")
    # Parsed once: what does not name the variable is the same object in every expansion.
    assert theses[0].liquidity.when is theses[2].liquidity.when
    # Positions in the file are the template's: {ticker} and the placeholder have one length.
    ref = next(n for n in walk(msft.growth.when) if isinstance(n, SeriesRef))
    assert (ref.pos.line, ref.pos.column) == (8, 13)


def test_named_list_and_layer_of_the_built_in_watch_list(tmp_path):
    theses, problems = read_theses(write(tmp_path, "{list: hyperscalers}"))
    assert problems == []
    assert [t.expansion.value for t in theses] == ["MSFT", "GOOGL", "AMZN", "META", "ORCL"]
    theses, problems = read_theses(write(tmp_path, "{layer: memory}"))
    assert [t.expansion.value for t in theses] == ["MU"]


def test_the_users_watch_list_is_read_through_the_setting(tmp_path):
    user = tmp_path / "watch.yaml"
    user.write_text(
        "lists:\n  mine: [NVDA, AMD]\ncompanies:\n  - {ticker: ANET, name: Arista, layer: networking}\n",
        encoding="utf-8",
    )
    write(tmp_path, "{list: mine}")
    settings = Settings(watchlist_file=user)
    assert [t.id for t in load_rules_dir(tmp_path / "rules", settings).theses] == [
        "capex_discipline[NVDA]",
        "capex_discipline[AMD]",
    ]
    # Without the user's file the list is unknown, and the message says where lists come from.
    problems = load_rules_dir(tmp_path / "rules").problems
    assert len(problems) == 1 and "no list 'mine' in the watch list" in str(problems[0])
    write(tmp_path, "{layer: networking}")
    values = [t.expansion.value for t in load_rules_dir(tmp_path / "rules", settings).theses]
    assert values == ["AVGO", "ANET"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ("{list: hyperscaler}", "no list 'hyperscaler' in the watch list; did you mean 'hyperscalers'?"),
        ("{layer: powr}", "unknown layer 'powr'"),
        ("[MSFT, MSFT]", "for_each ticker lists MSFT more than once"),
        ("[]", "for_each ticker has no values"),
        ("[MS FT]", "must be letters, digits"),
        ("{tickers: 3}", "unknown key 'tickers' in for_each ticker"),
    ],
)
def test_bad_values_are_one_clear_problem(tmp_path, values, expected):
    theses, problems = read_theses(write(tmp_path, values))
    assert theses == []
    assert len(problems) >= 1 and expected in str(problems[0])


def test_a_template_error_is_reported_once(tmp_path):
    path = write(tmp_path, "{list: hyperscalers}", op=">>")
    ruleset = check_dir(path, Settings())
    assert [str(p) for p in ruleset.errors] == [
        f"{path}:11:28: expected a number, a name, a function call or '(', got '>' (for_each template: every ticker)"
    ]
    assert ruleset.theses == ()


def test_a_source_problem_every_value_has_is_said_once_with_the_variable(tmp_path):
    ruleset = check_dir(write(tmp_path, revenue="revenuee"), Settings())
    assert len(ruleset.errors) == 1
    text = str(ruleset.errors[0])
    assert "sec.{ticker}.revenuee: unknown SEC metric 'revenuee'" in text and "every ticker" in text


def test_a_problem_of_one_value_names_that_value_and_keeps_the_others(tmp_path):
    ruleset = check_dir(write(tmp_path, "[MSFT, TOOLONGTICKER1, ORCL]"), Settings())
    assert ruleset.errors and all("for_each: ticker TOOLONGTICKER1" in str(p) for p in ruleset.errors)
    assert all("every ticker" not in str(p) for p in ruleset.errors)
    assert [t.id for t in ruleset.theses] == ["capex_discipline[MSFT]", "capex_discipline[ORCL]"]


def test_an_id_the_store_cannot_keep_is_a_problem(tmp_path):
    theses, problems = read_theses(write(tmp_path, "[" + "A" * 95 + "]"))
    assert theses == [] and "longer than 100 characters" in str(problems[-1])
