"""Rule test files: literal data forms, failures reported as expected against got, bad files."""

from __future__ import annotations

import json
import textwrap
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.errors import CheckFailed
from signalflow.thesis.testfile import load_test_file, run_test_file

THESIS = """\
thesis: spread
growth:
  reason: "Always growing in this test"
  when: fred.GROWTH > 0
liquidity:
  reason: "Spreads are calm"
  when: fred.SPREAD < 5
soft_warning:
  - name: wide
    when: fred.SPREAD > 5
    for: 30d
kill_switch:
  - name: blowout
    when: fred.SPREAD > 7
"""


def write_case(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "spread.yaml").write_text(THESIS)
    path = tmp_path / "tests" / "spread.test.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("thesis_files: [../rules/spread.yaml]\ntests:\n" + textwrap.indent(textwrap.dedent(tests), "  "))
    return path


PASSING = """\
- name: wide for 30 days
  series:
    fred.GROWTH: {2025-01-01: 1}
    fred.SPREAD: {2025-01-01: 4.0, 2025-02-01: 5.5}
  expect:
    - {at: 2025-03-02, thesis: spread, state: ok, pending: [wide], firing: [], quadrant: growth only}
    - {at: 2025-03-03, thesis: spread, state: soft_warning, firing: [wide], pending: []}
"""


def test_a_passing_file(tmp_path: Path) -> None:
    (result,) = run_test_file(write_case(tmp_path, PASSING))
    assert result.ok and result.checked == 2


def test_wrong_expectations_report_expected_and_got(tmp_path: Path) -> None:
    text = PASSING.replace("state: ok, pending: [wide]", "state: kill_switch, pending: []").replace(
        "quadrant: growth only", "quadrant: neither"
    )
    (result,) = run_test_file(write_case(tmp_path, text))
    assert not result.ok
    got = {m.field: (m.expected, m.got) for m in result.mismatches}
    assert got["state"] == ("kill_switch", "ok")
    assert got["pending"] == (frozenset(), frozenset({"wide"}))
    assert got["quadrant"] == ("neither", "growth only")
    assert {str(m) for m in result.mismatches} >= {"state: expected kill_switch, got ok", "pending: expected [], got [wide]"}
    assert all(m.expectation.location.line == 8 for m in result.mismatches)


def test_explicit_known_at_hides_a_value_until_it_is_known(tmp_path: Path) -> None:
    text = """\
    - name: a late release is not seen before it is known
      series:
        fred.GROWTH: {2025-01-01: 1}
        fred.SPREAD:
          - {period: 2025-01-01, value: 4.0}
          - {period: 2025-01-02, value: 8.0, known_at: 2025-01-20}
      expect:
        - {at: 2025-01-19, thesis: spread, state: ok, firing: []}
        - {at: 2025-01-20, thesis: spread, state: kill_switch, firing: [blowout]}
    """
    (result,) = run_test_file(write_case(tmp_path, text))
    assert result.ok, result.mismatches


def test_an_instant_before_any_data_is_a_failure(tmp_path: Path) -> None:
    text = PASSING.replace("at: 2025-03-02", "at: 2024-01-01")
    (result,) = run_test_file(write_case(tmp_path, text))
    assert [m.field for m in result.mismatches] == ["evaluation"]


def test_loaded_values(tmp_path: Path) -> None:
    testfile = load_test_file(write_case(tmp_path, PASSING))
    (case,) = testfile.tests
    assert case.series["fred.SPREAD"] == ((date(2025, 1, 1), 4.0, None, None), (date(2025, 2, 1), 5.5, None, None))
    assert case.expect[0].at == datetime(2025, 3, 2)
    assert case.expect[0].firing == frozenset() and case.expect[0].pending == frozenset({"wide"})
    assert [t.id for t in testfile.theses] == ["spread"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("thesis: spread, state: ok", "thesis: sprad, state: ok", "no thesis 'sprad' in thesis_files; did you mean 'spread'?"),
        ("state: ok", "state: fine", "state 'fine' is not one of: ok, soft_warning, kill_switch"),
        ("2025-01-01: 4.0", "2025-01-01: high", "fred.SPREAD: value must be a number"),
        ("at: 2025-03-02", "at: someday", "at must be a date"),
        ("expect:", "expects:", "unknown key 'expects' in a test; did you mean 'expect'?"),
    ],
)
def test_bad_test_files_name_the_problem(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in PASSING
    with pytest.raises(CheckFailed) as info:
        load_test_file(write_case(tmp_path, PASSING.replace(old, new, 1)))
    assert expected in str(info.value)
    (result,) = run_test_file(tmp_path / "tests" / "spread.test.yaml")
    assert not result.ok and expected in result.error


def test_cli_exit_codes_and_output(tmp_path: Path) -> None:
    good = write_case(tmp_path, PASSING)
    result = CliRunner().invoke(app, ["test", str(good)])
    assert result.exit_code == 0 and "1 passed, 0 failed" in result.output
    good.write_text(good.read_text().replace("state: soft_warning", "state: ok"))
    result = CliRunner().invoke(app, ["test", str(good)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "state: expected ok, got soft_warning" in result.output
    result = CliRunner().invoke(app, ["test", str(good), "--json"])
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["tests"][0]["failures"][0] == {
        "at": "2025-03-03T00:00:00",
        "thesis": "spread",
        "location": f"{good}:9:9",
        "field": "state",
        "expected": "ok",
        "got": "soft_warning",
    }


def test_cli_missing_file_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["test", str(tmp_path / "nope.test.yaml")])
    assert result.exit_code == 1 and "no such test file" in result.output
