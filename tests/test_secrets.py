"""No secret reaches anything a user or a log can read.

Every setting typed as a secret (``SecretStr``, ``SecretUrl``; flat, or inside routes, feeds
and ``[[tabular]]`` tables) is found from the settings models, so a new one is covered without
touching this file, and set to a marker of its own: a URL carries it as a path token and a
query token (every other one also as the password of its userinfo). The marker is then looked
for in ``config show``, the ``collect``, ``feeds`` and ``status`` tables, the logs (text and
JSON, at DEBUG), the stale-source notification as each notifier got it, the database file
(every table) and ``/metrics``.
"""

from __future__ import annotations

import io
import json
import sqlite3
import types
import typing
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from typer.testing import CliRunner

from fakes.http_server import Reply, Request
from signalflow import logs, service
from signalflow.cli import app
from signalflow.daemon import Daemon
from signalflow.ops.leader import LocalLease
from signalflow.redact import SecretUrl, display_url, redact, register
from signalflow.alerts.sample import sample_notification
from signalflow.notifiers.slack import SlackNotifier
from signalflow.settings import CoreSettings, Route, Settings
from signalflow.store import Store

NOW = datetime(2025, 6, 2, 12, 0)

# The other fields of an entry of each list that holds secrets inside its tables: a new list
# of that kind fails the test below until it has a sample entry here.
ENTRIES = {
    "routes": {"name": "hook", "notifier": "webhook"},
    "tabular": {"name": "leak", "format": "csv"},
    "feeds": {"name": "leak"},
}

THESIS = """\
thesis: calm_{id}
title: "{ref} stays calm"
growth:
  reason: "positive"
  when: {ref} > 0
liquidity:
  reason: "positive"
  when: {ref} > 0
soft_warning:
  - name: high
    when: {ref} > 5
    summary: "{ref} above 5"
kill_switch:
  - name: extreme
    when: {ref} > 1000
    summary: "{ref} above 1000"
"""


