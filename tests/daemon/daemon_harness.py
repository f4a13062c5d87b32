"""The daemon harness: thesis files, and `signalflow run` as a real subprocess (signals,
SIGKILL, two processes on one PostgreSQL) fed by the FRED fake in tests/fakes/fred_feed.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from fakes.fred_feed import FredFeed
from fakes.slack_server import TOKEN

THESIS = """\
thesis: {id}
title: "{id}: {series} stays calm"
growth:
  reason: "the series is positive"
  when: fred.{series} > 0
liquidity:
  reason: "the series is positive"
  when: fred.{series} > 0
soft_warning:
  - name: high
    when: fred.{series} > {limit}
    summary: "{series} above {limit}"
  - name: very_high
    when: fred.{series} > {limit2}
    for: 30d
    summary: "{series} above {limit2} for a month"
kill_switch:
  - name: extreme
    when: fred.{series} > 1000
    summary: "{series} above 1000"
"""


def write_thesis(rules: Path, thesis_id: str, series: str, limit: float = 5, limit2: float = 50) -> Path:
    rules.mkdir(parents=True, exist_ok=True)
    path = rules / f"{thesis_id}.yaml"
    path.write_text(THESIS.format(id=thesis_id, series=series, limit=limit, limit2=limit2))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daemon_env(database_url: str, rules: Path, feed: FredFeed, slack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
    env.update(
        SIGNALFLOW_DATABASE_URL=database_url,
        SIGNALFLOW_RULES_DIR=str(rules),
        SIGNALFLOW_FRED_GRAPH_URL=feed.url,
        SIGNALFLOW_FRED_SCHEDULE="1s",
        SIGNALFLOW_SCHEDULE_JITTER="0s",
        SIGNALFLOW_DELIVERY_EVERY="1s",
        SIGNALFLOW_RULES_POLL="1s",
        SIGNALFLOW_LEADER_POLL="0.5s",
        SIGNALFLOW_LOG_JSON="true",
        # Per-thread reminders: a run that crosses 00:00 UTC must not add a digest to the
        # exact set of messages these tests expect.
        SIGNALFLOW_REMINDER_MODE="thread",
        SIGNALFLOW_SLACK_BOT_TOKEN=TOKEN,
        SIGNALFLOW_SLACK_CHANNEL="C0ALERTS",
        SIGNALFLOW_SLACK_API_URL=slack.api_url,
        SIGNALFLOW_ROUTES=json.dumps([{"name": "slack", "notifier": "slack"}]),
        SIGNALFLOW_HTTP_PORT=str(free_port()),
    )
    env.update(extra)
    return env


class DaemonProcess:
    """`python -m signalflow run` with its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = int(env["SIGNALFLOW_HTTP_PORT"])
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "signalflow", "run"], env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            with exc:  # an error reply holds its connection until closed
                return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def readiness(self) -> dict:
        status, body = self.get("/readyz")
        return json.loads(body) if status in (200, 503) and body else {}

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited ({self.proc.returncode}) waiting for {what}:\n{self.tail()}")
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.tail()}")

    def wait_ready(self, role: str | None = None, timeout: float = 30.0) -> None:
        def ready() -> bool:
            state = self.readiness()
            return bool(state.get("ready")) and (role is None or state.get("role") == role)

        self.wait_for(ready, timeout, f"readiness ({role or 'any role'})")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.close()

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self.close()
        return code

    def tail(self, lines: int = 30) -> str:
        if not self._out.closed:
            self._out.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def events(self) -> list[dict]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def recent(days_ago: int) -> date:
    return date.today() - timedelta(days=days_ago)
