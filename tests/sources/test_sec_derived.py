"""Margins, gross profit where untagged, capex / revenue and free cash flow from companyfacts."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from signalflow.series import Batch
from signalflow.sources.sec import read_payload
from signalflow.sources.sec_concepts import load_metrics
from signalflow.sources.sec_facts import normalize_companyfacts, parse_source_ref

from .test_sec_facts import new_york_day_end

VRT = "sclaessens_market-scanner/VRT_companyfacts_wrapped.json"
AAPL = "qihuizzz_sec-xbrl-reports/AAPL_companyfacts_CIK0000320193.json"


@pytest.fixture(scope="module")
def metrics():
    return load_metrics()


def _series(batch: Batch, key: str) -> list:
    return [o for o in batch.observations if o.series == key]


def _raw(payload: dict, concept: str, start: str, end: str) -> list[dict]:
    """The companyfacts rows of one us-gaap concept for exactly one period, as filed."""
    rows = payload["facts"]["us-gaap"][concept]["units"]["USD"]
    return [r for r in rows if r.get("start") == start and r["end"] == end]


def test_vertiv_gross_profit_is_revenue_minus_cost_of_goods_sold(shared_data: Path, metrics) -> None:
    payload = read_payload(shared_data / "sec" / VRT)[1]
    assert "GrossProfit" not in payload["facts"]["us-gaap"]  # why the series was empty before
    batch = normalize_companyfacts(payload, "VRT", metrics)

    # Q2 2025 as filed in the 10-Q, both parts three-month facts of one filing.
    revenue = _raw(payload, "RevenueFromContractWithCustomerExcludingAssessedTax", "2025-04-01", "2025-06-30")[0]
    cost = _raw(payload, "CostOfGoodsAndServicesSold", "2025-04-01", "2025-06-30")[0]
    q2 = [o for o in _series(batch, "sec.VRT.gross_profit") if o.period_end == date(2025, 6, 30)]
    assert [(o.period_start, o.value) for o in q2] == [(date(2025, 4, 1), revenue["val"] - cost["val"])]
    assert q2[0].known_at == new_york_day_end(date.fromisoformat(max(revenue["filed"], cost["filed"])))
    assert parse_source_ref(q2[0].source_ref)[0] == revenue["accn"]
    margin = [o for o in _series(batch, "sec.VRT.gross_margin") if o.period_end == date(2025, 6, 30)]
    assert margin[0].value == pytest.approx((revenue["val"] - cost["val"]) / revenue["val"])
    assert margin[0].unit == "ratio" and margin[0].known_at == q2[0].known_at

    # Q4 2024 is derived for each part (FY - 9M), then subtracted.
    def q4(concept: str) -> float:
        fy = _raw(payload, concept, "2024-01-01", "2024-12-31")
        nine = _raw(payload, concept, "2024-01-01", "2024-09-30")
        return fy[0]["val"] - nine[-1]["val"]

    gross_q4 = q4("RevenueFromContractWithCustomerExcludingAssessedTax") - q4("CostOfGoodsAndServicesSold")
    last = [o for o in _series(batch, "sec.VRT.gross_profit") if o.period_end == date(2024, 12, 31)]
    assert last[-1].value == pytest.approx(gross_q4)
    info = next(s for s in batch.series if s.key == "sec.VRT.gross_profit")
    assert "CostOfGoodsAndServicesSold" in info.title and info.frequency == "quarterly"


def test_vertiv_operating_margin_capex_ratio_and_fcf(shared_data: Path, metrics) -> None:
    payload = read_payload(shared_data / "sec" / VRT)[1]
    batch = normalize_companyfacts(payload, "VRT", metrics)
    start, end = "2025-04-01", "2025-06-30"
    revenue = _raw(payload, "RevenueFromContractWithCustomerExcludingAssessedTax", start, end)[0]["val"]
    operating = _raw(payload, "OperatingIncomeLoss", start, end)[0]["val"]

    def q2(concept: str) -> float:  # cash flows are year-to-date only: 6M - 3M
        return _raw(payload, concept, "2025-01-01", end)[0]["val"] - _raw(payload, concept, "2025-01-01", "2025-03-31")[-1]["val"]

    capex = q2("PaymentsToAcquirePropertyPlantAndEquipment")
    ocf = q2("NetCashProvidedByUsedInOperatingActivities")

    def at_q2(key: str) -> float:
        found = [o.value for o in _series(batch, key) if o.period_end == date(2025, 6, 30)]
        return found[-1]

    assert at_q2("sec.VRT.operating_margin") == pytest.approx(operating / revenue)
    assert at_q2("sec.VRT.capex_to_revenue") == pytest.approx(capex / revenue)
    assert at_q2("sec.VRT.fcf") == pytest.approx(ocf - capex)


def test_a_tagged_gross_profit_agrees_with_revenue_minus_cost(shared_data: Path, metrics) -> None:
    """Apple tags GrossProfit; the series is the tagged value, which the parts confirm."""
    payload = read_payload(shared_data / "sec" / AAPL)[1]
    batch = normalize_companyfacts(payload, "AAPL", metrics)
    start, end = "2025-03-30", "2025-06-28"
    tagged = _raw(payload, "GrossProfit", start, end)[0]["val"]
    revenue = _raw(payload, "RevenueFromContractWithCustomerExcludingAssessedTax", start, end)[0]["val"]
    cost = _raw(payload, "CostOfGoodsAndServicesSold", start, end)[0]["val"]
    assert tagged == revenue - cost
    found = [o for o in _series(batch, "sec.AAPL.gross_profit") if o.period_end == date(2025, 6, 28)]
    assert found[-1].value == tagged
    margin = [o for o in _series(batch, "sec.AAPL.gross_margin") if o.period_end == date(2025, 6, 28)]
    assert margin[-1].value == pytest.approx(tagged / revenue)


def _row(start, end, val, accn, filed, fp="Q1"):
    return {"start": start, "end": end, "val": val, "accn": accn, "fy": 2024, "fp": fp, "form": "10-Q", "filed": filed}


def _payload(**concepts: list[dict]) -> dict:
    return {
        "cik": 1,
        "entityName": "Example Corp",
        "facts": {"us-gaap": {name: {"units": {"USD": rows}} for name, rows in concepts.items()}},
    }


A1, A2, A3 = "0000000001-24-000001", "0000000001-24-000002", "0000000001-24-000003"
Q1 = ("2024-01-01", "2024-03-31")


def test_a_version_is_known_when_its_later_part_is_and_names_both_filings(metrics) -> None:
    payload = _payload(
        Revenues=[_row(*Q1, 1000, A1, "2024-04-20"), _row(*Q1, 1100, A3, "2024-09-01")],
        CostOfRevenue=[_row(*Q1, 600, A2, "2024-05-01")],
    )
    batch = normalize_companyfacts(payload, "EXM", metrics)
    gross = _series(batch, "sec.EXM.gross_profit")
    assert [(o.value, o.known_at, o.source_ref) for o in gross] == [
        (400.0, new_york_day_end(date(2024, 5, 1)), f"{A2} {A1} FY2024Q1"),  # known with the cost, not before
        (500.0, new_york_day_end(date(2024, 9, 1)), f"{A3} {A2} FY2024Q1"),  # revenue restated
    ]
    assert [parse_source_ref(o.source_ref) for o in gross] == [(A2, 2024, 1), (A3, 2024, 1)]
    margin = _series(batch, "sec.EXM.gross_margin")
    assert [(o.value, o.known_at) for o in margin] == [(0.4, new_york_day_end(date(2024, 5, 1))), (500 / 1100, new_york_day_end(date(2024, 9, 1)))]


def test_tagged_gross_profit_wins_from_the_moment_it_is_known(metrics) -> None:
    payload = _payload(
        Revenues=[_row(*Q1, 1000, A1, "2024-04-20")],
        CostOfRevenue=[_row(*Q1, 600, A1, "2024-04-20")],
        GrossProfit=[_row(*Q1, 390, A2, "2024-06-01")],
    )
    gross = _series(normalize_companyfacts(payload, "EXM", metrics), "sec.EXM.gross_profit")
    assert [(o.value, o.known_at, o.source_ref) for o in gross] == [
        (400.0, new_york_day_end(date(2024, 4, 20)), f"{A1} FY2024Q1"),
        (390.0, new_york_day_end(date(2024, 6, 1)), f"{A2} FY2024Q1"),
    ]


def test_parts_on_different_bases_are_not_combined(metrics) -> None:
    """Quarterly revenue and an annual-only cost never make a margin; zero revenue neither."""
    payload = _payload(
        Revenues=[_row(*Q1, 0, A1, "2024-04-20"), _row("2024-04-01", "2024-06-30", 100, A2, "2024-07-20")],
        CostOfRevenue=[_row("2023-01-01", "2023-12-31", 600, A1, "2024-02-20", fp="FY")],
        OperatingIncomeLoss=[_row(*Q1, 5, A1, "2024-04-20")],
        NetCashProvidedByUsedInOperatingActivities=[_row(*Q1, 70, A1, "2024-04-20")],
        PaymentsToAcquirePropertyPlantAndEquipment=[_row(*Q1, 30, A1, "2024-04-20")],
    )
    batch = normalize_companyfacts(payload, "EXM", metrics)
    keys = {s.key for s in batch.series}
    assert "sec.EXM.gross_profit" not in keys and "sec.EXM.gross_margin" not in keys
    assert "sec.EXM.operating_margin" not in keys  # its only quarter has zero revenue
    assert [(o.value, o.unit) for o in _series(batch, "sec.EXM.fcf")] == [(40.0, "USD")]


THESIS = """\
thesis: vrt_costs
title: "Vertiv keeps its margins while it grows"
growth:
  reason: "revenue grows"
  when: yoy(sec.VRT.revenue) > 10%
