"""A local server speaking the Slack Web API methods signalflow uses.

chat.postMessage, chat.update, chat.getPermalink, conversations.history, conversations.replies,
files.getUploadURLExternal, the upload URL it hands out, files.completeUploadExternal,
views.open, views.update, chat.postEphemeral, auth.test (Bolt asks it once), a slash command's
response_url at /commands/...; and incoming webhooks at /webhook. It checks the bearer token and the payload shape like Slack
does (``{"ok": false, "error": ...}``), and can be told to answer 429 with Retry-After, 500,
or to hang (optionally after recording the message: a post whose outcome is unknown).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"  # the app-level token apps.connections.open wants


@dataclass
class Fault:
    status: int = 200
    retry_after: str | None = None
    hang: float = 0.0  # seconds to wait before answering
    record: bool = False  # perform the method before hanging/failing (the outcome is unknown)
    error: str = ""  # an ok=false error code


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict]
    thread_ts: str | None = None
    metadata: dict | None = None
    edits: list[dict] = field(default_factory=list)  # every chat.update, oldest first

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text, "blocks": self.blocks}
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.metadata:
            data["metadata"] = self.metadata
        return data


class FakeSlack:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.socket_url = ""  # what apps.connections.open hands out (see slack_socket.py)
        self.messages: list[Message] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self.completed: list[dict[str, Any]] = []
        self.webhook_posts: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []  # every view opened or updated: {"id", "trigger_id", "view"}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to a slash command's response_url
        self.calls: list[str] = []
        self.faults: dict[str, list[Fault]] = {}
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self.seen = threading.Event()  # set whenever a request arrives
        self.posted = threading.Event()  # set whenever a message is stored
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = fake.handle(parts.path, parts.query, dict(self.headers), raw)
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or was killed

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.release = threading.Event()  # ends every hang at once

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, *faults: Fault) -> None:
        """The next calls of ``method`` get these faults, in turn."""
        with self.lock:
            self.faults.setdefault(method, []).extend(faults)

    def roots(self, channel: str | None = None) -> list[Message]:
        return [m for m in self.messages if not m.thread_ts and (channel is None or m.channel == channel)]

    def replies(self, root: Message) -> list[Message]:
        return [m for m in self.messages if m.thread_ts == root.ts]

    def keys(self) -> list[str]:
        """The outbox key of every message posted, in order (duplicates would show twice)."""
        return [(m.metadata or {}).get("event_payload", {}).get("key", "") for m in self.messages]

    def handle(self, path: str, query: str, headers: dict[str, str], raw: bytes):
        self.seen.set()
        if path.startswith("/upload/"):
            return self._fault_or("upload", lambda: self._upload(path.rsplit("/", 1)[1], raw))
        params = _params(query, headers, raw)
        if path.startswith("/commands/"):
            with self.lock:
                self.responses.append(params)
            return 200, b"ok", {}
        if path == "/webhook":
            return self._fault_or("webhook", lambda: self._webhook(params))
        method = path.removeprefix("/api/")
        with self.lock:
            self.calls.append(method)
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if method == "apps.connections.open":
            if auth != f"Bearer {APP_TOKEN}":
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            return 200, {"ok": True, "url": self.socket_url}, {}
        if auth != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = {
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "auth.test": lambda p: (200, {"ok": True, "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT",
                                          "url": "https://fake.slack.test/", "team": "Fake", "user": "signalflow"}, {}),
            "views.open": self._views_open,
            "views.update": self._views_update,
            "chat.postEphemeral": self._post_ephemeral,
        }.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return self._fault_or(method, lambda: handler(params))

    def _fault_or(self, method: str, action):
        with self.lock:
            queue = self.faults.get(method) or []
            fault = queue.pop(0) if queue else None
        if fault is None:
            return action()
        result = action() if fault.record else None
        if fault.hang:
            self.release.wait(fault.hang)
        if fault.status == 429:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return 429, {"ok": False, "error": "ratelimited"}, headers
        if fault.status >= 500:
            return fault.status, {"ok": False, "error": "internal_error"}, {}
        if fault.error:
            return 200, {"ok": False, "error": fault.error}, {}
        return result or action()

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _post(self, p: dict[str, Any]):
        channel, blocks = p.get("channel"), p.get("blocks")
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if not p.get("text") and not blocks:
            return 200, {"ok": False, "error": "no_text"}, {}
        if blocks is not None and not _valid_blocks(blocks):
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        metadata = p.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and not ({"event_type", "event_payload"} <= set(metadata)):
            return 200, {"ok": False, "error": "invalid_metadata_format"}, {}
        thread_ts = p.get("thread_ts")
        with self.lock:
            if thread_ts and not any(m.ts == thread_ts and m.channel == channel for m in self.messages):
                return 200, {"ok": False, "error": "thread_not_found"}, {}
            message = Message(channel, self._next_ts(), p.get("text", ""), blocks or [], thread_ts, metadata)
            self.messages.append(message)
        self.posted.set()
        return 200, {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_api()}, {}

    def _update(self, p: dict[str, Any]):
        with self.lock:
            for message in self.messages:
                if message.channel == p.get("channel") and message.ts == p.get("ts"):
                    if p.get("blocks") is not None and not _valid_blocks(p["blocks"]):
                        return 200, {"ok": False, "error": "invalid_blocks"}, {}
                    message.edits.append({"text": p.get("text", ""), "blocks": p.get("blocks") or []})
                    return 200, {"ok": True, "channel": message.channel, "ts": message.ts}, {}
        return 200, {"ok": False, "error": "message_not_found"}, {}

    def _permalink(self, p: dict[str, Any]):
        with self.lock:
            found = any(m.channel == p.get("channel") and m.ts == p.get("message_ts") for m in self.messages)
        if not found:
            return 200, {"ok": False, "error": "message_not_found"}, {}
        link = f"https://fake.slack.test/archives/{p['channel']}/p{p['message_ts'].replace('.', '')}"
        return 200, {"ok": True, "channel": p["channel"], "permalink": link}, {}

    def _history(self, p: dict[str, Any]):
        limit = int(p.get("limit") or 100)
        with self.lock:
            found = [m for m in self.messages if m.channel == p.get("channel") and not m.thread_ts]
        found = sorted(found, key=lambda m: m.ts, reverse=True)[:limit]
        return 200, {"ok": True, "messages": [m.as_api() for m in found], "has_more": False}, {}

    def _replies(self, p: dict[str, Any]):
        with self.lock:
            root = [m for m in self.messages if m.channel == p.get("channel") and m.ts == p.get("ts")]
            if not root:
                return 200, {"ok": False, "error": "thread_not_found"}, {}
            thread = root + [m for m in self.messages if m.thread_ts == p.get("ts")]
        return 200, {"ok": True, "messages": [m.as_api() for m in thread], "has_more": False}, {}

    def _get_upload_url(self, p: dict[str, Any]):
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        file_id = f"F{len(self.uploads) + 1:06d}"
        with self.lock:
            self.uploads[file_id] = {"filename": p["filename"], "length": int(p["length"]), "data": None}
        return 200, {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}, {}

    def _upload(self, file_id: str, raw: bytes):
        with self.lock:
            if file_id not in self.uploads:
                return 404, b"no such upload", {}
            self.uploads[file_id]["data"] = raw
        return 200, b"OK - 0", {}

    def _complete_upload(self, p: dict[str, Any]):
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        with self.lock:
            for item in files or []:
                upload = self.uploads.get(item.get("id"))
                if upload is None or upload["data"] is None or len(upload["data"]) != upload["length"]:
                    return 200, {"ok": False, "error": "file_not_found"}, {}
            self.completed.append(
                {"files": files, "channel_id": p.get("channel_id"), "thread_ts": p.get("thread_ts")}
            )
        return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}, {}

    def _views_open(self, p: dict[str, Any]):
        view = p.get("view")
        if not p.get("trigger_id"):
            return 200, {"ok": False, "error": "invalid_trigger_id"}, {}
        if not isinstance(view, dict) or view.get("type") != "modal" or not _valid_blocks(view.get("blocks")):
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        with self.lock:
            opened = {"id": f"V{len(self.views) + 1:06d}", "trigger_id": p["trigger_id"], "view": view}
            self.views.append(opened)
        return 200, {"ok": True, "view": {"id": opened["id"], **view}}, {}

    def _views_update(self, p: dict[str, Any]):
        with self.lock:
            if not any(v["id"] == p.get("view_id") for v in self.views):
                return 200, {"ok": False, "error": "not_found"}, {}
            self.views.append({"id": p["view_id"], "trigger_id": "", "view": p.get("view")})
        return 200, {"ok": True, "view": {"id": p["view_id"]}}, {}

    def _post_ephemeral(self, p: dict[str, Any]):
        if not p.get("channel") or not p.get("user"):
            return 200, {"ok": False, "error": "invalid_arguments"}, {}
        with self.lock:
            self.ephemerals.append({"channel": p["channel"], "user": p["user"], "text": p.get("text", "")})
        return 200, {"ok": True, "message_ts": self._next_ts()}, {}

    def _webhook(self, p: dict[str, Any]):
        if not p.get("text") and not p.get("blocks"):
            return 400, b"no_text", {}
        if p.get("blocks") is not None and not _valid_blocks(p["blocks"]):
            return 400, b"invalid_blocks", {}
        with self.lock:
            self.webhook_posts.append(p)
        return 200, b"ok", {}


def _params(query: str, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if raw and "json" in ctype:
        params.update(json.loads(raw))
    elif raw and "form" in ctype:
        params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
    for name in ("blocks", "metadata", "view"):
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params


def _valid_blocks(blocks: Any) -> bool:
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            return False
        if block["type"] == "header" and len(block.get("text", {}).get("text", "")) > 150:
            return False
        if block["type"] == "section" and not (block.get("text") or block.get("fields")):
            return False
        texts = [block.get("text") or {}, *block.get("fields", ()), *block.get("elements", ())]
        if block["type"] in ("section", "context") and any(len(t.get("text", "")) > 3000 for t in texts):
            return False  # Slack's limit for a text object
    return True
