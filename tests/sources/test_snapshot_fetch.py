"""Fetching snapshot files on the schedule: a conditional GET against a local server that
serves the real publishers' files with ETag and Last-Modified, and answers 304."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from signalflow.errors import FetchError, PayloadError
from signalflow.series import KnownAtBasis
from signalflow.sources.http import HttpClient
from signalflow.sources.snapshot_files import DcSource, GridSource, kept_snapshots, load_snapshot
from signalflow.sources.snapshot_settings import DcSettings, GridSettings
from signalflow.sources.snapshots import diff_snapshots, read_snapshot

from fakes.http_server import Reply, Request
from .test_snapshots import infra, miso_row, write_miso  # noqa: F401  (infra is a fixture)

NOW = datetime(2025, 12, 3, 14, 30)
LATER = datetime(2026, 1, 2, 9, 0)


@pytest.fixture
def make_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings with the grid and dc models, also under an install older than their entry points."""
    from signalflow import settings as module

    if "grid" not in module.Settings.plugins:
        models = {**module.plugin_models(), "grid": GridSettings, "dc": DcSettings}
        monkeypatch.setattr(module, "plugin_models", lambda: models)
        monkeypatch.setattr(module, "_built", None)

    def build(**values):
        return module.Settings(
            database_url=f"sqlite:///{tmp_path / 'sf.db'}", rules_dir=tmp_path / "rules",
            data_dir=tmp_path / "data", **values,
        )

    return build


class Publisher:
    """Serves one file at a time with validators, and 304 when the client's match."""

    def __init__(self, path: Path, etag: str, modified: str = "Mon, 01 Dec 2025 15:00:00 GMT") -> None:
        self.set(path, etag, modified)

    def set(self, path: Path | bytes, etag: str | None, modified: str | None) -> None:
        self.body = path if isinstance(path, bytes) else path.read_bytes()
        self.etag, self.modified = etag, modified

    def __call__(self, request: Request) -> Reply:
        if self.etag and request.headers.get("if-none-match") == self.etag:
            return Reply(304)
        headers = {"ETag": self.etag} if self.etag else {}
        if self.modified:
            headers["Last-Modified"] = self.modified
        return Reply(200, self.body, headers)


def quick_http() -> HttpClient:
    return HttpClient("grid", retries=1, sleep=lambda seconds: None)


def test_a_new_file_is_kept_and_diffed_and_an_unchanged_one_stores_nothing(make_settings, http_server, infra) -> None:
    ercot = infra / "ercot_gis"
    oct_, nov = ercot / "GIS_Report_October2025.xlsx", ercot / "GIS_Report_November2025.xlsx"
    publisher = Publisher(oct_, '"oct"')
    http_server.routes["/gis/report.xlsx"] = publisher
    settings = make_settings(grid_ercot_url=f"{http_server.url}/gis/report.xlsx")
    refs = ["grid.ercot.queue_mw", "grid.ercot.cod_slip.mw"]
    state: dict[str, str] = {}

    first = GridSource(settings, quick_http(), clock=lambda: NOW).collect(refs, state)
    assert kept_snapshots(settings.data_dir, "ercot") == [NOW]  # the instant it was fetched
    assert {o.series for o in first.observations} >= {"grid.ercot.queue_mw"} and not first.events
    assert {o.known_at for o in first.observations} == {NOW}
    assert {o.known_at_basis for o in first.observations} == {KnownAtBasis.COLLECTED}
    assert state['ercot.etag'] == '"oct"' and state["ercot.last_modified"].startswith("Mon, 01 Dec")

    again = GridSource(settings, quick_http(), clock=lambda: NOW).collect(refs, state)
    assert http_server.requests[-1].headers["if-none-match"] == '"oct"'
    assert http_server.requests[-1].headers["if-modified-since"] == "Mon, 01 Dec 2025 15:00:00 GMT"
    assert not again.observations and not again.events
    assert len(list((settings.data_dir / "snapshots" / "ercot" / "fetched").iterdir())) == 1

    publisher.set(nov, '"nov"', "Tue, 02 Dec 2025 15:00:00 GMT")
    second = GridSource(settings, quick_http(), clock=lambda: LATER).collect(refs, state)
    assert kept_snapshots(settings.data_dir, "ercot") == [NOW, LATER]
    assert [load_snapshot(settings.data_dir, "ercot", at).as_of for at in (NOW, LATER)] == [date(2025, 11, 1), date(2025, 12, 1)]
    expected = [c for c in diff_snapshots(read_snapshot(oct_), read_snapshot(nov)) if c.kind == "cod_slip"]
    slips = [o for o in second.observations if o.series == "grid.ercot.cod_slip.mw"]
    assert expected and len(slips) == len(expected)
    assert sorted(o.value for o in slips) == sorted(c.mw for c in expected)
    assert {o.known_at for o in second.observations} == {LATER}
    assert state["ercot.etag"] == '"nov"'


