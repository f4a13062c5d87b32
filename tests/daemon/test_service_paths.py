"""The daemon and the command line share one collection path: ``service.collect``."""

from __future__ import annotations

from fakes.theses import thesis
from fakes.http_server import Reply
from signalflow import service
from signalflow.settings import Settings
from signalflow.store import Store


def test_collect_reports_progress_per_source_and_honours_only(tmp_path, http_server) -> None:
    http_server.routes["/fred/series/observations"] = Reply(400, {"error_code": 400, "error_message": "bad key"})
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", fred_api_url=f"{http_server.url}/fred")
    store = Store.open(settings.database_url)
    calls: list[tuple[str, int, int]] = []
    try:
        reports = service.collect(settings, store, [thesis()], only=["fred"], progress=lambda *a: calls.append(a))
        nothing = service.collect(settings, store, [thesis()], only=["nope"])
        (health,) = store.source_health()
    finally:
        store.close()
    assert [(r.source, r.refs, r.ok) for r in reports] == [("fred", ["fred.BAMLH0A0HYM2"], False)]
    assert calls == [("fred", 0, 1), ("", 1, 1)]
    assert nothing == []
    assert (health.source, health.consecutive_failures) == ("fred", 1)  # recorded like the daemon's
