"""Each source is collected on the interval of its own settings: the price source is named
``px`` but its interval is ``prices_schedule``, and a source without one runs on
``default_schedule``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from daemon_harness import THESIS
from signalflow import service
from signalflow.daemon import Daemon
from signalflow.ops.leader import LocalLease
from signalflow.settings import Settings
from signalflow.store import Store

NOW = datetime(2025, 6, 2, 12, 0)


@pytest.fixture
def scheduled(tmp_path, monkeypatch):
    def build(**env: str) -> dict[str, timedelta]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        rules = tmp_path / "rules"
        rules.mkdir(exist_ok=True)
        (rules / "prices.yaml").write_text(
            THESIS.format(id="calm_prices", series="AAA", limit=5, limit2=50).replace("fred.AAA", "px.NVDA.close")
        )
        (rules / "rates.yaml").write_text(THESIS.format(id="calm_rates", series="DGS10", limit=5, limit2=50))
        (rules / "user.yaml").write_text(
            THESIS.format(id="calm_user", series="AAA", limit=5, limit2=50).replace("fred.AAA", "csv.gpu_util")
        )
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'signalflow.db'}", rules_dir=rules)
        store = Store.open(settings.database_url)
        daemon = Daemon(settings, store, service.load_theses(settings), lease=LocalLease(), clock=lambda: NOW)
        try:
            daemon.schedule(now=NOW.astimezone())
            return {
                job.id: job.trigger.interval for job in daemon.scheduler.get_jobs() if job.id.startswith("collect:")
            }
        finally:
            store.close()

    return build


def test_prices_schedule_sets_the_px_interval(scheduled):
    jobs = scheduled(SIGNALFLOW_PRICES_SCHEDULE="15m", SIGNALFLOW_FRED_SCHEDULE="2h", SIGNALFLOW_DEFAULT_SCHEDULE="3h")
    assert jobs == {
        "collect:px": timedelta(minutes=15),
        "collect:fred": timedelta(hours=2),
        "collect:csv": timedelta(hours=3),  # csv.NAME has no interval of its own
    }


def test_defaults_when_nothing_is_set(scheduled):
    assert scheduled() == {
        "collect:px": timedelta(hours=6),
        "collect:fred": timedelta(hours=6),
        "collect:csv": timedelta(hours=6),
    }


def test_a_series_with_its_own_schedule_gets_its_own_job(tmp_path, monkeypatch):
    """``schedule`` of a [[tabular]], [[eia]] or [[prom]] table is that series' interval;
    a series without one runs with its source."""
    rules = tmp_path / "rules"
    rules.mkdir()
    refs = ["csv.hourly", "csv.plain", "eia.power", "eia.gas", "prom.util", "prom.load"]
    for i, ref in enumerate(refs):
        (rules / f"t{i}.yaml").write_text(
            THESIS.format(id=f"calm_{i}", series="AAA", limit=5, limit2=50).replace("fred.AAA", ref)
        )
    monkeypatch.setenv("SIGNALFLOW_TABULAR", json.dumps([
        {"name": "hourly", "url": "h.csv", "schedule": "1h"}, {"name": "plain", "url": "p.csv"},
    ]))
    monkeypatch.setenv("SIGNALFLOW_EIA", json.dumps([
        {"name": "power", "route": "electricity/retail-sales", "schedule": "7d"},
        {"name": "gas", "route": "natural-gas/pri/sum"},
    ]))
    monkeypatch.setenv("SIGNALFLOW_PROM", json.dumps([
        {"name": "util", "query": "up", "schedule": "1m"}, {"name": "load", "query": "load", "schedule": "15m"},
    ]))
    monkeypatch.setenv("SIGNALFLOW_DEFAULT_SCHEDULE", "3h")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'signalflow.db'}", rules_dir=rules)
    store = Store.open(settings.database_url)
    daemon = Daemon(settings, store, service.load_theses(settings), lease=LocalLease(), clock=lambda: NOW)
    try:
        daemon.schedule(now=NOW.astimezone())
        jobs = {j.id: (j.trigger.interval, j.args[1]) for j in daemon.scheduler.get_jobs() if j.id.startswith("collect:")}
        assert jobs == {
            "collect:csv@1h": (timedelta(hours=1), ["csv.hourly"]),
            "collect:csv": (timedelta(hours=3), ["csv.plain"]),
            "collect:eia@7d": (timedelta(days=7), ["eia.power"]),
            "collect:eia": (timedelta(days=1), ["eia.gas"]),
            "collect:prom@1m": (timedelta(minutes=1), ["prom.util"]),
            "collect:prom": (timedelta(minutes=15), ["prom.load"]),  # its own schedule is the source's
        }
        # a series whose own interval is dropped goes back to its source's job
        monkeypatch.setenv("SIGNALFLOW_TABULAR", json.dumps([{"name": "hourly", "url": "h.csv"}, {"name": "plain", "url": "p.csv"}]))
        daemon.settings = Settings(database_url=settings.database_url, rules_dir=rules)
        daemon.schedule(now=NOW.astimezone())
        ids = {j.id: j.args[1] for j in daemon.scheduler.get_jobs() if j.id.startswith("collect:csv")}
        assert ids == {"collect:csv": ["csv.hourly", "csv.plain"]}
    finally:
        store.close()
