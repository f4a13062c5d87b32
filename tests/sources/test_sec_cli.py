"""``signalflow series show/list`` over a store holding an SEC series with a restatement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.sources.sec_concepts import load_metrics
from signalflow.sources.sec_facts import normalize_companyfacts
from signalflow.store import Store

ROWS = [
    {"start": "2025-01-01", "end": "2025-03-31", "val": 36_500_000, "accn": "0001628280-25-019372", "filed": "2025-04-23", "form": "10-Q"},
    {"start": "2025-01-01", "end": "2025-06-30", "val": 81_500_000, "accn": "0001674101-25-000008", "filed": "2025-07-30", "form": "10-Q"},
    # A later recast of the six months that does not report the three months again: Q2 stays
    # 45.0M, since 83.5M - 36.5M would mix a restated total with a part of the old basis.
    {"start": "2025-01-01", "end": "2025-06-30", "val": 83_500_000, "accn": "0001674101-25-000031", "filed": "2025-11-03", "form": "8-K"},
]
PAYLOAD = {"cik": 1674101, "entityName": "Vertiv Holdings Co", "facts": {"us-gaap": {"PaymentsToAcquirePropertyPlantAndEquipment": {"units": {"USD": ROWS}}}}}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url)
    store.add_batch(normalize_companyfacts(PAYLOAD, "VRT", load_metrics()))
    store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    return url


def _show(*args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["series", "show", "sec.VRT.capex", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_show_as_of_before_and_after_the_restatement(db: str) -> None:
    before = _show("--as-of", "2025-11-02")
    # Filed 2025-11-03 with no acceptance time known: public from the end of that New York day.
    after = _show("--as-of", "2025-11-04T05:00:00")
    assert [(r["period_end"], r["value"]) for r in before] == [("2025-03-31", 36_500_000.0), ("2025-06-30", 45_000_000.0)]
    assert [(r["period_end"], r["value"]) for r in after] == [("2025-03-31", 36_500_000.0), ("2025-06-30", 45_000_000.0)]
    q2 = after[1]
    assert q2 == {
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "fiscal_year": 2025,
        "fiscal_quarter": 2,
        "value": 45_000_000.0,
        "unit": "USD",
        "known_at": "2025-07-31T04:00:00",
        "source_ref": "0001674101-25-000008 0001628280-25-019372 FY2025Q2",
        "accession": "0001674101-25-000008",
    }
    assert len(_show("--versions")) == 2


def test_show_table_names_fiscal_quarter_and_accession(db: str) -> None:
    result = CliRunner().invoke(app, ["series", "show", "sec.VRT.capex"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "FY2025 Q2" in result.output and "0001674101-25-000008" in result.output
    assert "45,000,000" in result.output


def test_unknown_series_is_one_line_with_a_hint(db: str) -> None:
    result = CliRunner().invoke(app, ["series", "show", "sec.VRT.capx"])
    assert result.exit_code == 1
    assert "did you mean 'sec.VRT.capex'?" in result.output
    assert "Traceback" not in result.output


def test_list_json(db: str) -> None:
    result = CliRunner().invoke(app, ["series", "list", "--json", "--source", "sec"])
    assert result.exit_code == 0, result.output
    [info] = json.loads(result.output)
    assert (info["key"], info["kind"], info["unit"], info["frequency"]) == ("sec.VRT.capex", "flow", "USD", "quarterly")


def test_show_a_recast_that_gives_both_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recast that reports the three months too: Q2 is restated from the recast on."""
    recast_q1 = {**ROWS[0], "accn": "0001674101-25-000031", "filed": "2025-11-03", "form": "8-K"}
    payload = {**PAYLOAD, "facts": {"us-gaap": {"PaymentsToAcquirePropertyPlantAndEquipment": {"units": {"USD": [*ROWS, recast_q1]}}}}}
    url = f"sqlite:///{tmp_path / 'recast.db'}"
    store = Store.open(url)
    store.add_batch(normalize_companyfacts(payload, "VRT", load_metrics()))
    store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    # Filed with no acceptance time known: public from the end of the New York filing day.
    before, after = _show("--as-of", "2025-11-02"), _show("--as-of", "2025-11-04T05:00:00")
    assert [(r["value"], r["source_ref"]) for r in before] == [
        (36_500_000.0, "0001628280-25-019372 FY2025Q1"),
        (45_000_000.0, "0001674101-25-000008 0001628280-25-019372 FY2025Q2"),
    ]
    assert [(r["value"], r["known_at"], r["accession"]) for r in after] == [
        (36_500_000.0, "2025-04-24T04:00:00", "0001628280-25-019372"),
        (47_000_000.0, "2025-11-04T05:00:00", "0001674101-25-000031"),
    ]
