"""The bundled ERCOT extract (signalflow/data/demo/grid_facts.csv): every row names the
publisher, the report, its URLs and its run date, and regenerating it from the real GIS
reports in ../shared/data/infra with the snapshot readers gives exactly the bundled file."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from signalflow.bundled.facts import demo_dir
from signalflow.bundled.grid_facts import ERCOT_REPORTS, GRID_SERIES, extract_grid_facts, grid_facts, write_grid_facts


@pytest.fixture
def infra(shared_data: Path) -> Path:
    folder = shared_data / "infra"
    if not (folder / "ercot_gis").is_dir():
        pytest.skip(f"ERCOT GIS reports not found at {folder / 'ercot_gis'}")
    return folder


def test_every_row_names_publisher_report_url_and_run_date() -> None:
    facts = grid_facts()
    assert {f.series for f in facts} == set(GRID_SERIES)
    names = {Path(name).name for name, _, _ in ERCOT_REPORTS}
    for f in facts:
        assert f.source.startswith("ERCOT, Generation Interconnection Status report for "), f.source
        (name,) = re.findall(r"\((\S+\.xlsx), run", f.source)
        assert name in names, f.source
        urls = re.findall(r"https://\S+?(?=[;,]|$)", f.source)
        assert any("ercot.com" in u for u in urls) and any(u.endswith(".xlsx") for u in urls), f.source
        (run,) = re.findall(r"\.xlsx, run (\d{4}-\d{2}-\d{2})", f.source)
        assert run == f"{f.period_end:%Y-%m-%d}", f  # the snapshot's date is the report's run date
        # Known from the end of the run date in Central time (05:00 or 06:00 UTC the next day).
        assert f.known_at - f.period_end in (timedelta(hours=29), timedelta(hours=30)), f
    levels = [f for f in facts if f.series == "grid.ercot.queue_mw"]
    assert [f"{f.period_end:%Y-%m-%d}" for f in levels] == ["2025-01-01", "2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]
    for f in facts:
        if f.series != "grid.ercot.queue_mw":  # a change spans the report before to this one
            before = max(x.period_end for x in levels if x.period_end < f.period_end)
            assert f.period_start == before, f


def test_regenerating_from_the_real_reports_gives_exactly_the_bundled_file(infra: Path, tmp_path: Path) -> None:
    fresh = write_grid_facts(extract_grid_facts(infra), tmp_path / "grid_facts.csv")
    assert fresh.read_text(encoding="utf-8") == (demo_dir() / "grid_facts.csv").read_text(encoding="utf-8")


def _ercot_plain(path: Path) -> pd.DataFrame:
    """ERCOT's Large Gen table read the plain way: the row under the notes that names its columns."""
    raw = pd.read_excel(path, sheet_name="Project Details - Large Gen", header=None, engine="calamine")
    top = int(raw.index[raw[0] == "INR"][0])
    table = pd.read_excel(path, sheet_name="Project Details - Large Gen", header=top, engine="calamine")
    return table[table["INR"].astype(str).str.contains("INR")].set_index("INR")


def test_the_last_months_figures_match_a_plain_reading_of_the_two_reports(infra: Path) -> None:
    old = _ercot_plain(infra / "ercot_gis" / "inputs/2025/12/file.xlsx")
    new = _ercot_plain(infra / "ercot_gis" / "inputs/2026/01/file.xlsx")
    both = old.index.intersection(new.index)
    later = both[(pd.to_datetime(new.loc[both, "Projected COD"]) > pd.to_datetime(old.loc[both, "Projected COD"])).to_numpy()]
    fresh = new.index.difference(old.index)
    last = {f.series: f.value for f in grid_facts() if f"{f.period_end:%Y-%m-%d}" == "2026-02-01"}
    assert last["grid.ercot.cod_slip.mw"] == pytest.approx(new.loc[later, "Capacity (MW)"].astype(float).sum(), abs=0.01)
    assert last["grid.ercot.new_request.mw"] == pytest.approx(new.loc[fresh, "Capacity (MW)"].astype(float).sum(), abs=0.01)
