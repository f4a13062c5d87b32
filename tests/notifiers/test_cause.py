"""Every notifier says what caused an alert (a revision with its old and new value, the
passage of time, ...), and the cause survives the outbox's JSON."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from rich.console import Console

from signalflow.notifiers.console import ConsoleNotifier
from signalflow.notifiers.email import compose
from signalflow.notifiers.notification import InputLine, Kind, Notification
from signalflow.notifiers.slack_blocks import blocks_for

CAUSE = "fred.PAYEMS_CHG 2021-09 was revised from 194 to 312 on 2021-11-05"


def _notification(cause: str) -> Notification:
    return Notification(
        key="payrolls/hiring_strong/1/firing@r",
        alert_key="payrolls/hiring_strong/1",
        kind=Kind.FIRING,
        severity="soft_warning",
        thesis="payrolls",
        title="Payrolls",
        rule="hiring_strong",
        at=datetime(2021, 11, 5),
        why="firing since 2021-11-05 00:00:00: mean(fred.PAYEMS_CHG, 2) = 421.5 > 400 holds",
        cause=cause,
        inputs=(InputLine("fred.PAYEMS_CHG", 531.0, "", "", "2021-10-01..2021-10-31", "2021-11-05T00:00:00"),),
    )


def _console(n: Notification) -> str:
    out = io.StringIO()
    ConsoleNotifier(Console(file=out, width=200)).send(n)
    return out.getvalue()


def _email(n: Notification) -> str:
    return compose(n, "a@example.com", ("b@example.com",), None).get_content()


def _slack(n: Notification) -> str:
    return json.dumps([b.to_dict() for b in blocks_for(n)])


@pytest.mark.parametrize("render", [_console, _email, _slack], ids=["console", "email", "slack"])
def test_each_notifier_states_the_cause(render):
    assert f"Because {CAUSE}" in render(_notification(CAUSE))
    assert "Because" not in render(_notification(""))


def test_the_cause_survives_the_outbox_json():
    n = _notification(CAUSE)
    again = Notification.from_json(n.to_json())
    assert again.cause == CAUSE and again == n
    assert n.to_dict()["cause"] == CAUSE  # what the webhook posts
