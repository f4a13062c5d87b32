"""Slack's side of interactivity: signed requests to a Request URL, as Slack sends them.

Payloads are shaped like Slack's (``block_actions``, ``view_submission``, a slash command),
form-encoded, and signed v0 with the app's signing secret (HMAC-SHA256 over
``v0:timestamp:body``) by slack-sdk's own signer.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:  # an error reply holds its connection until closed
            return exc.code, exc.read().decode()


def interactive(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def click(user: str, root, action_id: str, action_ts: str = "1700000100.000001") -> dict:
    """A ``block_actions`` payload: ``user`` clicked ``action_id`` on the root message."""
    [button] = [e for b in root.blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower()},
        "api_app_id": "A0SIGNALFLOW",
        "team": {"id": "T0TEAM"},
        "trigger_id": f"trigger-{user}-{action_ts}",
        "container": {"type": "message", "message_ts": root.ts, "channel_id": root.channel, "is_ephemeral": False},
        "channel": {"id": root.channel, "name": "alerts"},
        "message": {"type": "message", "ts": root.ts, "text": root.text, "blocks": root.blocks},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "signalflow_decide", "value": button["value"],
             "action_ts": action_ts}
        ],
    }


def submit(user: str, opened: dict, decision: str, note: str, until: int | str | None = None, unless: str = "") -> dict:
    """A ``view_submission`` payload: ``user`` filled the modal ``opened`` (as views.open got it).
    ``until`` is what the modal's re-arm element holds, as Slack sends it: a datetimepicker's
    Unix time in seconds, or an older modal's datepicker date ('YYYY-MM-DD')."""
    view = opened["view"]
    kind = next((b["element"]["type"] for b in view.get("blocks", ()) if b.get("block_id") == "until"), "datetimepicker")
    picked = {"selected_date": until} if kind == "datepicker" else {"selected_date_time": until}
    values = {
        "decision": {"value": {"type": "static_select", "selected_option": {"value": decision}}},
        "note": {"value": {"type": "plain_text_input", "value": note or None}},
        "until": {"value": {"type": kind, **picked}},
        "unless": {"value": {"type": "plain_text_input", "value": unless or None}},
    }
    return {
        "type": "view_submission",
        "user": {"id": user},
        "api_app_id": "A0SIGNALFLOW",
        "team": {"id": "T0TEAM"},
        "trigger_id": f"trigger-submit-{user}",
        "view": {
            "id": opened["id"],
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "hash": "1700000200.abc",
            "state": {"values": values},
        },
    }


def slash(user: str, text: str, response_url: str = "https://hooks.slack.test/commands/1") -> bytes:
    return urlencode(
        {"command": "/signalflow", "text": text, "user_id": user, "channel_id": "C0ALERTS", "team_id": "T0TEAM",
         "response_url": response_url, "trigger_id": "trigger-slash", "api_app_id": "A0SIGNALFLOW"}
    ).encode()
