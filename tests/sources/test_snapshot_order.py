"""A folder import takes snapshot files in the order of the dates they represent, not of
their names."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalflow.cli import app
from signalflow.series import end_of_day
from signalflow.settings import Settings
from signalflow.sources.base import Source
from signalflow.sources.registry import in_date_order
from signalflow.sources.snapshot_files import GridSource, kept_snapshots
from signalflow.sources.snapshots import diff_snapshots, read_snapshot

from .test_snapshots import infra  # noqa: F401  (fixture)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sf.db'}")
    monkeypatch.setenv("SIGNALFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(tmp_path / "rules"))
    return tmp_path


class Dated(Source):
    """Dates files named ``DAY.dated`` (the day inside the file), leaves the others alone."""

    name = "dated"

    def collect(self, refs, state):
        raise NotImplementedError

    def sniff(self, path: Path, head: bytes) -> bool:
        return path.suffix == ".dated"

    def file_date(self, path: Path, head: bytes) -> date | None:
        return date.fromisoformat(head.decode().strip()) if head.strip() else None


def test_dated_files_go_oldest_first_and_the_others_keep_their_places(tmp_path: Path) -> None:
    def write(name: str, text: str) -> Path:
        (tmp_path / name).write_text(text)
        return tmp_path / name

    files = [write("a.dated", "2025-03-01"), write("b.csv", "x"), write("c.dated", "2025-01-01"),
             write("d.dated", ""), write("e.dated", "2025-02-01"), write("f.dated", "2025-01-01")]
    ordered = in_date_order(files, [Dated(Settings())])
    assert [p.name for p in ordered] == ["c.dated", "b.csv", "f.dated", "d.dated", "e.dated", "a.dated"]


def test_a_folder_whose_names_sort_wrong_is_imported_in_date_order(env: Path, infra: Path) -> None:
    folder = infra / "nyiso_queue"  # the 2025-03-29 download holds the oldest data (Nov 2024)
    names = sorted(p.name for p in folder.iterdir())
    assert names[-1].startswith("2025-03-29")
    result = CliRunner().invoke(app, ["import", str(folder), "--json"])
    reports = json.loads(result.stdout)
    assert result.exit_code == 0, reports
    assert [Path(r["path"]).name for r in reports] == [names[2], names[0], names[1]]
    assert not [w for r in reports for w in r["warnings"] if "date order" in w]
    kept = kept_snapshots(env / "data", "nyiso")
    assert len(kept) == 3 and kept == sorted(end_of_day(read_snapshot(folder / n).as_of, "America/New_York") for n in names)

    # Each snapshot was compared with the one before it in date order: December with November.
    nov, dec = read_snapshot(folder / names[2]), read_snapshot(folder / names[0])
    expected = sorted(c.id for c in diff_snapshots(nov, dec) if c.kind == "cod_slip")
    assert expected  # COD slips between November and December
    from signalflow.store import Store

    store = Store.open(f"sqlite:///{env / 'sf.db'}")
    try:
        slips = store.load({"grid.nyiso.cod_slip"})["grid.nyiso.cod_slip"].data
    finally:
        store.close()
    in_december = slips[slips["period_end"].astype(str) == dec.as_of.isoformat()]
    assert sorted(ref.split("#", 1)[1].split("@", 1)[0] for ref in in_december["source_ref"]) == expected
    assert all(ref.endswith(f"..{dec.as_of.isoformat()}") for ref in in_december["source_ref"])


def test_a_file_read_to_date_it_is_read_once(env: Path, infra: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from signalflow.sources import snapshot_files

    calls = []
    real = snapshot_files.read_snapshot
    monkeypatch.setattr(snapshot_files, "read_snapshot", lambda *a, **k: calls.append(a) or real(*a, **k))
    source = GridSource(Settings(data_dir=env / "data"))
    path = infra / "nyiso_queue" / "2025-01-13_NYISO-Interconnection-Queue.xlsx"
    assert source.file_date(path, path.read_bytes()[:4096]) == read_snapshot(path).as_of
    source.import_file(path)
    assert len(calls) == 1
