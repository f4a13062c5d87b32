"""The CLI over a ``for_each`` file: a backtest of the template id replays every expansion,
one expansion by its own id; explain asks for one."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo
from signalflow.store import Store

from ..conftest import PROJECT_ROOT

FILED_AFTER = timedelta(days=30)
QUARTERS = [date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31), date(2025, 3, 31)]


def store_with(url: str, values: dict[str, list[float]]) -> None:
    store = Store.open(url)
    try:
        observations = [
            Observation(key, q, q, v, datetime(q.year, q.month, q.day) + FILED_AFTER, "", "", KnownAtBasis.VINTAGE)
            for key, series in values.items()
            for q, v in zip(QUARTERS, series)
        ]
        store.add_batch(Batch(series=[SeriesInfo(k, "sec", frequency="quarterly") for k in values], observations=observations))
    finally:
        store.close()


def test_backtest_over_an_expanded_file(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(PROJECT_ROOT / "rules" / "hyperscaler_discipline.yaml", rules)
    url = f"sqlite:///{tmp_path / 'bt.db'}"
    store_with(
        url,
        {
            "sec.ORCL.fcf": [3, 3, 2, 1, -2],
            "sec.ORCL.capex_to_revenue": [0.2, 0.25, 0.3, 0.33, 0.45],
            "sec.MSFT.fcf": [9, 9, 9, 9, 9],
            "sec.MSFT.capex_to_revenue": [0.2, 0.2, 0.2, 0.2, 0.2],
        },
    )
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["backtest", "hyperscaler_discipline", "--to", "2025-06-01", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    by_id = {r["thesis"]: r for r in out}
    assert sorted(by_id) == sorted(f"hyperscaler_discipline[{t}]" for t in ("MSFT", "GOOGL", "AMZN", "META", "ORCL"))
    fired = {k: [(n["rule"], n["event"]) for n in r["notifications"]] for k, r in by_id.items()}
    assert fired["hyperscaler_discipline[ORCL]"] == [("capex_beyond_cash", "firing")]
    assert fired["hyperscaler_discipline[ORCL]"] and not fired["hyperscaler_discipline[MSFT]"]
    assert by_id["hyperscaler_discipline[ORCL]"]["days_in_state"]["kill_switch"] > 0

    one = runner.invoke(app, ["backtest", "hyperscaler_discipline[ORCL]", "--to", "2025-06-01", "--json"])
    assert [r["thesis"] for r in json.loads(one.output)] == ["hyperscaler_discipline[ORCL]"]

    explain = runner.invoke(app, ["explain", "hyperscaler_discipline"])
    assert explain.exit_code == 1
    assert "expands into 5 theses; explain one, e.g. 'hyperscaler_discipline[MSFT]'" in explain.output
