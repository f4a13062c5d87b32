"""Slack's side of Socket Mode on 127.0.0.1: the WebSocket that ``apps.connections.open``
hands out (the Web API stand-in in slack_server.py answers that call with :attr:`url`).

It sends ``hello`` when a client connects, then pushes envelopes the test hands it
(``interactive``, ``slash_commands``) and waits for the client's ack with the same
``envelope_id``, as Slack does; the ack's ``payload`` is what Slack would show (a modal's
errors, a slash command's answer).
"""

from __future__ import annotations

import itertools
import json
import queue
import threading

from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    def __init__(self) -> None:
        self.outbox: queue.Queue[dict] = queue.Queue()
        self.acks: dict[str, dict] = {}
        self.acked = threading.Condition()
        self.connected = threading.Event()
        self.connections = 0
        self._ids = itertools.count(1)
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=fake"

    def start(self) -> FakeSocketMode:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def send(self, kind: str, payload: dict, timeout: float = 10.0) -> dict:
        """Push one envelope and return the client's ack (raises TimeoutError without one)."""
        envelope_id = f"env-{next(self._ids)}"
        self.outbox.put({"envelope_id": envelope_id, "type": kind, "payload": payload,
                         "accepts_response_payload": True, "retry_attempt": 0, "retry_reason": ""})
        with self.acked:
            if not self.acked.wait_for(lambda: envelope_id in self.acks, timeout):
                raise TimeoutError(f"no ack for {envelope_id}")
            return self.acks[envelope_id]

    def _session(self, ws: ServerConnection) -> None:
        self.connections += 1
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                            "connection_info": {"app_id": "A0SIGNALFLOW"}}))
        self.connected.set()
        while True:
            try:
                envelope = self.outbox.get(timeout=0.05)
                ws.send(json.dumps(envelope))
            except queue.Empty:
                pass
            try:
                message = ws.recv(timeout=0.05)
            except TimeoutError:
                continue
            except Exception:  # the client went away
                return
            ack = json.loads(message)
            with self.acked:
                self.acks[ack.get("envelope_id", "")] = ack
                self.acked.notify_all()
