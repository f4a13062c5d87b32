"""Each source is collected on the interval of its own settings: the price source is named
``px`` but its interval is ``prices_schedule``, and a source without one runs on
``default_schedule``."""

from __future__ import annotations

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