def _secret_types(annotation) -> list[type]:
    """The SecretStr subclasses and models an annotation holds (``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, SecretStr | BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _secret_types(arg)
    return found


def secret_paths(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], type]:
    """Every secret setting as its path (``('routes', 'url')``) and its type."""
    paths: dict[tuple[str, ...], type] = {}
    for name, field in model.model_fields.items():
        for kind in _secret_types(field.annotation):
            if issubclass(kind, SecretStr):
                paths[(*prefix, name)] = kind
            else:
                paths.update(secret_paths(kind, (*prefix, name)))
    return paths


def test_the_secret_settings_are_found_from_the_models():
    paths = secret_paths()
    assert {("prometheus_url",), ("database_url",), ("routes", "url"), ("tabular", "url"),
            ("slack_webhook_url",), ("slack_bot_token",), ("fred_api_key",), ("smtp_password",)} <= set(paths)
    # every URL-valued setting: base URLs of the sources and notifiers, feeds, routes, the DSN
    urls = {("fred_api_url",), ("fred_graph_url",), ("eia_api_url",), ("sec_base_url",), ("sec_tickers_url",),
            ("prices_url",), ("slack_api_url",), ("feeds", "url"), ("prometheus_url",), ("routes", "url"),
            ("tabular", "url"), ("database_url",)}
    assert all(paths.get(p) is SecretUrl for p in urls), sorted(p for p in urls if paths.get(p) is not SecretUrl)
    assert {("slack_webhook_url",), ("webhook_url",)} <= set(paths)  # SecretStr: hidden whole
    assert all(len(p) == 1 or p[0] in ENTRIES for p in paths), "give the new list a sample entry in ENTRIES"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pa55word@prom.internal:9090", "http://***@prom.internal:9090"),
        ("https://hooks.example.com/services/T0/B0/abcdef0123456789", "https://hooks.example.com/services/T0/B0/***"),
        ("postgresql+psycopg://app:pa55word@db/signalflow", "postgresql+psycopg://***@db/signalflow"),
        ("http://u:p4ss@[::1]:9/in/tok3n0042abcdef/x?key=v&fmt=json#f", "http://***@[::1]:9/in/***/x?key=***&fmt=***"),
        ("https://api.eia.gov/v2", "https://api.eia.gov/v2"),
        ("sqlite:///var/lib/signalflow.db", "sqlite:///var/lib/signalflow.db"),
        ("data/util.csv", "data/util.csv"),
    ],
)
def test_a_secret_url_shows_its_host_and_never_its_credentials(url, shown):
    assert str(SecretUrl(url)) == display_url(url) == shown
    assert SecretUrl(url).get_secret_value() == url


def test_redact_takes_out_credentials_and_registered_values():
    register(SecretUrl("https://hooks.example.com/services/T0/B0/tok3n0042abcdef"))
    register(SecretStr("xoxb-0042-redact-me"))
    text = "POST https://hooks.example.com/services/T0/B0/tok3n0042abcdef with xoxb-0042-redact-me failed"
    assert redact(text) == "POST https://hooks.example.com/services/T0/B0/*** with *** failed"
    assert redact("GET http://anyone:whatever@host/x") == "GET http://***@host/x"
    assert redact("services and hooks stay readable") == "services and hooks stay readable"


def _marker(i: int) -> str:
    # letters and digits, 12+ characters: what a token in a URL path looks like
    return f"mk{i:02d}q7z{uuid.uuid4().hex[:12]}"


def _echo(request: Request) -> Reply:
    """A server that quotes back everything it was asked, the worst case for a leak."""
    return Reply(403, f"cannot serve {request.path}?{json.dumps(request.query)} auth={request.headers}")


@pytest.fixture
def secrets_everywhere(tmp_path, monkeypatch, http_server):
    """Every secret setting set to a marker, with a thesis for each source they reach."""
    http_server.routes["/fred/series"] = _echo
    http_server.routes["/fred/series/observations"] = _echo
    hooks: list[Request] = []

    def hook(request: Request) -> Reply:
        hooks.append(request)
        return Reply(200, "ok")

    markers: dict[tuple[str, ...], str] = {}
    values: dict[str, object] = {}
    for i, (path, kind) in enumerate(sorted(secret_paths().items())):
        mark = markers[path] = _marker(i)
        if path == ("database_url",):
            continue  # the database the test reads; a DSN with a password has its own test
        if issubclass(kind, SecretUrl) or path[-1].endswith("url"):
            route = f"/in/{mark}"
            http_server.routes[route] = hook if path[0] == "routes" else _echo
            userinfo = i % 2 or path == ("prometheus_url",)  # the password the issue found leaking
            host = http_server.url.replace("http://", f"http://user:{mark}@") if userinfo else http_server.url
            value = f"{host}{route}?token={mark}"
        else:
            value = mark
        if len(path) == 1:
            values[path[0]] = value
        else:
            values[path[0]] = [{**ENTRIES[path[0]], path[1]: value}]
    values["routes"].append({"name": "console", "notifier": "console"})
    http_server.routes[f"/in/{markers[('prometheus_url',)]}/api/v1/query_range"] = _echo
    rules = tmp_path / "rules"
    rules.mkdir()
    for i, ref in enumerate(["fred.DGS10", "prom.leak", "http.leak", "eia.leak", "sec.NVDA.revenue", "px.NVDA.close",
                            "count(news.order_cut, 30d)"]):
        (rules / f"t{i}.yaml").write_text(THESIS.format(id=i, ref=ref))
    for name, value in values.items():
        monkeypatch.setenv(f"SIGNALFLOW_{name.upper()}", value if isinstance(value, str) else json.dumps(value))
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'leak.db'}", "RULES_DIR": str(rules), "LOG_LEVEL": "DEBUG",
        "PROM": json.dumps([{"name": "leak", "query": "up"}]), "EIA": json.dumps([{"name": "leak", "route": "x"}]),
        "SEC_USER_AGENT": "Leak test leak@example.com", "DATA_DIR": str(tmp_path / "data"),
        "STALE_FAILURES": "1", "DELIVERY_BACKOFF": "0s",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"SIGNALFLOW_{name}", value)
    return types.SimpleNamespace(markers=markers, hooks=hooks, db=tmp_path / "leak.db")


def _database_text(path: Path) -> str:
    """Every row of every table, and the raw file bytes, as text."""
    conn = sqlite3.connect(path)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return dump + raw.decode("latin-1")


@pytest.mark.parametrize("json_logs", [False, True], ids=["text-logs", "json-logs"])
def test_no_secret_marker_appears_anywhere(secrets_everywhere, monkeypatch, capsys, json_logs):
    monkeypatch.setenv("SIGNALFLOW_LOG_JSON", str(json_logs).lower())
    seen: list[str] = []
    runner = CliRunner()
    for args in (["config", "show"], ["config", "show", "--json"], ["collect"], ["collect", "--json"],
                 ["collect", "news"], ["feeds"], ["feeds", "--json"], ["status"], ["status", "--json"]):
        result = runner.invoke(app, args)
        seen += [result.output, getattr(result, "stderr", "") or ""]
        # the collections fail; a failing feed is a warning of the news run
        assert (result.exit_code == 1) == (args[0] == "collect" and args[1:] != ["news"]), result.output
    for source in ("prom", "fred", "eia", "sec", "px"):  # the collect table lists the failures
        assert source in seen[4], seen[4]
    assert "leak" in seen[10] and "failing" in seen[12]  # the feed is listed, and failed

    # the daemon's stale-source path: a notification to every route, delivered
    stream = io.StringIO()
    logs.configure("DEBUG", json_lines=json_logs, stream=stream)
    settings = Settings()
    assert settings.prometheus_url.get_secret_value().startswith("http://user:mk")
    store = Store.open(settings.database_url)
    daemon = Daemon(settings, store, service.load_theses(settings), lease=LocalLease(), clock=lambda: NOW)
    daemon.collect_job("prom", ["prom.leak"])
    daemon.deliver_job()
    metrics = daemon.metrics()
    store.close()
    captured = capsys.readouterr()
    seen += [stream.getvalue(), captured.out, captured.err, metrics]
    assert secrets_everywhere.hooks, "the stale-source notification reached the webhook route"
    delivered = [r.body.decode() for r in secrets_everywhere.hooks]
    assert any("stale" in body.lower() for body in delivered)
    seen += delivered
    seen.append(_database_text(secrets_everywhere.db))
    logged = stream.getvalue()
    # the failure is logged (a warning since the first-run work: an unreachable source is not an
    # ERROR), so a leak through it would show
    assert "collection failed" in logged and ('"level": "warning"' in logged if json_logs else " WARNING " in logged)

    text = "\n".join(seen)
    leaked = {".".join(path): mark for path, mark in secrets_everywhere.markers.items() if mark in text}
    assert not leaked, f"secrets shown: {sorted(leaked)}"


def test_a_database_password_is_never_shown(tmp_path, monkeypatch):
    mark = _marker(99)
    monkeypatch.setenv(
        "SIGNALFLOW_DATABASE_URL", f"postgresql+psycopg://app:{mark}@127.0.0.1:9/signalflow?sslpassword={mark[::-1]}"
    )
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(tmp_path))
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)
    runner = CliRunner()
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 0 and "postgresql+psycopg://***@127.0.0.1:9/signalflow?sslpassword=***" in shown.output
    failed = runner.invoke(app, ["collect"])
    assert failed.exit_code != 0
    for text in (shown.output, failed.output, stream.getvalue(), repr(CoreSettings())):
        assert mark not in text and mark[::-1] not in text


def test_slack_sdk_debug_logs_never_show_the_webhook_url(tmp_path, http_server):
    mark = _marker(98)
    http_server.routes[f"/services/T0/B0/{mark}"] = Reply(200, "ok")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", slack_webhook_url=f"{http_server.url}/services/T0/B0/{mark}")
    stream = io.StringIO()
    logs.configure("DEBUG", stream=stream)
    notifier = SlackNotifier.from_settings(settings)
    notifier.send(sample_notification(Route(name="slack", notifier="slack"), NOW))
    notifier.close()
    assert http_server.requests[-1].path.endswith(mark)  # it was sent, to the real URL
    assert "slack_sdk" in stream.getvalue()  # and slack-sdk logged the request at DEBUG
    assert mark not in stream.getvalue()


def test_credentials_in_any_url_setting_are_masked_in_config_show(monkeypatch):
    mark = _marker(97)
    monkeypatch.setenv("SIGNALFLOW_FRED_API_URL", f"https://proxy-user:{mark}@proxy.example.com/fred")
    result = CliRunner().invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0
    assert mark not in result.output and "https://***@proxy.example.com/fred" in result.output


def test_only_the_credentials_of_a_secret_url_are_hidden_elsewhere():
    register(SecretUrl("http://reader@db.example.com/data.csv?format=json&api_key=k3y0042"))
    text = "reader read data.csv as json with k3y0042"
    assert redact(text) == "reader read data.csv as json with ***"
