"""The HTTP endpoint: ``/healthz`` (the process answers), ``/readyz`` (database reachable,
rules loaded, scheduler running; 503 otherwise), ``/metrics`` (Prometheus text), and the
POST paths the daemon hands in (the Slack Request URLs, see :mod:`signalflow.slackapp`).

A stdlib server in a daemon thread: no dependency, a few hundred kilobytes of memory.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from signalflow.ops.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # Slack's payloads are far smaller; a bigger body is cut (and then refused)


@dataclass(frozen=True)
class Readiness:
    database: bool
    rules: bool
    scheduler: bool
    role: str  # leader | standby
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.database and self.rules and self.scheduler


@dataclass(frozen=True)
class Probe:
    """What the endpoint asks the daemon."""

    readiness: Callable[[], Readiness]
    metrics: Callable[[], str]
    # POST path -> handler(headers, body) -> (status, content type, body): the Slack endpoints
    posts: dict[str, Callable[[dict[str, str], bytes], tuple[int, str, str]]] = field(default_factory=dict)


class OpsServer:
    """Serve a Probe on ``host:port`` (port 0 here means any free port; the daemon does not
    start the server at all when ``http_port`` is 0)."""

    def __init__(self, host: str, port: int, probe: Probe) -> None:
        self.probe = probe
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._reply(*server.answer(self.path.split("?", 1)[0]))

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length) if length else b""
                self._reply(*server.post(self.path.split("?", 1)[0], dict(self.headers), body))

            def _reply(self, status: int, ctype: str, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="signalflow-http", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    def answer(self, path: str) -> tuple[int, str, str]:
        try:
            if path == "/healthz":
                return 200, "text/plain; charset=utf-8", "ok\n"
            if path == "/readyz":
                state = self.probe.readiness()
                body = json.dumps(asdict(state) | {"ready": state.ready}) + "\n"
                return (200 if state.ready else 503), "application/json", body
            if path == "/metrics":
                return 200, CONTENT_TYPE, self.probe.metrics()
        except Exception as exc:  # a scrape must never take the daemon down
            log.error("endpoint failed", extra={"path": path, "error": f"{type(exc).__name__}: {exc}"})
            return 503, "text/plain; charset=utf-8", f"error: {type(exc).__name__}\n"
        return 404, "text/plain; charset=utf-8", "not found: try /healthz, /readyz or /metrics\n"

    def post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, str]:
        handler = self.probe.posts.get(path)
        if handler is None:
            return 404, "text/plain; charset=utf-8", "not found\n"
        try:
            return handler(headers, body)
        except Exception as exc:  # a request must never take the daemon down
            log.error("endpoint failed", extra={"path": path, "error": f"{type(exc).__name__}: {exc}"})
            return 500, "text/plain; charset=utf-8", f"error: {type(exc).__name__}\n"

    def start(self) -> OpsServer:
        self.thread.start()
        log.info("health endpoint listening", extra={"address": "%s:%d" % self.address})
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
