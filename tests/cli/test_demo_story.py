"""`signalflow demo` in a terminal (or a pipe) of 80 columns tells the whole story: per thesis
the alerts that would have been sent, the Growth x Liquidity quadrant, what the chart leaves
out and which data end early, then one closing sentence per thesis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app

THESES = ("demo_ai_factory", "demo_hyperscaler_capex", "demo_power_queue", "nvda_valuation", "vrt_valuation")


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("demo")
    runner = CliRunner()
    text = runner.invoke(app, ["demo", "-o", str(out / "charts")], env={"COLUMNS": "80"})
    assert text.exit_code == 0, text.output
    data = runner.invoke(app, ["demo", "-o", str(out / "charts"), "--json"], env={"COLUMNS": "80"})
    assert data.exit_code == 0, data.output
    return text.stdout, json.loads(data.stdout)


def test_every_line_fits_80_columns_and_no_markup_leaks(told) -> None:
    text, _ = told
    wide = [line for line in text.splitlines() if len(line) > 80]
    assert wide == []
    assert not [line for line in text.splitlines() if line != line.rstrip()]  # no padding to the width
    assert not re.search(r"\[/?(?:bold|red|yellow|green|dim)?\]", text)


def test_each_thesis_ends_with_one_closing_sentence(told) -> None:
    text, data = told
    closing = text.split("What would have happened:\n", 1)[1]
    paragraphs = re.split(r"\n(?=  \S)", closing.strip("\n"))
    assert [p.split(":", 1)[0].strip() for p in paragraphs] == list(THESES)
    by_id = {t["thesis"]: t for t in data["theses"]}
    for p in paragraphs:
        thesis, sentence = p.split(":", 1)
        sentence = " ".join(sentence.split())
        assert sentence == by_id[thesis.strip()]["closing"]
        assert sentence.startswith("From ") and sentence.endswith(".") and sentence.count(". ") == 0
    assert "one Kill Switch (credit_stress on 2023-03-20, over after 14 days)" in by_id["demo_ai_factory"]["closing"]
    assert "it ends on a Soft Warning" in by_id["demo_hyperscaler_capex"]["closing"]


def test_what_is_left_out_and_what_ends_early_is_said(told) -> None:
    text, data = told
    flat = " ".join(text.split())
    assert (
        "left out of the chart: percentile(price_to_sales, 5y) (valuation_stretched): no data for "
        "sec.NVDA.EntityCommonStockSharesOutstanding, sec.NVDA.revenue" in flat
    )
    assert "data end early: px.NVDA.close, last released 2024-12-20" in flat
    assert "data end early: px.VRT.close, last released 2025-09-26" in flat
    by_id = {t["thesis"]: t for t in data["theses"]}
    assert by_id["nvda_valuation"]["left_out_of_chart"] == [
        {
            "input": "percentile(price_to_sales, 5y)",
            "rules": ["valuation_stretched"],
            "reason": "no data for sec.NVDA.EntityCommonStockSharesOutstanding, sec.NVDA.revenue",
        }
    ]
    assert by_id["nvda_valuation"]["inputs_end_early"] == {"px.NVDA.close": "2024-12-20T21:00:00"}
    assert all(Path(t["chart"]).is_file() for t in data["theses"])


def test_alerts_are_episodes_and_the_quadrant_is_in_days(told) -> None:
    text, data = told
    assert "    2023-03-20 to 2023-04-03  Kill Switch   credit_stress" in text
    assert "    2025-09-08 onwards        Soft Warning  capex_overheating" in text
    by_id = {t["thesis"]: t for t in data["theses"]}
    days = by_id["nvda_valuation"]["quadrant_days"]
    assert f"Growth x Liquidity: unknown {days['unknown']} days, growth and liquidity" in text
    assert by_id["nvda_valuation"]["final_quadrant"] == "growth and liquidity"


def test_the_readme_demo_paragraph_is_what_the_demo_does(told) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    paragraph = " ".join(readme.split("**See it work, offline.**", 1)[1].split("\n\n", 1)[0].split())
    _, data = told
    assert "backtests five theses" in paragraph and len(data["theses"]) == 5
    (grid,) = [t for t in data["theses"] if t["thesis"] == "demo_power_queue"]
    assert f"runs to {grid['end'][:10]}" in paragraph
    (nvda,) = [t for t in data["theses"] if t["thesis"] == "nvda_valuation"]
    last_close = nvda["inputs_end_early"]["px.NVDA.close"][:10]
    assert f"NVIDIA weekly closes to {last_close}" in paragraph
    left = [x["reason"] for t in data["theses"] for x in t["left_out_of_chart"]]
    assert left == ["no data for sec.NVDA.EntityCommonStockSharesOutstanding, sec.NVDA.revenue"]
    assert "NVIDIA's price-to-sales: its share counts and total revenue are not bundled" in paragraph
    assert "`signalflow-demo/`" in paragraph and "--output" in paragraph
