"""Thesis files to Thesis values: every key, positions in the file, and every problem."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from signalflow.errors import CheckFailed
from signalflow.thesis.ast import Call, DerivedRef, Pos, RuleRef, walk
from signalflow.thesis.loader import load_files, load_rules_dir, load_thesis, read_thesis
from signalflow.thesis.model import Severity

VALID = """\
thesis: demo
title: "Demo thesis"
owner: me@example.com
layer: compute
review_by: 2027-03-31
links: ["https://example.com/a"]
position:
  first_tranche: "1/3"
every: 6h
series:
  capex: sum(sec.MSFT.capex, sec.GOOGL.capex)
  spread:
    expr: fred.BAMLH0A0HYM2 - 3
    stale_after: 10d
growth:
  reason: "Capex compounds"
  when: yoy(capex) > 25%
liquidity:
  reason: "Credit is calm"
  when: spread < 2 and change(fred.DGS10, 90d) < 0.75
soft_warning:
  - name: liquidity_lost
    when: not liquidity
    for: 30d
    summary: "Liquidity is gone"
  - name: capex_slows
    when: mean(capex, 4) < lag(capex, 4)
    for: 2 releases
kill_switch:
  - name: delays
    when: count(news.deployment_delay, 30d) >= 2 and liquidity_lost
    keep_firing_for: 30d
    resolve_when: count(news.deployment_delay, 60d) == 0
    stale_after: 3d
notify: [slack]
hypotheses:
  - name: spread_stays_calm
    claim: "Credit spreads stay below 5"
    verify: spread < 5
    by: 2027-01-01
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_thesis_loads_every_key(tmp_path: Path) -> None:
    thesis = load_thesis(write(tmp_path, VALID))
    assert (thesis.id, thesis.title, thesis.owner, thesis.layer) == ("demo", "Demo thesis", "me@example.com", "compute")
    assert thesis.review_by == date(2027, 3, 31)
    assert thesis.links == ("https://example.com/a",)
    assert thesis.position == {"first_tranche": "1/3"}
    assert thesis.every == timedelta(hours=6)
    assert thesis.notify == ("slack",)
    assert [(h.name, h.verify_text) for h in thesis.hypotheses] == [("spread_stays_calm", "spread < 5")]
    assert thesis.series["spread"].stale_after == timedelta(days=10)
    assert thesis.growth.reason == "Capex compounds"
    assert [r.name for r in thesis.soft_warning] == ["liquidity_lost", "capex_slows"]
    soft, releases = thesis.soft_warning
    assert soft.severity is Severity.SOFT_WARNING and soft.for_.duration == timedelta(days=30)
    assert soft.summary == "Liquidity is gone"
    assert releases.for_.releases == 2 and releases.for_.duration is None
    kill = thesis.kill_switch[0]
    assert kill.severity is Severity.KILL_SWITCH
    assert kill.keep_firing_for == timedelta(days=30)
    assert kill.stale_after == timedelta(days=3)
    assert kill.resolve_when is not None and kill.resolve_when_text == "count(news.deployment_delay, 60d) == 0"


def test_names_resolve_to_derived_series_and_rules(tmp_path: Path) -> None:
    thesis = load_thesis(write(tmp_path, VALID))
    kill = thesis.kill_switch[0]
    assert [n.name for n in walk(kill.when) if isinstance(n, RuleRef)] == ["liquidity_lost"]
    assert [n.name for n in walk(thesis.soft_warning[0].when) if isinstance(n, RuleRef)] == ["liquidity"]
    assert {n.name for n in walk(thesis.growth.when) if isinstance(n, DerivedRef)} == {"capex"}


def test_calls_carry_the_resolved_overload(tmp_path: Path) -> None:
    thesis = load_thesis(write(tmp_path, VALID))
    impls = {n.impl for r in thesis.rules for n in walk(r.when) if isinstance(n, Call)}
    assert impls == {"mean_n", "lag", "count"}
    assert {n.impl for n in walk(thesis.series["capex"].expr) if isinstance(n, Call)} == {"sum"}


