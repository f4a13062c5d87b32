"""`check` across files and sources: references, prefixes, routes, review dates, the CLI."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.errors import ThesisWarning
from signalflow.settings import Settings
from signalflow.thesis.check import check_dir
from signalflow.thesis.context import thesis_refs
from signalflow.thesis.loader import load_thesis

THESIS = """\
thesis: {id}
review_by: 2027-03-31
growth:
  reason: "Revenue compounds"
  when: yoy(sec.NVDA.revenue) > 25%
liquidity:
  reason: "Credit is calm"
  when: {liquidity}
soft_warning:
  - name: wide
    when: fred.BAMLH0A0HYM2 > 5
    for: 30d
kill_switch:
  - name: delays
    when: count(news.deployment_delay, 30d) >= 2
notify: [{notify}]
"""


def write(directory: Path, name: str = "t.yaml", id: str = "demo", liquidity: str = "fred.BAMLH0A0HYM2 < 5",
          notify: str = "console", **replace: str) -> Path:
    text = THESIS.format(id=id, liquidity=liquidity, notify=notify)
    for old, new in replace.items():
        text = text.replace(old, new)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def messages(ruleset) -> list[str]:
    return [f"{p.location.line}:{p.location.column}: {p.problem}" + (f"; {p.hint}" if p.hint else "") for p in ruleset.problems]


def test_a_clean_directory_has_no_problems(tmp_path: Path, settings: Settings) -> None:
    write(tmp_path / "rules")
    ruleset = check_dir(tmp_path / "rules", settings, today=date(2026, 1, 1))
    assert ruleset.ok and not ruleset.problems
    assert [t.id for t in ruleset.theses] == ["demo"]


@pytest.mark.parametrize(
    ("liquidity", "expected"),
    [
        ("fredd.DGS10 < 5", "8:9: unknown series source 'fredd' in fredd.DGS10; did you mean 'fred'?"),
        ("fred.dgs10 < 5", "8:9: fred.dgs10: 'dgs10' is not a FRED series id"),
        ("weather.rain < 5", "8:9: unknown series source 'weather' in weather.rain; known sources:"),
    ],
)
def test_series_references_are_checked_by_their_source(tmp_path: Path, settings: Settings, liquidity: str, expected: str) -> None:
    write(tmp_path / "rules", liquidity=liquidity)
    ruleset = check_dir(tmp_path / "rules", settings, today=date(2026, 1, 1))
    assert any(m.startswith(expected) for m in messages(ruleset)), messages(ruleset)
    assert not ruleset.ok and not ruleset.theses


def test_unknown_notification_route_suggests_the_nearest(tmp_path: Path, settings: Settings) -> None:
    write(tmp_path / "rules", notify="slak")
    ruleset = check_dir(tmp_path / "rules", settings, today=date(2026, 1, 1))
    assert any("unknown route or notifier 'slak'; did you mean 'slack'?" in m for m in messages(ruleset))


def test_a_passed_review_date_is_a_warning_not_an_error(tmp_path: Path, settings: Settings) -> None:
    write(tmp_path / "rules")
    ruleset = check_dir(tmp_path / "rules", settings, today=date(2027, 4, 1))
    (warning,) = ruleset.problems
    assert isinstance(warning, ThesisWarning)
    assert "due for review by 2027-03-31" in str(warning)
    assert ruleset.ok and [t.id for t in ruleset.theses] == ["demo"]


def test_series_refs_lists_what_the_daemon_collects(tmp_path: Path) -> None:
    thesis = load_thesis(write(tmp_path))
    assert thesis_refs(thesis) == {"sec.NVDA.revenue", "fred.BAMLH0A0HYM2", "news.deployment_delay"}


def test_cli_prints_file_line_column_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path / "rules", "a.yaml", liquidity="fred.BAMLH0A0HYM2 < liquidty")
    write(tmp_path / "rules", "b.yaml")
    write(tmp_path / "rules", "c.yaml")  # same id as b.yaml
    result = CliRunner().invoke(app, ["check", str(tmp_path / "rules")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'rules' / 'a.yaml'}:8:29: error: unknown name 'liquidty'; did you mean 'liquidity'?" in result.output
    assert f"{tmp_path / 'rules' / 'c.yaml'}:1:1: error: duplicate thesis id 'demo': also defined in {tmp_path / 'rules' / 'b.yaml'}" in result.output
    assert "2 error(s)" in result.output


def test_cli_json_and_default_rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "myrules", **{"review_by: 2027-03-31": "review_by: 2020-01-01"})
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(tmp_path / "myrules"))
    result = CliRunner().invoke(app, ["check", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["theses"] == ["demo"]
    (problem,) = data["problems"]
    assert problem["severity"] == "warning" and problem["line"] == 1


def test_cli_on_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "rules directory not found" in result.output
    assert "Traceback" not in result.output