def test_a_server_without_validators_sending_the_same_bytes_stores_nothing(make_settings, http_server, infra) -> None:
    miso = infra / "miso_queue" / "2025-05-11_GI Interactive Queue.csv"
    publisher = Publisher(miso, None, None)
    http_server.routes["/miso.csv"] = publisher
    settings = make_settings(grid_miso_url=f"{http_server.url}/miso.csv")
    state: dict[str, str] = {}
    first = GridSource(settings, quick_http(), clock=lambda: NOW).collect(["grid.miso.queue_mw"], state)
    assert [o.value for o in first.observations if o.series == "grid.miso.queue_mw"]
    assert kept_snapshots(settings.data_dir, "miso") == [NOW]
    assert load_snapshot(settings.data_dir, "miso", NOW).as_of == NOW.date()  # MISO's file carries no date
    again = GridSource(settings, quick_http(), clock=lambda: LATER).collect(["grid.miso.queue_mw"], state)
    assert "if-none-match" not in http_server.requests[-1].headers
    assert not again.observations and kept_snapshots(settings.data_dir, "miso") == [NOW]


def test_a_failing_server_names_the_url_and_keeps_earlier_snapshots(make_settings, http_server, infra) -> None:
    http_server.routes["/gis.xlsx"] = [Reply(200, (infra / "ercot_gis" / "GIS_Report_October2025.xlsx").read_bytes(),
                                             {"ETag": '"oct"'}), Reply(503, "down for maintenance")]
    settings = make_settings(grid_ercot_url=f"{http_server.url}/gis.xlsx")
    state: dict[str, str] = {}
    GridSource(settings, quick_http(), clock=lambda: NOW).collect(["grid.ercot.queue_mw"], state)
    kept = sorted((settings.data_dir / "snapshots").rglob("*"))

    with pytest.raises(FetchError) as failed:
        GridSource(settings, quick_http(), clock=lambda: LATER).collect(["grid.ercot.queue_mw"], state)
    assert f"{http_server.url}/gis.xlsx" in str(failed.value) and "503" in str(failed.value)
    assert sorted((settings.data_dir / "snapshots").rglob("*")) == kept
    assert state["ercot.etag"] == '"oct"'


def test_an_unreadable_file_names_the_url_and_is_not_kept(make_settings, http_server) -> None:
    http_server.routes["/pjm.xlsx"] = Reply(200, b"<html>maintenance</html>", {"ETag": '"x"'})
    settings = make_settings(grid_pjm_url=f"{http_server.url}/pjm.xlsx")
    state: dict[str, str] = {}
    with pytest.raises(PayloadError) as failed:
        GridSource(settings, quick_http(), clock=lambda: NOW).collect(["grid.pjm.queue_mw"], state)
    assert f"{http_server.url}/pjm.xlsx" in str(failed.value)
    assert kept_snapshots(settings.data_dir, "pjm") == []
    assert not list((settings.data_dir / "snapshots" / "pjm" / "fetched").iterdir())
    assert state == {}  # the next run fetches it again


