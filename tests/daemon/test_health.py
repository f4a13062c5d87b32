"""The HTTP endpoint: /healthz, /readyz (503 until ready), and /metrics parsed as
Prometheus exposition text, its figures checked against what the test stored."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon_harness import write_thesis
from signalflow import service
from signalflow.daemon import Daemon
from signalflow.ops import OpsServer, Probe
from signalflow.ops.leader import LocalLease
from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.store import Store
from signalflow.store.models import AlertRow, OutboxRow

NOW = datetime(2025, 6, 2, 12, 0)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:  # an error reply holds its connection until closed
            return exc.code, exc.headers["Content-Type"], exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def daemon(settings, tmp_path):
    write_thesis(settings.rules_dir, "calm_aaa", "AAA")
    store = Store.open(settings.database_url)
    daemon = Daemon(settings, store, service.load_theses(settings), lease=LocalLease(), clock=lambda: NOW)
    server = OpsServer("127.0.0.1", 0, Probe(daemon.readiness, daemon.metrics)).start()
    yield daemon, "http://%s:%d" % server.address
    server.stop()
    if daemon.scheduler.running:
        daemon.scheduler.shutdown(wait=False)
    store.close()


def test_healthz_answers_and_readyz_waits_for_the_scheduler(daemon):
    d, url = daemon
    assert get(url + "/healthz")[0] == 200
    status, ctype, body = get(url + "/readyz")
    assert (status, json.loads(body)["scheduler"], json.loads(body)["database"]) == (503, False, True)
    d.scheduler.start(paused=True)
    d.leader = True  # what lead() sets on taking the lease; the jobs stay paused here
    status, _, body = get(url + "/readyz")
    assert status == 200
    assert json.loads(body) | {"detail": ""} == {
        "database": True, "rules": True, "scheduler": True, "role": "leader", "detail": "", "ready": True
    }
    assert get(url + "/nowhere")[0] == 404


def test_readyz_is_503_without_rules(daemon):
    d, url = daemon
    d.scheduler.start(paused=True)
    d.theses = []
    status, _, body = get(url + "/readyz")
    assert status == 503 and json.loads(body)["rules"] is False


def test_metrics_report_sources_observations_alerts_and_the_outbox(daemon):
    d, url = daemon
    store = d.store
    batch = Batch(
        series=[SeriesInfo(key="fred.AAA", source="fred", frequency="daily")],
        observations=[
            Observation("fred.AAA", NOW.date() - timedelta(days=i + 1), NOW.date() - timedelta(days=i + 1), 1.0 + i, NOW)
            for i in range(3)
        ],
    )
    stored = store.add_batch(batch).observations_added
    store.record_source_result("fred", ok=True, stored=stored)
    store.record_source_result("sec", ok=False, error="HTTP 503")
    store.record_source_result("sec", ok=False, error="HTTP 503")
    with store.session() as session:
        session.add(AlertRow(thesis="t", rule="r", severity="kill_switch", fired_at=NOW))
        session.add(AlertRow(thesis="t", rule="s", severity="soft_warning", fired_at=NOW, state="resolved"))
        session.add(OutboxRow(dedup_key="a", kind="firing", notifier="slack", payload_json="{}"))
        session.add(OutboxRow(dedup_key="b", kind="firing", notifier="slack", payload_json="{}", status="failed"))
    d.counters.add("evaluations", amount=4)
    d.counters.add("deliveries", "retry")
    d.counters.add("deliveries", "sent")

    status, ctype, text = get(url + "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    got = samples(text)
    fred_success = store.source_health()[0].last_success
    assert got[("signalflow_source_last_success_timestamp_seconds", (("source", "fred"),))] == pytest.approx(
        (fred_success - datetime(1970, 1, 1)).total_seconds()
    )
    assert got[("signalflow_source_lag_seconds", (("source", "fred"),))] == pytest.approx(
        max(0.0, (NOW - fred_success).total_seconds())
    )
    assert got[("signalflow_source_failures_total", (("source", "sec"),))] == 2
    assert got[("signalflow_source_consecutive_failures", (("source", "sec"),))] == 2
    assert got[("signalflow_source_observations_stored_total", (("source", "fred"),))] == stored == 3
    assert got[("signalflow_observations", ())] == 3
    assert got[("signalflow_alerts", (("severity", "kill_switch"), ("state", "firing")))] == 1
    assert got[("signalflow_alerts", (("severity", "soft_warning"), ("state", "resolved")))] == 1
    assert got[("signalflow_outbox", (("status", "pending"),))] == 1
    assert got[("signalflow_outbox", (("status", "failed"),))] == 1
    assert got[("signalflow_outbox_depth", ())] == 1
    assert got[("signalflow_evaluations_total", ())] == 4
    assert got[("signalflow_delivery_failures_total", ())] == 1
    assert got[("signalflow_theses_loaded", ())] == 1


def test_a_daemon_with_port_zero_starts_no_endpoint(settings):
    store = Store.open("sqlite://")
    d = Daemon(settings.model_copy(update={"http_port": 0}), store, [], lease=LocalLease())
    d.start_server()
    assert d.server is None
    store.close()


def test_the_daemon_serves_the_slack_request_url_and_counts_refusals(settings, fake_slack):
    import socket

    from pydantic import SecretStr

    with socket.socket() as probe:  # a free port for the daemon's own server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configured = settings.model_copy(update={
        "http_host": "127.0.0.1", "http_port": port, "slack_bot_token": SecretStr("xoxb-test-token"),
        "slack_api_url": fake_slack.api_url, "slack_signing_secret": SecretStr("the-signing-secret"),
    })
    store = Store.open(settings.database_url)
    d = Daemon(configured, store, [], lease=LocalLease(), clock=lambda: NOW)
    d.start_server()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/interactions", data=b"payload=%7B%7D", method="POST",
            headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        refused.value.close()  # its connection, else left to the garbage collector
        _, _, text = get(f"http://127.0.0.1:{port}/metrics")
    finally:
        d.server.stop()
        store.close()
    assert refused.value.code == 401
    assert d.socket is None  # no app-level token: no Socket Mode
    assert samples(text)[("signalflow_slack_requests_total", (("verdict", "stale"),))] == 1


def test_the_daemon_runs_socket_mode_with_an_app_token_and_survives_slack_down(settings, fake_slack, caplog):
    from pydantic import SecretStr

    from fakes.slack_server import APP_TOKEN
    from fakes.slack_socket import FakeSocketMode

    socket_slack = FakeSocketMode().start()
    configured = settings.model_copy(update={
        "http_port": 0, "slack_bot_token": SecretStr("xoxb-test-token"), "slack_api_url": fake_slack.api_url,
        "slack_app_token": SecretStr(APP_TOKEN),
    })
    store = Store.open(settings.database_url)
    try:
        fake_slack.socket_url = socket_slack.url
        up = Daemon(configured, store, [], lease=LocalLease())
        up.start_server()
        connected = socket_slack.connected.wait(10)
        up.socket.close()
        assert not up.socket.client.is_connected()  # no session left open behind close()
        fake_slack.socket_url = "ws://127.0.0.1:9/nowhere"  # nothing listens there
        down = Daemon(configured, store, [], lease=LocalLease())
        down.start_server()  # returns: the client logs the refusal and reconnects on its own
        down.socket.close()
        assert not down.socket.client.is_connected()
    finally:
        socket_slack.stop()
        store.close()
    assert connected and up.server is None
    assert "Connection refused" in caplog.text
