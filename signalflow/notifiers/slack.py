"""Slack through slack-sdk: a bot token (threads, edits, reconciliation) or an incoming
webhook (the simple fallback: no edits, no threads, no reconciliation).

With a bot token, an alert episode is one thread: the first message is its root, follow-ups
(reminders, re-arms, the resolve) are replies, and each reply also edits the root to show
the current state. Every message carries Slack message metadata with its outbox key, so a
post whose outcome is unknown is found again (``conversations.history`` /
``conversations.replies``) instead of posted twice. Use a channel ID, not a name: the
history methods need one.
"""

from __future__ import annotations

import http.client
import logging
import socket
import urllib.error
from pathlib import Path

from signalflow._faults import checkpoint
from signalflow.errors import ConfigError, DeliveryError, DeliveryOutcomeUnknown
from signalflow.notifiers.base import Notifier, Receipt
from signalflow.notifiers.notification import Notification
from signalflow.notifiers.slack_settings import SlackSettings
from signalflow.settings import Route, Settings

log = logging.getLogger(__name__)

EVENT_TYPE = "signalflow_alert"
HISTORY_DEPTH = 200  # messages searched when reconciling; a pass delivers far fewer
PERMANENT = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
    }
)


class SlackNotifier(Notifier):
    name = "slack"

    def __init__(
        self,
        token: str | None = None,
        channel: str = "",
        webhook_url: str | None = None,
        api_url: str = "https://slack.com/api/",
        timeout: float = 10.0,
        interactive: bool = False,
    ) -> None:
        if not token and not webhook_url:
            raise ConfigError("slack_bot_token", "Slack needs a bot token or an incoming-webhook URL")
        self.channel = channel
        self.timeout = timeout
        self.interactive = interactive and bool(token)
        self.client = None
        self.webhook = None
        if token:
            from slack_sdk import WebClient

            # No retry handlers: a blind retry after a timeout is how messages get posted twice.
            self.client = WebClient(token=token, base_url=api_url, timeout=max(1, round(timeout)), retry_handlers=[])
        else:
            from slack_sdk.webhook import WebhookClient

            self.webhook = WebhookClient(webhook_url, timeout=max(1, round(timeout)), retry_handlers=[])

    @property
    def threaded(self) -> bool:  # type: ignore[override]
        return self.client is not None

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        config = settings.section(SlackSettings)
        return bool(config.bot_token or config.webhook_url)

    @classmethod
    def from_settings(cls, settings: Settings, route: Route | None = None) -> SlackNotifier:
        config = settings.section(SlackSettings)
        token = config.bot_token.get_secret_value() if config.bot_token else None
        webhook = config.webhook_url.get_secret_value() if config.webhook_url else None
        channel = (route.channel if route else "") or config.channel
        if token and not channel:
            raise ConfigError("slack_channel", "a bot token needs a channel", "set SIGNALFLOW_SLACK_CHANNEL")
        return cls(token, channel, webhook, config.api_url.get_secret_value(), settings.delivery_timeout, config.interactive)

    def steps(self, notification: Notification, thread: Receipt | None = None) -> tuple[str, ...]:
        """A root message, then its chart's upload; or a reply, then the root's edit. Each
        has its own outcome, so a failed edit never posts its reply again."""
        if self.client is None:
            return ("send",)
        if thread is None or notification.kind.starts_thread:
            return ("post", "upload") if notification.chart_path else ("post",)
        return ("reply", "edit")

    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        if self.client is None:
            return self._send_webhook(notification)
        if thread is None or notification.kind.starts_thread:
            return self._post_root(notification)
        return self._post_reply(notification, thread)

    def follow_up(self, step: str, notification: Notification, thread: Receipt | None, message: Receipt) -> None:
        if step == "edit" and thread is not None:
            self._update_root(notification, thread)
        elif step == "upload":
            self._upload_chart(notification, message)
        else:
            super().follow_up(step, notification, thread, message)

    def repeatable(self, step: str) -> bool:
        return step != "upload"

    def reconcile(self, notification: Notification, thread: Receipt | None = None) -> Receipt | None:
        if self.client is None:
            return None
        if thread is None or notification.kind.starts_thread:
            channel = notification.channel or self.channel
            found = self._call("conversations_history", channel=channel, limit=HISTORY_DEPTH, include_all_metadata=True)
            message = _tagged(found.get("messages", []), notification.key)
            return Receipt(self.name, channel=channel, ts=message["ts"]) if message else None
        found = self._call(
            "conversations_replies", channel=thread.channel, ts=thread.ts, limit=HISTORY_DEPTH, include_all_metadata=True
        )
        message = _tagged(found.get("messages", []), notification.key)
        if message is None:
            return None
        return Receipt(self.name, channel=thread.channel, ts=message["ts"], thread_ts=thread.ts)

    def _post_root(self, n: Notification) -> Receipt:
        from signalflow.notifiers.slack_blocks import blocks_for, fallback_text

        reply = self._call(
            "chat_postMessage",
            channel=n.channel or self.channel,
            text=fallback_text(n),
            blocks=blocks_for(n, self._permalinks(n), interactive=self.interactive),
            metadata=_metadata(n),
            unfurl_links=False,
        )
        checkpoint("posted")
        return Receipt(self.name, channel=reply["channel"], ts=reply["ts"])

    def _post_reply(self, n: Notification, thread: Receipt) -> Receipt:
        from signalflow.notifiers.slack_blocks import blocks_for, fallback_text

        reply = self._call(
            "chat_postMessage",
            channel=thread.channel,
            thread_ts=thread.ts,
            text=fallback_text(n),
            blocks=blocks_for(n),
            metadata=_metadata(n),
            unfurl_links=False,
        )
        checkpoint("replied")
        return Receipt(self.name, channel=thread.channel, ts=reply["ts"], thread_ts=thread.ts)

    def _permalinks(self, n: Notification) -> dict[str, str]:
        """A digest links each alert's thread; an alert whose permalink cannot be had is
        shown with its channel and ts instead."""
        links = {}
        for entry in n.digest:
            if not entry.ts:
                continue
            try:
                reply = self._call("chat_getPermalink", channel=entry.channel, message_ts=entry.ts)
            except DeliveryError as exc:
                log.warning("no permalink for %s in %s: %s", entry.alert_key, n.key, exc)
                continue
            links[entry.alert_key] = reply["permalink"]
        return links

    def _update_root(self, n: Notification, thread: Receipt) -> None:
        """Edit the thread's root to show the current state (idempotent)."""
        from signalflow.notifiers.slack_blocks import blocks_for, fallback_text

        blocks = blocks_for(n, interactive=self.interactive)
        self._call("chat_update", channel=thread.channel, ts=thread.ts, text=fallback_text(n), blocks=blocks)
        checkpoint("edited")

    def _upload_chart(self, n: Notification, root: Receipt) -> None:
        """Attach the chart in the thread (its own step: a failed upload never fails the
        alert itself, and the alert is not posted again to retry it)."""
        path = Path(n.chart_path)
        if not path.is_file():
            raise DeliveryError(self.name, f"chart {path} does not exist; sent without it", permanent=True)
        try:
            self._call(
                "files_upload_v2",
                channel=root.channel,
                file=str(path),
                filename=path.name,
                title=f"{n.thesis}: {n.rule}",
                thread_ts=root.ts,
            )
        except (OSError, ValueError) as exc:
            raise DeliveryError(self.name, f"chart upload: {exc}", permanent=True) from exc

    def _call(self, method: str, **kwargs):
        from slack_sdk.errors import SlackApiError

        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise _api_error(method, exc) from exc
        except (TimeoutError, socket.timeout) as exc:
            raise DeliveryOutcomeUnknown(self.name, f"{method}: no answer within {self.timeout:g}s") from exc
        except urllib.error.URLError as exc:
            raise _network_error(self.name, method, exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            # The connection broke after the request left: it may have been acted on.
            raise DeliveryOutcomeUnknown(self.name, f"{method}: {exc!r}") from exc

    def _send_webhook(self, n: Notification) -> Receipt:
        from signalflow.notifiers.slack_blocks import blocks_for, fallback_text

        try:
            reply = self.webhook.send(text=fallback_text(n), blocks=blocks_for(n))
        except (TimeoutError, socket.timeout) as exc:
            raise DeliveryOutcomeUnknown(self.name, "webhook: no answer") from exc
        except urllib.error.URLError as exc:
            raise _network_error(self.name, "webhook", exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryOutcomeUnknown(self.name, f"webhook: {exc!r}") from exc
        if reply.status_code == 200:
            return Receipt(self.name, detail={"mode": "webhook"})
        retry_after = _retry_after(reply.headers)
        problem = f"webhook answered HTTP {reply.status_code}: {reply.body[:200]}"
        transient = reply.status_code == 429 or reply.status_code >= 500
        raise DeliveryError(self.name, problem, retry_after=retry_after, permanent=not transient)


def _metadata(n: Notification) -> dict:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": n.key, "alert": n.alert_key, "kind": n.kind.value}}


def _tagged(messages: list[dict], key: str) -> dict | None:
    for message in messages:
        meta = message.get("metadata") or {}
        if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == key:
            return message
    return None


def _retry_after(headers) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            values = value if isinstance(value, list) else [value]
            try:
                return float(values[0])
            except (TypeError, ValueError):
                return None
    return None


def _api_error(method: str, exc) -> DeliveryError:
    response = exc.response
    status = response.status_code
    error = response.get("error", "") if isinstance(response.data, dict) else ""
    problem = f"{method}: HTTP {status} {error}".strip()
    if status == 429:
        return DeliveryError("slack", problem, retry_after=_retry_after(response.headers))
    transient = status >= 500 or error not in PERMANENT
    return DeliveryError("slack", problem, permanent=not transient)


def _network_error(name: str, method: str, exc: urllib.error.URLError) -> DeliveryError:
    if isinstance(exc.reason, ConnectionRefusedError):
        return DeliveryError(name, f"{method}: connection refused")
    if isinstance(exc.reason, (TimeoutError, socket.timeout)):
        return DeliveryOutcomeUnknown(name, f"{method}: no answer")
    return DeliveryOutcomeUnknown(name, f"{method}: {exc.reason}")
