"""`signalflow import` never drops data in silence: a payload cut short is stored, reported and
fails the command; a file that would change a stored series' frequency is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app

REPLY = "eia/catalyst-cooperative_open-energy-data-for-all/eia923_pr_facility-fuel_PR.json"
DAILY_DGS10 = "fred/sivamsapingali_Codex_Macro-Monitor/DGS10.csv"
MONTHLY_AVERAGES = "fred/peterballaro_Emperical_Duration/fredgraph_DFF_DGS10_DGS3MO_DGS5_monthly.csv"

TABLES = """\
[[eia]]
name = "ecoelectrica"
route = "electricity/facility-fuel"
data_column = "generation"
facets = { plantCode = ["61034"], fuel2002 = ["ALL"], primeMover = ["ALL"] }

[[eia]]
name = "ecoelectrica_gross"
route = "electricity/facility-fuel"
data_column = "gross-generation"
facets = { plantCode = ["61034"], fuel2002 = ["ALL"], primeMover = ["ALL"] }
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'import.db'}")
    (tmp_path / "signalflow.toml").write_text(TABLES)

    def run(*args: str):
        return CliRunner().invoke(app, list(args))

    return run


def stored(cli, key: str) -> list[dict]:
    result = cli("series", "show", key, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def frequency(cli, key: str) -> str | None:
    result = cli("series", "list", "--json")
    assert result.exit_code == 0, result.output
    return next((s["frequency"] for s in json.loads(result.stdout) if s["key"] == key), None)


def test_the_real_truncated_eia_reply_imports_with_a_warning_and_fails(cli, shared_data: Path) -> None:
    path = shared_data / REPLY
    real = json.loads(path.read_bytes())["response"]
    plant = {r["period"] for r in real["data"] if (r["plantCode"], r["fuel2002"], r["primeMover"]) == ("61034", "ALL", "ALL")}
    months = {r["period"] for r in real["data"]}

    result = cli("import", str(path))
    assert result.exit_code != 0
    # what the reply holds is stored, in both tables reading its route ...
    assert len(stored(cli, "eia.ecoelectrica")) == len(plant)
    assert len(stored(cli, "eia.ecoelectrica_gross")) == len(plant)
    # ... and what it misses is said without --json, naming each series
    err = result.stderr
    assert f"5,000 of the {int(real['total']):,} rows" in err
    for key in ("eia.ecoelectrica:", "eia.ecoelectrica_gross:"):
        assert f"incomplete: {path.name}: {key}" in err
    assert f"{len(months - plant)} of the {len(months)} periods" in err
    assert f"warning: {path.name}: eia.ecoelectrica: EIA says incomplete return" in err

    as_json = cli("import", str(path), "--json")
    assert as_json.exit_code != 0
    report = json.loads(as_json.stdout)[0]
    assert not report["error"] and len(report["incomplete"]) == 2


def test_series_option_reaches_an_eia_table(cli, shared_data: Path) -> None:
    result = cli("import", str(shared_data / REPLY), "--series", "eia.ecoelectrica_gross", "--json")
    report = json.loads(result.stdout)[0]
    assert report["series"] == ["eia.ecoelectrica_gross"] and report["observations_added"] > 12
    assert frequency(cli, "eia.ecoelectrica") is None


def test_a_monthly_average_file_cannot_silently_turn_daily_dgs10_monthly(cli, shared_data: Path) -> None:
    daily = cli("import", str(shared_data / DAILY_DGS10), "--series", "fred.DGS10")
    assert daily.exit_code == 0, daily.output
    assert frequency(cli, "fred.DGS10") == "daily"
    before = stored(cli, "fred.DGS10")

    refused = cli("import", str(shared_data / MONTHLY_AVERAGES))
    assert refused.exit_code != 0
    message = refused.stderr
    for word in ("fred.DGS10", "daily", "monthly", "--allow-frequency-change"):
        assert word in message
    # nothing of the refused file is stored: the daily series is as it was
    assert frequency(cli, "fred.DGS10") == "daily"
    assert stored(cli, "fred.DGS10") == before
    assert frequency(cli, "fred.DFF") is None

    allowed = cli("import", str(shared_data / MONTHLY_AVERAGES), "--allow-frequency-change")
    assert allowed.exit_code == 0, allowed.output
    assert "fred.DGS10: frequency changed from daily to monthly" in allowed.stderr
    assert frequency(cli, "fred.DGS10") == "monthly"
    assert frequency(cli, "fred.DFF") == "monthly"
