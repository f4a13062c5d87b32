"""Readable anywhere: at 80 columns tables drop low-priority columns instead of cutting every
cell, data and messages are never read as rich markup, percents read as percents, time in
a state reads in whole days, and a backtest announces only what the live path would."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.cli.tables import Col, fit_table
from signalflow.series import Batch, Observation
from signalflow.thesis.explain import _notifications
from signalflow.thesis.results import RuleState, Transition


def _render(table, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_a_narrow_table_drops_low_priority_columns_and_keeps_the_rest_whole() -> None:
    rows = [["hyperscaler_capex", "ok", "fred.BAMLH0A0HYM2 (2026-08-01, stale)", "sec.MSFT.capex, sec.GOOGL.capex"]]
    columns = [Col("thesis", no_wrap=True), Col("state"), Col("stalest input", 3), Col("pending", 1)]
    wide = _render(fit_table(columns, rows, width=200), 200)
    assert "fred.BAMLH0A0HYM2" in wide and "not shown" not in wide
    narrow = _render(fit_table(columns, rows, width=40), 40)
    assert "hyperscaler_capex" in narrow and "…" not in narrow
    assert "not shown at this width: stalest input" in " ".join(narrow.split())
    assert max(len(line) for line in narrow.splitlines()) <= 40


def test_a_dropped_group_column_becomes_a_heading_row_per_group() -> None:
    # The board groups theses by layer: when the layer column does not fit, each layer
    # heads its own rows instead of vanishing from the board.
    rows = [["compute", "nvda_valuation", "ok", "fred.BAMLH0A0HYM2 (no value)"],
            ["", "memory_hbm", "soft_warning", "fred.BAMLH0A0HYM2 (no value)"],
            ["power", "power_bottleneck", "kill_switch", "grid.ercot.queue_mw (2026-08-01, stale)"]]
    columns = [Col("layer", 4), Col("thesis", no_wrap=True), Col("state", no_wrap=True), Col("stalest input", 6)]
    wide = _render(fit_table(columns, rows, width=200, group=0), 200)
    assert [line.split("│")[1].strip() for line in wide.splitlines() if line.startswith("│")] == ["compute", "", "power"]
    narrow = _render(fit_table(columns, rows, width=40, group=0), 40)
    firsts = [line.split("│")[1].strip() for line in narrow.splitlines() if line.startswith("│")]
    assert firsts == ["compute", "nvda_valuation", "memory_hbm", "power", "power_bottleneck"]
    caption = " ".join(narrow.split())
    assert "stalest input" in caption and "layer" not in caption.split("not shown at this width:")[1]
    assert max(len(line) for line in narrow.splitlines()) <= 40


def test_cells_are_data_not_markup() -> None:
    rows = [["csv", "add a [[tabular]] table with name = 'x' [bold]now[/bold]"]]
    text = _render(fit_table([Col("source"), Col("last error")], rows))
    assert "[[tabular]]" in " ".join(text.split()) and "[bold]now[/bold]" in text


THESIS = {
    "thesis": "stretch",
    "title": "price stretch",
    "growth": {"reason": "g", "when": "csv.p > 0"},
    "liquidity": {"reason": "l", "when": "csv.p > 0"},
    "soft_warning": [{"name": "stretched", "when": "csv.p > 40%"}],
    "kill_switch": [{"name": "blowoff", "when": "csv.p > 90%"}],
}


@pytest.fixture
def stretch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "stretch.yaml").write_text(yaml.safe_dump(THESIS, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("COLUMNS", "80")
    obs = []
    for i in range(60):
        day = date(2025, 1, 1) + timedelta(days=i)
        value = 0.598 if day >= date(2025, 1, 20) else 0.1
        obs.append(Observation("csv.p", day, day, value, datetime.combine(day, datetime.min.time()) + timedelta(hours=12)))
    store = Store.open(url)
    store.add_batch(Batch(observations=obs))
    store.close()
    return tmp_path


def test_explain_reads_percent_as_percent_and_keeps_the_severity_tag(stretch: Path) -> None:
    result = CliRunner().invoke(app, ["explain", "stretch", "--as-of", "2025-02-10"])
    assert result.exit_code == 0, result.output
    assert "csv.p = 59.8% > 40% holds" in result.stdout
    assert "[soft_warning] stretched" in result.stdout
    assert "[kill_switch] blowoff" in result.stdout


def test_backtest_time_in_state_is_in_whole_days(stretch: Path) -> None:
    result = CliRunner().invoke(app, ["backtest", "stretch", "--from", "2025-01-01", "--to", "2025-02-15"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "time in state" in x)
    states = dict(part.strip().split(" ") for part in line.split(":", 1)[1].split(","))
    assert all(v.endswith("d") and v[:-1].isdigit() for v in states.values()), line
    data = json.loads(CliRunner().invoke(app, ["backtest", "stretch", "--from", "2025-01-01", "--to", "2025-02-15",
                                               "--json"]).stdout)[0]
    assert sum(int(v[:-1]) for v in states.values()) == round(sum(data["days_in_state"].values()))


def _tr(day: int, rule: str, severity: str, start: RuleState, end: RuleState) -> Transition:
    return Transition(datetime(2025, 1, day), "t", rule, severity, start, end)


F, I = RuleState.FIRING, RuleState.INACTIVE


def test_a_soft_warning_held_back_by_a_kill_switch_is_never_resolved_unannounced() -> None:
    events = _notifications([
        _tr(1, "kill", "kill_switch", I, F),
        _tr(2, "soft", "soft_warning", I, F),  # held back: the Kill Switch fires
        _tr(3, "soft", "soft_warning", F, I),  # never announced: no "resolved"
        _tr(4, "kill", "kill_switch", F, I),
    ])
    assert [(e["rule"], e["event"]) for e in events] == [("kill", "firing"), ("kill", "resolved")]


def test_a_held_back_soft_warning_is_announced_when_the_kill_switch_stops() -> None:
    events = _notifications([
        _tr(1, "kill", "kill_switch", I, F),
        _tr(2, "soft", "soft_warning", I, F),
        _tr(4, "kill", "kill_switch", F, I),
        _tr(6, "soft", "soft_warning", F, I),
    ])
    assert [(e["at"][:10], e["rule"], e["event"]) for e in events] == [
        ("2025-01-01", "kill", "firing"),
        ("2025-01-04", "kill", "resolved"),
        ("2025-01-04", "soft", "firing"),
        ("2025-01-06", "soft", "resolved"),
    ]


def test_import_prints_one_totals_line_per_source_and_the_files_with_verbose(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / f"{name}.csv").write_text("date,value\n2026-01-01,1\n2026-02-01,2\n")
    (tmp_path / "broken.csv").write_text("this is not a series\n")
    files = [str(tmp_path / f"{n}.csv") for n in ("alpha", "beta", "gamma", "broken")]
    result = CliRunner().invoke(app, ["import", *files])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["csv: 3 files, 6 new observations, 3 series", "not imported: 1 file (listed below)"]
    assert "importing" not in result.output  # no progress bar off a terminal
    assert result.output.count("broken.csv") == 1  # the failure is said once
    again = CliRunner().invoke(app, ["import", "--verbose", *files[:3]])
    assert "csv: 3 files, 0 new observations, 3 series" in again.stdout
    assert "alpha.csv" in again.stdout and "new observations" in again.stdout.splitlines()[1]


def test_import_says_a_failure_shared_by_many_files_once_and_names_each_file(tmp_path: Path, monkeypatch) -> None:
    # The FRED history holds saved 429 replies: one reason, seven files, each still named.
    monkeypatch.setenv("COLUMNS", "80")
    limited = '{"error_code":429,"error_message":"Too Many Requests.  Exceeded Rate Limit"}'
    history = tmp_path / "history"
    for series in ("DGS10", "M2SL"):
        (history / series).mkdir(parents=True)
        (history / series / "2026-05-30T15-04-40-00-00_482e2529f1.json").write_text(limited)
    result = CliRunner().invoke(app, ["import", str(history)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: 2 files: API error 429")
    assert f"  in {history}:" in result.stderr.splitlines()
    assert {"    DGS10/2026-05-30T15-04-40-00-00_482e2529f1.json", "    M2SL/2026-05-30T15-04-40-00-00_482e2529f1.json"} <= set(
        result.stderr.splitlines())
    # one file named relative to the working folder, one absolute: still one folder, no crash
    monkeypatch.chdir(history)
    mixed = CliRunner().invoke(app, ["import", "DGS10", str(history / "M2SL")])
    assert mixed.exit_code == 1 and mixed.exception is None or isinstance(mixed.exception, SystemExit), mixed.output
    assert f"  in {history}:" in mixed.stderr.splitlines() and "error: 2 files: API error 429" in mixed.stderr


def test_status_prints_a_stored_hint_with_brackets_as_written(tmp_path: Path, monkeypatch) -> None:
    from signalflow.store import Store

    url = f"sqlite:///{tmp_path / 'st.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(tmp_path / "rules"))
    monkeypatch.setenv("COLUMNS", "80")
    (tmp_path / "rules").mkdir()
    store = Store.open(url)
    store.record_source_result("csv", ok=False, error="csv.x is not configured: add a [[tabular]] table [red]now[/]")
    store.close()
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "[[tabular]] table [red]now[/]" in result.stdout and "a [] table" not in result.stdout
