"""The bundled fact sets (signalflow/bundled): every row names its source, and the frames they
make carry that source on every row, each version known when the row says."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from signalflow.bundled import Fact, fact_frames, facts_provider, load_facts, nvda_facts, valuation_facts, vrt_facts
from signalflow.bundled.vrt_facts import price_facts, sec_facts
from signalflow.series import MemoryProvider, SeriesKind, default_kind

FACT_SETS = {
    "demo facts.csv": load_facts,
    "NVDA closes and split": nvda_facts,
    "VRT closes": price_facts,
    "VRT SEC facts": sec_facts,
}


@pytest.mark.parametrize("name", sorted(FACT_SETS))
def test_every_bundled_row_names_its_source(name: str) -> None:
    facts = FACT_SETS[name]()
    assert facts, name
    for f in facts:
        assert isinstance(f, Fact)
        assert f.source.strip() and f.source.strip().lower() != "nan", f
        assert f.known_at >= f.period_end, f  # nothing is known before its period ends


def test_closes_name_the_file_they_were_copied_from() -> None:
    # Each close row names its download as repo@commit:path, followed by how it became known.
    for f in price_facts() + [f for f in nvda_facts() if f.series == "px.NVDA.close"]:
        origin = f.source.split(" (", 1)[0]
        repo, _, path = origin.partition(":")
        assert "@" in repo and path.endswith(".csv"), f.source


def test_the_union_is_every_set_once_and_the_sets_do_not_overlap() -> None:
    parts = [nvda_facts(), price_facts(), sec_facts(), load_facts()]
    assert valuation_facts() == [f for part in parts for f in part]
    assert vrt_facts() == price_facts() + sec_facts()
    series_sets = [{f.series for f in part} for part in parts]
    for i, a in enumerate(series_sets):
        for b in series_sets[i + 1 :]:
            assert not a & b


def test_frames_keep_each_rows_source_sorted_by_known_at() -> None:
    facts = valuation_facts()
    frames = {frame.key: frame for frame in fact_frames(facts)}
    assert set(frames) == {f.series for f in facts}
    for key, frame in frames.items():
        rows = [f for f in facts if f.series == key]
        assert len(frame.data) == len(rows)
        assert frame.kind is default_kind(key)
        assert frame.data["known_at"].is_monotonic_increasing
        assert sorted(frame.data["source_ref"]) == sorted(f.source for f in rows)
        assert frame.unit == rows[0].unit
    assert frames["sec.VRT.revenue"].kind is SeriesKind.FLOW
    assert frames["fred.DGS10"].kind is SeriesKind.LEVEL


def test_facts_provider_serves_what_was_known_at_the_instant() -> None:
    facts = load_facts()
    provider = facts_provider(facts)
    assert isinstance(provider, MemoryProvider)
    until = datetime(2024, 1, 1)
    frame = provider.load(["fred.DGS10", "fred.UNKNOWN"], until=until)["fred.DGS10"]
    expected = sorted(f.known_at for f in facts if f.series == "fred.DGS10" and f.known_at <= until)
    assert list(frame.data["known_at"]) == [pd.Timestamp(k) for k in expected]
    assert "fred.UNKNOWN" not in provider.load(["fred.UNKNOWN"], until=until)


def test_a_split_is_first_known_as_traded_then_restated_at_the_ex_date() -> None:
    # Point in time through the provider: the close of a session before the split has its
    # traded value until the ex-date, and the split-adjusted one after.
    from signalflow.bundled.valuation_facts import SPLIT_EX_DATE

    provider = facts_provider(nvda_facts())
    before = provider.load(["px.NVDA.close"], until=datetime(2024, 6, 1))["px.NVDA.close"].data
    after = provider.load(["px.NVDA.close"], until=datetime(2024, 7, 1))["px.NVDA.close"].data
    first = before["period_end"].min()
    traded = before.loc[before["period_end"] == first, "value"].tolist()
    versions = after.loc[after["period_end"] == first, "value"].tolist()
    assert len(traded) == 1 and len(versions) == 2
    assert versions[1] == pytest.approx(traded[0] / 10)
    restated = after.loc[after["period_end"] == first, "known_at"].iloc[1]
    assert restated.date() == SPLIT_EX_DATE


def test_every_row_of_every_bundled_file_names_its_source() -> None:
    """Read the files as text, not through the loaders: a new bundled file without a source
    column, or a row with an empty one, fails here."""
    import csv

    from signalflow.bundled import demo_dir, valuation_dir

    files = sorted(demo_dir().glob("*.csv")) + sorted(valuation_dir().glob("*.csv"))
    assert len(files) >= 4
    for path in files:
        with open(path, encoding="utf-8") as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
        assert rows and "source" in rows[0], path
        empty = [i for i, row in enumerate(rows, 1) if not (row["source"] or "").strip()]
        assert empty == [], f"{path.name}: rows without a source: {empty[:5]}"