def test_positions_are_file_positions(tmp_path: Path) -> None:
    thesis = load_thesis(write(tmp_path, VALID))
    when = thesis.growth.when  # line 17: "  when: yoy(capex) > 25%"
    assert when.pos == Pos(17, 20)
    assert thesis.growth.location.line == 15
    assert thesis.soft_warning[0].location.line == 22


@pytest.mark.parametrize("style", ["|", ">", "|-", ">+"])
def test_block_scalar_positions(tmp_path: Path, style: str) -> None:
    text = VALID.replace(
        "  when: yoy(capex) > 25%\n",
        f"  when: {style}\n    yoy(capex)\n      > 25%\n",
    )
    thesis = load_thesis(write(tmp_path, text))
    assert thesis.growth.when.pos == Pos(19, 7)  # the '>' on the second content line
    assert thesis.growth.when_text == "yoy(capex) > 25%"


def test_quoted_scalar_positions(tmp_path: Path) -> None:
    text = VALID.replace('  when: yoy(capex) > 25%\n', '  when: "yoy(capex) > 25%"\n')
    assert load_thesis(write(tmp_path, text)).growth.when.pos == Pos(17, 21)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    _, problems = read_thesis(write(tmp_path, text))
    return [f"{p.location.line}:{p.location.column}: {p.problem}" + (f"; {p.hint}" if p.hint else "") for p in problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("owner:", "ownr:", "3:1: unknown key 'ownr' in a thesis file; did you mean 'owner'?"),
        ("    for: 30d\n", "    fro: 30d\n", "24:5: unknown key 'fro' in a soft_warning rule; did you mean 'for'?"),
        ("layer: compute", "layer: compte", "4:8: unknown layer 'compte'; did you mean 'compute'?"),
        ("review_by: 2027-03-31", "review_by: soon", "5:12: review_by must be a date"),
        ("every: 6h", "every: often", "9:8: every: 'often' is not a duration"),
        ("    for: 30d\n", "    for: 2 quarters\n", "24:10: rule liquidity_lost: for: '2 quarters' is neither a duration nor 'N releases'"),
        ("links: [\"https://example.com/a\"]", "links: {a: b}", "6:8: links must be a list of texts"),
        ('  reason: "Capex compounds"', '  reason: ""', "16:11: growth.reason is empty"),
        ('  reason: "Credit is calm"\n', "", "18:1: liquidity is missing 'reason'"),
        ("yoy(capex) > 25%", "yoyy(capex) > 25%", "17:9: unknown function 'yoyy'; did you mean 'yoy'?"),
        ("yoy(capex) > 25%", "yoy(capx) > 25%", "17:13: unknown name 'capx'; did you mean 'capex'?"),
        ("yoy(capex) > 25%", "yoy(capex, 4) > 25%", "17:9: wrong number of arguments: yoy got 2; yoy takes yoy(series)"),
        ("yoy(capex) > 25%", "mean(capex, 4%) > 25%", "17:9: mean(series, series) does not match the function table; mean takes mean(series, n) or mean(series, window)"),
        ("yoy(capex) > 25%", "yoy(capex) > liquidity", "17:20: a number compared with a boolean"),
        ("yoy(capex) > 25%", "yoy(capex)", "17:9: growth.when must be a condition (true/false), but yoy(capex) is a number"),
        ("yoy(capex) > 25%", "capex > 30d", "17:17: a duration (30d) is only valid as a function argument"),
        ("yoy(capex) > 25%", "news.order_cut > 1", "17:9: news.order_cut is an event stream, not a number"),
        ("yoy(capex) > 25%", "sum(news.order_cut, 30d) > 1", "17:9: sum(events, window) does not match"),
        ("yoy(capex) > 25%", "yoy(capex) > 25% and 3", "17:26: 'and' needs conditions on both sides, but 3 is a number"),
        ("yoy(capex) > 25%", "yoy(capex) > 25% <", "17:26: comparisons do not chain"),
        ("    when: not liquidity\n", "    when: not liquidty\n", "23:15: unknown name 'liquidty'; did you mean 'liquidity'?"),
        ("  - name: capex_slows", "  - name: liquidity_lost", "26:11: duplicate rule name 'liquidity_lost'"),
        ("  - name: capex_slows", "  - name: capex", "26:11: rule 'capex' has the name of a derived series"),
        ("  - name: capex_slows", "  - name: growth", "26:11: rule name 'growth' is reserved"),
        ("  - name: capex_slows", "  - name: " + "c" * 101, "26:11: rule name cccccccccccccccccccc... is longer than 100 characters"),
        ("thesis: demo", "thesis: Demo-1", "1:9: thesis id 'Demo-1' must be lowercase"),
        ("title: \"Demo thesis\"", "title: [a]", "2:8: title must be text, not a list"),
    ],
)
def test_problems_name_line_and_column(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in VALID
    found = problems_of(tmp_path, VALID.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_a_rule_name_of_100_characters_is_kept_whole(tmp_path: Path) -> None:
    assert problems_of(tmp_path, VALID.replace("  - name: capex_slows", "  - name: " + "c" * 100, 1)) == []


def test_every_problem_is_collected_not_just_the_first(tmp_path: Path) -> None:
    text = VALID.replace("owner:", "ownr:").replace("yoy(capex)", "yoyy(capex)").replace("not liquidity", "not liquidty")
    found = problems_of(tmp_path, text)
    assert len(found) == 3, found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: empty file"),
        ("- a\n- b\n", "1:1: a thesis file must be a mapping"),
        ("thesis: [unclosed\n", "2:1: not valid YAML"),
        ("thesis: a\nthesis: b\n", "2:1: duplicate key 'thesis'"),
        ("just text\n", "1:1: a thesis file must be a mapping"),
    ],
)
def test_files_that_are_not_thesis_mappings(tmp_path: Path, text: str, expected: str) -> None:
    found = problems_of(tmp_path, text)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize("section", ["soft_warning", "kill_switch"])
