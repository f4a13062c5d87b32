"""`backtest` shows when a plan's adds would have been announced, withheld (and why) and
cleared, by the same steps the daemon takes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fakes.planned import LAST_DAY, observe, write_rules
from signalflow.cli import app
from signalflow.store import Store


def test_backtest_shows_adds_announced_and_withheld(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bt.db'}"
    store = Store.open(url)
    for day in range(LAST_DAY + 1):
        observe(store, day)
    store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    rules = write_rules(tmp_path)
    args = ["backtest", "planned", "--rules", str(rules), "--to", "2025-01-21"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.output)
    assert [(e["at"][:10], e["event"], e["why"]) for e in summary["plan"]] == [
        ("2025-01-14", "withheld", "a Soft Warning fires"),
        ("2025-01-15", "announced", ""),
        ("2025-01-17", "cleared", ""),
        ("2025-01-18", "withheld", "the price is stretched"),
        ("2025-01-19", "announced", ""),
        ("2025-01-20", "cleared", ""),
    ]
    text = CliRunner().invoke(app, args).output
    assert "plan adds: 6 changes" in text
    assert "2025-01-14 00:00  add 1 withheld (a Soft Warning fires)" in text
    assert "2025-01-19 00:00  add 1 announced" in text
