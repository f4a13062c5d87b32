"""Kept snapshots are gzip JSON that round-trips cell for cell; pickles kept by earlier
versions are converted once."""

from __future__ import annotations

import gzip
import json
import pickle
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from signalflow.errors import PayloadError
from signalflow.sources.snapshot_files import kept_snapshots, load_snapshot, migrate_pickles, snapshot_dir
from signalflow.sources.snapshots import diff_snapshots, read_snapshot
from signalflow.sources.snapshots.kept import dump_kept, load_kept

from .test_snapshots import infra, miso_row, write_miso  # noqa: F401  (infra is a fixture)


def same(a, b) -> None:
    assert (a.publisher, a.kind, a.origin, a.as_of, a.as_of_basis, a.power_basis, a.warnings) == (
        b.publisher, b.kind, b.origin, b.as_of, b.as_of_basis, b.power_basis, b.warnings)
    pd.testing.assert_frame_equal(a.projects, b.projects)
    if a.timelines is None:
        assert b.timelines is None
    else:
        pd.testing.assert_frame_equal(a.timelines, b.timelines)


@pytest.mark.parametrize("name", [
    "ercot_gis/GIS_Report_November2025.xlsx",
    "nyiso_queue/2025-01-13_NYISO-Interconnection-Queue.xlsx",
    "caiso_queue/2025-01-23_CAISO Queue Report.xlsx",
    "miso_queue/2025-01-23_MISO GI Interactive Queue.csv",
    "epoch_ai/2026-08-03_data_centers.csv",
])
def test_real_snapshots_round_trip(tmp_path: Path, infra: Path, name: str) -> None:
    snapshot = read_snapshot(infra / name, as_of=date(2025, 1, 23) if "miso" in name or "epoch" in name else None)
    dump_kept(snapshot, tmp_path / "kept.json.gz")
    with gzip.open(tmp_path / "kept.json.gz", "rt", encoding="utf-8") as handle:
        document = json.load(handle)  # plain JSON, readable without signalflow
    assert document["publisher"] == snapshot.publisher and len(document["projects"]["rows"]) == len(snapshot.projects)
    same(load_kept(tmp_path / "kept.json.gz"), snapshot)


def test_a_damaged_kept_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "2025-01-01.json.gz").write_bytes(b"not gzip")
    with pytest.raises(PayloadError, match="2025-01-01.json.gz"):
        load_kept(tmp_path / "2025-01-01.json.gz")


def test_pickles_of_earlier_versions_are_converted_once(tmp_path: Path) -> None:
    jan = read_snapshot(write_miso(tmp_path / "jan.csv", [miso_row("J1", "Active", "100", "2026-01-01")]),
                        as_of=date(2025, 1, 1))
    feb = read_snapshot(write_miso(tmp_path / "feb.csv", [miso_row("J1", "Active", "100", "2026-04-01")]),
                        as_of=date(2025, 2, 1))
    folder = snapshot_dir(tmp_path / "data", "miso")
    folder.mkdir(parents=True)
    with (folder / "2025-01-01.pkl").open("wb") as handle:  # as keep_snapshot wrote them before
        pickle.dump(jan, handle)

    # Known from the end of 2025-01-01 in MISO's zone (Eastern), as a day-named snapshot is.
    assert kept_snapshots(tmp_path / "data", "miso") == [datetime(2025, 1, 2, 5)]
    assert sorted(p.name for p in folder.iterdir()) == ["2025-01-01.json.gz"]
    converted = load_snapshot(tmp_path / "data", "miso", datetime(2025, 1, 2, 5))
    same(converted, jan)
    assert diff_snapshots(converted, feb) == diff_snapshots(jan, feb) and diff_snapshots(jan, feb)
    assert migrate_pickles(folder) == []  # once