def test_a_thesis_needs_a_rule_of_each_severity(tmp_path: Path, section: str) -> None:
    start = VALID.index(f"{section}:")
    end = VALID.index("kill_switch:") if section == "soft_warning" else VALID.index("notify:")
    found = problems_of(tmp_path, VALID[:start] + VALID[end:])
    assert any(f"a thesis needs at least one {section} rule" in p for p in found), found


def test_cycles_between_derived_series_and_between_rules(tmp_path: Path) -> None:
    text = VALID.replace(
        "  capex: sum(sec.MSFT.capex, sec.GOOGL.capex)\n",
        "  capex: sum(sec.MSFT.capex, other)\n  other: capex * 2\n",
    ).replace("    when: not liquidity\n", "    when: not liquidity or delays\n")
    found = problems_of(tmp_path, text)
    assert any("derived series refer to each other in a cycle: capex -> other -> capex" in p for p in found), found
    assert any("conditions refer to each other in a cycle: delays -> liquidity_lost -> delays" in p for p in found), found


def test_load_thesis_raises_check_failed_with_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("owner:", "ownr:").replace("layer: compute", "layer: x"))
    with pytest.raises(CheckFailed) as info:
        load_thesis(path)
    assert len(info.value.problems) == 2
    assert str(path) in str(info.value)


def test_rules_dir_reports_duplicate_ids_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    ruleset = load_rules_dir(tmp_path)
    assert [t.id for t in ruleset.theses] == ["demo"]
    (problem,) = ruleset.errors
    assert str(tmp_path / "b.yaml") in str(problem) and str(tmp_path / "a.yaml") in str(problem)


def test_rules_dir_keeps_good_theses_beside_broken_ones(tmp_path: Path) -> None:
    write(tmp_path, VALID, "good.yaml")
    write(tmp_path, VALID.replace("thesis: demo", "thesis: other").replace("owner:", "ownr:"), "bad.yaml")
    ruleset = load_rules_dir(tmp_path)
    assert [t.id for t in ruleset.theses] == ["demo"]
    assert len(ruleset.errors) == 1 and not ruleset.ok
    with pytest.raises(CheckFailed):
        ruleset.raise_for_errors()


def test_missing_rules_dir_is_one_clear_problem(tmp_path: Path) -> None:
    ruleset = load_rules_dir(tmp_path / "nope")
    assert "rules directory not found" in str(ruleset.errors[0])
    assert load_files([]).ok
