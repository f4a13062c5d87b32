"""FRED's keyless ``fredgraph.csv`` endpoint, served by the local HTTP server."""

from __future__ import annotations

import threading
from datetime import date

from fakes.http_server import LocalServer, Reply, Request


class FredFeed:
    """The keyless fredgraph.csv endpoint over a local server: the test publishes daily
    observations; every request sees what has been published so far."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.rows: dict[str, list[tuple[date, float]]] = {}
        self.lock = threading.Lock()
        server.routes["/fredgraph.csv"] = self.reply

    @property
    def url(self) -> str:
        return f"{self.server.url}/fredgraph.csv"

    def publish(self, series: str, day: date, value: float) -> None:
        with self.lock:
            self.rows.setdefault(series, []).append((day, value))

    def reply(self, request: Request) -> Reply:
        series = request.query.get("id", [""])[0]
        with self.lock:
            rows = list(self.rows.get(series, []))
        if not rows:
            return Reply(404, "no such series")
        body = f"observation_date,{series}\n" + "".join(f"{d.isoformat()},{v:g}\n" for d, v in rows)
        return Reply(200, body, {"Content-Type": "text/csv"})
