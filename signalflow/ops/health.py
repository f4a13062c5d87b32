"""The HTTP endpoint: ``/healthz`` (the process answers), ``/readyz`` (database reachable,
rules loaded, scheduler running; 503 otherwise) and ``/metrics`` (Prometheus text).

A stdlib server in a daemon thread: no dependency, a few hundred kilobytes of memory.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from signalflow.ops.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


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
                status, ctype, body = server.answer(self.path.split("?", 1)[0])
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

    def start(self) -> OpsServer:
        self.thread.start()
        log.info("health endpoint listening", extra={"address": "%s:%d" % self.address})
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