liquidity:
  reason: "overheads stay small"
  when: sec.VRT.SellingGeneralAndAdministrativeExpense < 0.2 * sec.VRT.revenue
soft_warning:
  - name: margin_slipping
    when: sec.VRT.operating_margin < 15%
    summary: "Operating margin below 15%"
kill_switch:
  - name: margin_collapse
    when: sec.VRT.gross_margin < 25%
    summary: "Gross margin below 25%"
"""


def test_import_stores_the_concepts_a_thesis_names_and_the_derived_series(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No settings file: the thesis alone makes `signalflow import` keep a raw us-gaap concept."""
    from typer.testing import CliRunner

    from signalflow.cli import app
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "vrt_costs.yaml").write_text(THESIS)
    url = f"sqlite:///{tmp_path / 'sec.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    check = CliRunner().invoke(app, ["check"])
    assert check.exit_code == 0, check.output
    result = CliRunner().invoke(app, ["import", str(shared_data / "sec" / VRT), "--json"])
    assert result.exit_code == 0, result.output
    series = json.loads(result.stdout)[0]["series"]
    assert "sec.VRT.SellingGeneralAndAdministrativeExpense" in series
    assert {"sec.VRT.gross_profit", "sec.VRT.gross_margin", "sec.VRT.fcf"} <= set(series)
    assert "sec.VRT.ResearchAndDevelopmentExpense" not in series  # filed, but no thesis names it
    payload = read_payload(shared_data / "sec" / VRT)[1]
    sga = _raw(payload, "SellingGeneralAndAdministrativeExpense", "2025-04-01", "2025-06-30")[0]
    store = Store.open(url)
    try:
        frame = store.as_of("sec.VRT.SellingGeneralAndAdministrativeExpense", datetime(2025, 8, 1))
        row = frame[frame["period_end"] == datetime(2025, 6, 30)].iloc[-1]
        assert row["value"] == sga["val"]
    finally:
        store.close()
    evaluated = CliRunner().invoke(app, ["evaluate", "vrt_costs", "--json"])
    assert evaluated.exit_code == 0, evaluated.output


def test_cli_import_of_a_filing_document_with_known_at(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from signalflow.cli import app
    from signalflow.store import Store

    document = shared_data / "sec" / "xbrl" / "AMD" / "primary-document.html"
    if not document.is_file():
        pytest.skip(f"filing XBRL not found at {document}")
    url = f"sqlite:///{tmp_path / 'amd.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_DATA_DIR", str(tmp_path / "data"))
    refused = CliRunner().invoke(app, ["import", str(document), "--json"])
    assert refused.exit_code == 1 and "--known-at" in json.loads(refused.stdout)[0]["error"]
    result = CliRunner().invoke(app, ["import", str(document), "--known-at", "2024-01-31T21:05:00Z", "--json"])
    assert result.exit_code == 0, result.output
    assert "sec.AMD.top_customer_share" in json.loads(result.stdout)[0]["series"]
    store = Store.open(url)
    try:
        assert store.as_of("sec.AMD.top_customer_share", datetime(2024, 1, 31, 21, 4)).empty
        known = store.as_of("sec.AMD.top_customer_share", datetime(2024, 1, 31, 21, 5))
        assert list(known["value"]) == [0.18]
    finally:
        store.close()
