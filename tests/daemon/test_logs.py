"""Structured logs: one JSON object per line when configured, and no secret ever logged,
through a collection that fails with the key echoed back and deliveries that succeed and
fail (a webhook URL carrying its secret in the path)."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest
from pydantic import SecretStr

from fakes.slack_server import TOKEN
from signalflow import logs, service
from signalflow.ops import queue_ops
from signalflow.settings import Route, Settings
from signalflow.store import Store

SECRET_FIELDS = sorted(
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
)


@pytest.fixture
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logs.configure("DEBUG", json_lines=True, stream=stream)
    yield stream
    for handler in [h for h in root.handlers if getattr(h, "_signalflow", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_every_secret_setting_is_covered():
    assert SECRET_FIELDS == [
        "eia_api_key", "fred_api_key", "slack_app_token", "slack_bot_token", "slack_signing_secret",
        "slack_webhook_url", "smtp_password", "webhook_url",
    ]


def test_no_secret_reaches_the_log(tmp_path, http_server, fake_slack, captured):
    from fakes.http_server import Reply

    secrets = {name: f"s3cret-{name.replace('_', '-')}-0042" for name in SECRET_FIELDS}
    secrets["slack_bot_token"] = TOKEN + "-" + "9" * 8
    fake_slack.token = secrets["slack_bot_token"]
    secrets["webhook_url"] = f"{http_server.url}/hook/{secrets['webhook_url']}"
    hook_path = secrets["webhook_url"].split(http_server.url, 1)[1]
    key = secrets["fred_api_key"]
    # The FRED API answers with an error that echoes the key, then the webhook fails once.
    http_server.routes["/fred/series"] = Reply(400, {"error_code": 400, "error_message": f"Bad api_key={key}"})
    http_server.routes["/fred/series/observations"] = Reply(400, {"error_code": 400, "error_message": f"api_key={key}"})
    http_server.routes[hook_path] = [Reply(500, f"failed for {hook_path}"), Reply(200, "ok")]
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'logs.db'}",
        rules_dir=tmp_path / "rules",
        fred_api_url=f"{http_server.url}/fred",
        slack_api_url=fake_slack.api_url,
        slack_channel="C0ALERTS",
        delivery_backoff="0s",
        routes=[Route(name="slack", notifier="slack"), Route(name="hook", notifier="webhook")],
        **{name: SecretStr(value) for name, value in secrets.items()},
    )
    store = Store.open(settings.database_url)
    try:
        report = service.collect_source(settings, store, "fred", ["fred.DGS10"])
        assert not report.ok
        with store.session() as session:
            queue_ops(session, settings, "ops/test/1", "A test", "nothing", datetime(2025, 6, 2))
        delivery = service.deliver(settings, store)
        assert delivery.sent == 2
        logging.getLogger("signalflow.test").info("settings", extra={"settings": settings.masked()})
    finally:
        store.close()
    text = captured.getvalue()
    assert "collection failed" in text and "retrying" in text  # the failures were logged...
    for name, value in secrets.items():
        assert value not in text, f"{name} leaked into the log"  # ...without a secret
    assert hook_path not in text


def test_json_lines_are_one_event_each(captured):
    log = logging.getLogger("signalflow.test")
    log.info("collected", extra={"source": "fred", "observations_added": 3, "note": "two\nlines"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("evaluation pass failed")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert {k: first[k] for k in ("level", "logger", "event", "source", "observations_added", "note")} == {
        "level": "info", "logger": "signalflow.test", "event": "collected", "source": "fred",
        "observations_added": 3, "note": "two\nlines",
    }
    assert datetime.fromisoformat(first["ts"]).tzinfo is not None
    assert second["level"] == "error" and "ValueError: boom" in second["exc"]