def test_epoch_zip_is_unpacked_with_its_timelines_and_diffed(make_settings, http_server, infra) -> None:
    def bundle(stamp: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as book:
            for name in ("data_centers.csv", "data_center_timelines.csv"):
                book.write(infra / "epoch_ai" / f"{stamp}_{name}", f"data_centers/{name}")
        return buffer.getvalue()

    publisher = Publisher(bundle("2026-07-07"), '"jul"')
    publisher.set(bundle("2026-07-07"), '"jul"', None)
    http_server.routes["/data_centers.zip"] = publisher
    settings = make_settings(dc_epoch_url=f"{http_server.url}/data_centers.zip")
    state: dict[str, str] = {}
    DcSource(settings, quick_http(), clock=lambda: datetime(2026, 7, 7, 12)).collect(["dc.power_mw"], state)
    publisher.set(bundle("2026-08-03"), '"aug"', None)
    batch = DcSource(settings, quick_http(), clock=lambda: datetime(2026, 8, 3, 12)).collect(["dc.power_mw"], state)
    added = sorted(e.details["id"] for e in batch.events if e.label == "site_added")
    expected = read_snapshot(infra / "epoch_ai" / "2026-08-03_data_centers.csv", as_of=date(2026, 8, 3))
    before = read_snapshot(infra / "epoch_ai" / "2026-07-07_data_centers.csv", as_of=date(2026, 7, 7))
    assert added == sorted(set(expected.projects["id"]) - set(before.projects["id"])) and len(added) == 7
    assert kept_snapshots(settings.data_dir, "epoch") == [datetime(2026, 7, 7, 12), datetime(2026, 8, 3, 12)]


def test_an_unconfigured_publisher_is_skipped_quietly_naming_its_setting(make_settings, http_server) -> None:
    from signalflow import service
    from signalflow.store import Store

    http_server.routes["/caiso.xlsx"] = Reply(500, "never asked")
    settings = make_settings()
    store = Store.open(settings.database_url)
    try:
        report = service.collect_source(settings, store, "grid", ["grid.ercot.queue_mw", "grid.ercot.cod_slip.mw"])
    finally:
        store.close()
    assert report.ok and not report.error
    assert report.waiting == {
        "SIGNALFLOW_GRID_ERCOT_URL (or `signalflow import` its files)": ["grid.ercot.queue_mw", "grid.ercot.cod_slip.mw"]
    }
    assert http_server.requests == []


def test_the_daemons_collection_stores_a_new_file_once_and_remembers_its_etag(make_settings, http_server, infra) -> None:
    from signalflow import service
    from signalflow.store import Store

    ercot = infra / "ercot_gis"
    publisher = Publisher(ercot / "GIS_Report_October2025.xlsx", '"oct"')
    http_server.routes["/gis.xlsx"] = publisher
    settings = make_settings(grid_ercot_url=f"{http_server.url}/gis.xlsx")
    refs = ["grid.ercot.cod_slip.mw", "grid.ercot.queue_mw"]
    store = Store.open(settings.database_url)
    try:
        first = service.collect_source(settings, store, "grid", refs)
        assert first.ok and first.observations_added > 0, first.error
        assert store.get_source_state("grid")["ercot.etag"] == '"oct"'
        unchanged = service.collect_source(settings, store, "grid", refs)
        assert unchanged.ok and unchanged.observations_added == 0
        assert http_server.requests[-1].headers["if-none-match"] == '"oct"'
        publisher.set(ercot / "GIS_Report_November2025.xlsx", '"nov"', None)
        second = service.collect_source(settings, store, "grid", refs)
        assert second.ok and second.events_added > 0
        slips = store.load({"grid.ercot.cod_slip.mw"})["grid.ercot.cod_slip.mw"].data
        changes = diff_snapshots(read_snapshot(ercot / "GIS_Report_October2025.xlsx"),
                                 read_snapshot(ercot / "GIS_Report_November2025.xlsx"))
        assert len(slips) == sum(c.kind == "cod_slip" for c in changes) > 0
        assert second.events_added == len(changes)
    finally:
        store.close()


MORNING, AFTERNOON, EVENING = datetime(2025, 12, 3, 9, 15, 7), datetime(2025, 12, 3, 16, 40, 2), datetime(2025, 12, 3, 21, 0)


def miso_files(folder: Path) -> tuple[Path, Path]:
    """MISO's queue in the morning, and in the afternoon of the same day: J1 slipped, J3 new."""
    morning = write_miso(folder / "morning.csv", [
        miso_row("J1", "Active", "100", "2026-01-01"), miso_row("J2", "Active", "50", "2027-06-01")])
    afternoon = write_miso(folder / "afternoon.csv", [
        miso_row("J1", "Active", "100", "2026-04-01"), miso_row("J2", "Active", "50", "2027-06-01"),
        miso_row("J3", "Active", "300", "2028-01-01")])
    return morning, afternoon


def test_two_changes_of_a_file_on_one_day_are_both_kept_and_stored_in_order(make_settings, http_server, tmp_path) -> None:
    from signalflow.store import Store

    morning, afternoon = miso_files(tmp_path)
    publisher = Publisher(morning, '"a"', None)
    http_server.routes["/miso.csv"] = publisher
    settings = make_settings(grid_miso_url=f"{http_server.url}/miso.csv")
    refs = ["grid.miso.queue_mw", "grid.miso.cod_slip.mw"]
    state: dict[str, str] = {}
    store = Store.open(settings.database_url)
    try:
        for when, path, etag in ((MORNING, morning, '"a"'), (AFTERNOON, afternoon, '"b"')):
            publisher.set(path, etag, None)
            store.add_batch(GridSource(settings, quick_http(), clock=lambda when=when: when).collect(refs, state))
        frames = store.load({"grid.miso.queue_mw", "grid.miso.cod_slip.mw"})
    finally:
        store.close()
    assert kept_snapshots(settings.data_dir, "miso") == [MORNING, AFTERNOON]
    assert sorted(p.name for p in (settings.data_dir / "snapshots" / "miso").glob("*.json.gz")) == [
        "20251203T091507Z.json.gz", "20251203T164002Z.json.gz"]
    assert list(load_snapshot(settings.data_dir, "miso", MORNING).projects["id"]) == ["J1", "J2"]
    queue = frames["grid.miso.queue_mw"].data.sort_values("known_at")
    assert [(t.to_pydatetime(), v) for t, v in zip(queue["known_at"], queue["value"])] == [(MORNING, 150.0), (AFTERNOON, 450.0)]
    slips = frames["grid.miso.cod_slip.mw"].data  # the afternoon's file against the morning's
    assert [(t.to_pydatetime(), v) for t, v in zip(slips["known_at"], slips["value"])] == [(AFTERNOON, 100.0)]


def test_the_same_body_again_is_kept_once_even_with_its_digest_forgotten(make_settings, http_server, tmp_path) -> None:
    morning, _ = miso_files(tmp_path)
    http_server.routes["/miso.csv"] = Publisher(morning, None, None)  # a server without validators
    settings = make_settings(grid_miso_url=f"{http_server.url}/miso.csv")
    state: dict[str, str] = {}
    GridSource(settings, quick_http(), clock=lambda: MORNING).collect(["grid.miso.queue_mw"], state)
    again = GridSource(settings, quick_http(), clock=lambda: AFTERNOON).collect(["grid.miso.queue_mw"], state)
    assert not again.observations and kept_snapshots(settings.data_dir, "miso") == [MORNING]
    # The digest never remembered (the store failed before the state was saved): still one snapshot.
    forgotten = GridSource(settings, quick_http(), clock=lambda: EVENING).collect(["grid.miso.queue_mw"], {})
    assert kept_snapshots(settings.data_dir, "miso") == [MORNING]
    assert [o.value for o in forgotten.observations if o.series == "grid.miso.queue_mw"] == [150.0]


def test_changes_kept_but_never_stored_are_given_again_by_the_next_fetch(make_settings, http_server, tmp_path) -> None:
    morning, afternoon = miso_files(tmp_path)
    publisher = Publisher(morning, '"a"', None)
    http_server.routes["/miso.csv"] = publisher
    settings = make_settings(grid_miso_url=f"{http_server.url}/miso.csv")
    refs = ["grid.miso.queue_mw", "grid.miso.cod_slip.mw"]
    state: dict[str, str] = {}
    GridSource(settings, quick_http(), clock=lambda: MORNING).collect(refs, state)
    saved = dict(state)
    publisher.set(afternoon, '"b"', None)
    lost = GridSource(settings, quick_http(), clock=lambda: AFTERNOON).collect(refs, state)
    assert [o.value for o in lost.observations if o.series == "grid.miso.cod_slip.mw"] == [100.0]
    # The store failed: the batch is lost and the state is not saved, but the snapshot is kept.
    retry = GridSource(settings, quick_http(), clock=lambda: EVENING).collect(refs, dict(saved))
    assert kept_snapshots(settings.data_dir, "miso") == [MORNING, AFTERNOON]
    slips = [(o.value, o.known_at) for o in retry.observations if o.series == "grid.miso.cod_slip.mw"]
    assert slips == [(100.0, EVENING)]  # the same change, known no earlier than it was stored


def _cut_xlsx(infra: Path) -> bytes:
    return (infra / "ercot_gis" / "GIS_Report_November2025.xlsx").read_bytes()[:4000]


@pytest.mark.parametrize(
    "source, setting, path, refs, good, broken, later",
    [
        pytest.param(
            GridSource, "grid_ercot_url", "/gis.xlsx", ["grid.ercot.queue_mw"],
            "ercot_gis/GIS_Report_October2025.xlsx", lambda infra: b"<html>maintenance</html>",
            "ercot_gis/GIS_Report_November2025.xlsx", id="HTML page",
        ),
        pytest.param(
            GridSource, "grid_ercot_url", "/gis.xlsx", ["grid.ercot.queue_mw"],
            "ercot_gis/GIS_Report_October2025.xlsx", lambda infra: b"",
            "ercot_gis/GIS_Report_November2025.xlsx", id="empty body",
        ),
        pytest.param(
            GridSource, "grid_ercot_url", "/gis.xlsx", ["grid.ercot.queue_mw"],
            "ercot_gis/GIS_Report_October2025.xlsx", _cut_xlsx,
            "ercot_gis/GIS_Report_November2025.xlsx", id="cut-off xlsx",
        ),
        pytest.param(
            DcSource, "dc_epoch_url", "/data_centers.csv", ["dc.power_mw"],
            "epoch_ai/2026-07-07_data_centers.csv", lambda infra: b"PK\x03\x04 not a zip after all",
            "epoch_ai/2026-08-03_data_centers.csv", id="broken zip",
        ),
    ],
)  # fmt: skip
def test_an_unreadable_file_keeps_no_validators_and_is_fetched_whole_again(
    make_settings, http_server, infra, source, setting, path, refs, good, broken, later
) -> None:
    publisher = Publisher(infra / good, '"good"')
    http_server.routes[path] = publisher
    settings = make_settings(**{setting: f"{http_server.url}{path}"})
    name = "ercot" if source is GridSource else "epoch"
    state: dict[str, str] = {}
    source(settings, quick_http(), clock=lambda: NOW).collect(refs, state)
    assert state[f"{name}.etag"] == '"good"'

    # the file breaks; the server keeps validators for it and answers 304 when they come back
    publisher.set(broken(infra), '"broken"', "Tue, 02 Dec 2025 15:00:00 GMT")
    for _ in range(2):
        with pytest.raises(PayloadError) as failed:
            source(settings, quick_http(), clock=lambda: LATER).collect(refs, state)
        assert f"{http_server.url}{path}" in str(failed.value)
        assert (state[f"{name}.etag"], state[f"{name}.last_modified"]) == ("", "")
    assert not {"if-none-match", "if-modified-since"} & set(http_server.requests[-1].headers)

    publisher.set(infra / later, '"broken"', "Tue, 02 Dec 2025 15:00:00 GMT")  # fixed, same validators
    fixed = source(settings, quick_http(), clock=lambda: LATER).collect(refs, state)
    assert fixed.observations and state[f"{name}.etag"] == '"broken"'
    again = source(settings, quick_http(), clock=lambda: LATER).collect(refs, state)
    assert http_server.requests[-1].headers["if-none-match"] == '"broken"'
    assert not again.observations and not again.events
