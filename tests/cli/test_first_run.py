"""A new user's first `signalflow run`: one start-up summary, sources not configured yet are
skipped (not failed, not logged as ERROR), repeated failures of one host are one line, a
stop during a collection is not a source failure, and an empty store points to demo/import."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from signalflow import service
from signalflow.cli import app
from signalflow.errors import Unreachable
from signalflow.settings import Settings
from signalflow.sources.http import STOPPING, HttpClient
from signalflow.store import Store
from signalflow.thesis.loader import load_rules_dir

PROJECT = Path(__file__).resolve().parents[2]
UNRESOLVABLE = "http://signalflow-first-run.invalid"


def _unresolved(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    waits: list[float] = []
    client = HttpClient("fred", retries=4, sleep=waits.append, transport=httpx.MockTransport(_unresolved))
    with pytest.raises(Unreachable, match=r"cannot reach fred\.example \(name resolution failed\)"):
        client.get("https://fred.example/graph/fredgraph.csv?id=DGS10")
    assert waits == []


def test_every_series_failing_on_one_host_is_one_warning_line(tmp_path, caplog) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}", fred_graph_url=f"{UNRESOLVABLE}/fredgraph.csv")
    store = Store.open(settings.database_url)
    caplog.set_level(logging.DEBUG)
    try:
        report = service.collect_source(settings, store, "fred", ["fred.DGS10", "fred.DGS2", "fred.WALCL"])
        health = {h.source: h for h in store.source_health()}
    finally:
        store.close()
    assert not report.ok
    assert report.error == "fred: 3 series failed: cannot reach signalflow-first-run.invalid (name resolution failed)"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["collection failed"]
    assert health["fred"].consecutive_failures == 1


def test_a_source_waiting_for_its_setting_is_skipped_not_failed(tmp_path, caplog) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.db'}")
    store = Store.open(settings.database_url)
    caplog.set_level(logging.INFO)
    try:
        sec = service.collect_source(settings, store, "sec", ["sec.NVDA.revenue", "sec.MSFT.capex"])
        csv = service.collect_source(settings, store, "csv", ["csv.gpu_utilization"])
        health = store.source_health()
    finally:
        store.close()
    assert sec.ok and sec.waiting == {"SIGNALFLOW_SEC_USER_AGENT": ["sec.NVDA.revenue", "sec.MSFT.capex"]}
    assert csv.ok and list(csv.waiting) == ["[[tabular]] name = 'gpu_utilization' in signalflow.toml"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert health == []  # nothing recorded as a failure (or a success) of a source never run


def test_a_stop_during_a_collection_is_not_a_source_failure(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", fred_graph_url="http://127.0.0.1:9/x.csv")
    store = Store.open(settings.database_url)
    STOPPING.set()
    try:
        report = service.collect_source(settings, store, "fred", ["fred.DGS10"])
        health = store.source_health()
    finally:
        STOPPING.clear()
        store.close()
    assert report.interrupted and not report.ok
    assert health == []


@pytest.fixture
def fresh_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PROJECT / "rules", tmp_path / "rules")
    monkeypatch.setenv("COLUMNS", "80")
    for var in ("SIGNALFLOW_FRED_GRAPH_URL", "SIGNALFLOW_PRICES_URL"):
        monkeypatch.setenv(var, UNRESOLVABLE)
    monkeypatch.setenv("SIGNALFLOW_FEEDS", f'[{{"name": "offline", "url": "{UNRESOLVABLE}/feed.xml"}}]')
    return tmp_path


def test_first_run_once_says_what_it_does_and_what_to_do_next(fresh_folder: Path) -> None:
    result = CliRunner().invoke(app, ["run", "--once"])
    out = result.output
    theses = len(load_rules_dir(PROJECT / "rules").theses)  # a for_each file gives several
    assert theses >= 7 and f"signalflow: {theses} theses from rules/" in out
    assert "database: sqlite:///" in out
    sec = len(service.refs_by_source(load_rules_dir(PROJECT / "rules").theses)["sec"])
    assert sec >= 14 and f"sec ({sec} series) needs SIGNALFLOW_SEC_USER_AGENT" in out
    assert "csv.gpu_utilization needs [[tabular]] name = 'gpu_utilization'" in out
    assert " ERROR " not in out
    assert "fred: 8 series failed: cannot reach signalflow-first-run.invalid (name resolution failed)" in out
    assert out.count("fred: 8 series failed") <= 2  # one log line and the table, not one per series
    assert "retrying" not in out and "one item failed" not in out
    assert "`signalflow demo`" in out and "`signalflow import PATH`" in out
    table = out[out.index("Collection"):]
    assert max(len(line) for line in table.splitlines()) <= 80


def test_status_names_the_setting_a_thesis_waits_for(fresh_folder: Path) -> None:
    CliRunner().invoke(app, ["run", "--once"])
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    import json

    rows = {r["thesis"]: r for r in json.loads(result.stdout)["theses"]}
    assert "SIGNALFLOW_SEC_USER_AGENT" in rows["memory_hbm"]["waiting_for"]
    assert rows["liquidity_regime"]["waiting_for"] == []
    text = CliRunner().invoke(app, ["status"]).output
    assert "waiting for: SIGNALFLOW_SEC_USER_AGENT" in " ".join(text.split())


def test_init_writes_a_commented_toml_that_the_settings_read(tmp_path: Path) -> None:
    import tomllib

    result = CliRunner().invoke(
        app, ["init", "--sec-user-agent", "Ada Lovelace ada@example.com", "--fred-api-key", "k" * 32]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "signalflow.toml").read_text()
    assert "# slack_webhook_url = " in text  # not given: left commented, with an example
    assert tomllib.loads(text)["sec_user_agent"] == "Ada Lovelace ada@example.com"
    settings = Settings()
    assert settings.sec_user_agent == "Ada Lovelace ada@example.com"
    assert settings.fred_api_key.get_secret_value() == "k" * 32
    assert (tmp_path / "signalflow.toml").stat().st_mode & 0o077 == 0  # it holds a secret
    again = CliRunner().invoke(app, ["init"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_init_without_a_terminal_asks_nothing(tmp_path: Path) -> None:
    import tomllib

    result = CliRunner().invoke(app, ["init"], input="")
    assert result.exit_code == 0, result.output
    assert tomllib.loads((tmp_path / "signalflow.toml").read_text()) == {
        "rules_dir": "rules", "database_url": "sqlite:///signalflow.db"
    }
    assert Settings().sec_user_agent == ""


def test_the_daemon_says_once_where_to_go_when_nothing_could_be_collected(tmp_path: Path, caplog) -> None:
    from signalflow.daemon import Daemon

    rules = tmp_path / "rules"
    shutil.copytree(PROJECT / "rules", rules)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}", rules_dir=rules)
    store = Store.open(settings.database_url)
    daemon = Daemon(settings, store, service.load_theses(settings))
    caplog.set_level(logging.WARNING)
    sources = list(service.refs_by_source(daemon.theses))
    for name in sources[:-1]:
        daemon._tell_if_empty(name)
    assert service.NOTHING_COLLECTED not in caplog.messages  # not every source has run yet
    daemon._tell_if_empty(sources[-1])
    daemon._tell_if_empty(sources[0])
    store.close()
    assert caplog.messages.count(service.NOTHING_COLLECTED) == 1


def test_each_failing_feed_is_one_warning_line(tmp_path, caplog) -> None:
    """A feed that cannot be reached is logged once per run (by the run, with the others), not
    once by the news source and again by the run."""
    feeds = [{"name": f"offline{i}", "url": f"{UNRESOLVABLE}/feed{i}.xml"} for i in range(2)]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", feeds=feeds)
    store = Store.open(settings.database_url)
    caplog.set_level(logging.DEBUG)
    try:
        service.collect_source(settings, store, "news", ["news.deployment_delay"])
    finally:
        store.close()
    warned = [
        " ".join(str(getattr(r, k, "")) for k in ("msg", "feed", "warning", "error"))
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]
    for i in range(2):
        assert len([w for w in warned if f"offline{i}" in w]) == 1, warned
