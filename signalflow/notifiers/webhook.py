"""A generic JSON webhook: POST the notification as JSON, with its outbox key as the
``Idempotency-Key`` header so a receiver can drop the rare resend after an unknown outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalflow.errors import ConfigError, DeliveryError, DeliveryOutcomeUnknown
from signalflow.notifiers.base import Notifier, Receipt
from signalflow.notifiers.notification import Notification
from signalflow.notifiers.webhook_settings import WebhookSettings
from signalflow._retry_after import parse_retry_after

if TYPE_CHECKING:
    from signalflow.settings import Route, Settings


class WebhookNotifier(Notifier):
    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url:
            raise ConfigError("webhook_url", "the webhook notifier needs a URL")
        self.url = url
        self.timeout = timeout
        self._client = None

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return settings.section(WebhookSettings).url is not None

    @classmethod
    def from_settings(cls, settings: Settings, route: Route | None = None) -> WebhookNotifier:
        config = settings.section(WebhookSettings)
        chosen = (route.url if route else None) or config.url
        url = chosen.get_secret_value() if chosen else ""
        return cls(url, settings.delivery_timeout)

    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        import httpx

        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)
        url = notification.url or self.url
        body = {"type": "signalflow.notification", **notification.to_dict()}
        try:
            reply = self._client.post(url, json=body, headers={"Idempotency-Key": notification.key})
        except httpx.ConnectError as exc:
            raise DeliveryError(self.name, f"{_safe(url)}: cannot connect ({exc})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryOutcomeUnknown(self.name, f"{_safe(url)}: {type(exc).__name__}") from exc
        if reply.is_success:
            return Receipt(self.name, detail={"status": str(reply.status_code)})
        transient = reply.status_code == 429 or reply.status_code >= 500
        raise DeliveryError(
            self.name,
            f"{_safe(url)} answered HTTP {reply.status_code}",
            retry_after=parse_retry_after(reply.headers.get("retry-after")),
            permanent=not transient,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _safe(url: str) -> str:
    """The URL without its query or path secrets: scheme and host only."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
