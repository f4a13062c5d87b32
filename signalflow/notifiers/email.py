"""Email over SMTP with STARTTLS. A plain-text body; follow-ups of an alert reply to its
first message (In-Reply-To), and each message's Message-ID derives from its outbox key so a
mail client folds the rare resend after an unknown outcome into one message."""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING

from signalflow.errors import ConfigError, DeliveryError, DeliveryOutcomeUnknown
from signalflow.notifiers.base import Notifier, Receipt, describe
from signalflow.notifiers.email_settings import EmailSettings
from signalflow.notifiers.notification import Kind, Notification

if TYPE_CHECKING:
    from signalflow.settings import Route, Settings


class EmailNotifier(Notifier):
    name = "email"
    threaded = True

    def __init__(
        self,
        host: str,
        port: int = 587,
        sender: str = "",
        recipients: tuple[str, ...] = (),
        user: str = "",
        password: str = "",
        starttls: bool = True,
        context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not host:
            raise ConfigError("smtp_host", "the email notifier needs an SMTP server")
        self.host, self.port, self.sender = host, port, sender or f"signalflow@{socket.getfqdn()}"
        self.recipients = recipients
        self.user, self.password = user, password
        self.starttls, self.context, self.timeout = starttls, context, timeout

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        config = settings.section(EmailSettings)
        return bool(config.host and config.to)

    @classmethod
    def from_settings(cls, settings: Settings, route: Route | None = None) -> EmailNotifier:
        config = settings.section(EmailSettings)
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        return cls(
            config.host,
            config.port,
            config.sender,
            tuple((route.to if route else []) or config.to),
            config.user,
            config.password.get_secret_value() if config.password else "",
            config.starttls,
            context,
            settings.delivery_timeout,
        )

    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        recipients = notification.recipients or self.recipients
        if not recipients:
            raise DeliveryError(self.name, "no recipients (set SIGNALFLOW_SMTP_TO or a route's `to`)", permanent=True)
        message = compose(notification, self.sender, recipients, thread)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.context or ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError) as exc:
            raise DeliveryError(self.name, f"{self.host}:{self.port}: {exc}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            transient = 400 <= exc.smtp_code < 500
            raise DeliveryError(self.name, f"{self.host}:{self.port}: {exc.smtp_code} {exc.smtp_error!r}", permanent=not transient) from exc
        except (TimeoutError, socket.timeout) as exc:
            raise DeliveryOutcomeUnknown(self.name, f"{self.host}:{self.port}: no answer") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(self.name, f"{self.host}:{self.port}: {exc}") from exc
        return Receipt(self.name, detail={"message_id": message["Message-ID"]})


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@signalflow>"


def compose(n: Notification, sender: str, recipients: tuple[str, ...], thread: Receipt | None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = n.headline
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = message_id(n.key)
    root = (thread.detail or {}).get("message_id") if thread else None
    if root:
        message["In-Reply-To"] = root
        message["References"] = root
    if n.kind is Kind.DIGEST:
        message.set_content("\n".join(digest_lines(n)))
        return message
    lines = [n.headline, "", f"{n.rule}: {n.summary}"]
    if n.expression:
        lines.append(f"  {n.expression}")
    if n.why:
        lines.append(n.why)
    if n.cause:
        lines.append(f"Because {n.cause}")
    lines.append("")
    lines += [input_line(i) for i in n.inputs]
    if n.stories:
        lines += ["", "Stories behind the value:"]
        lines += [f"- {s.text}\n  {s.url}" for s in n.stories]
    lines += ["", f"Growth x Liquidity: {n.quadrant or 'unknown'}; thesis state: {n.state or 'unknown'}"]
    if n.plan:
        lines += ["", f"Plan: {n.plan}"]
    if n.position:
        lines += ["", "Position checklist:"] + [f"- {k.replace('_', ' ')}: {v}" for k, v in n.position]
    if n.note:
        lines += ["", f"Decision: {n.note}"]
    lines += ["", *[link.url for link in n.links], f"thesis {n.thesis} at {n.at:%Y-%m-%d %H:%M} UTC"]
    message.set_content("\n".join(lines))
    return message


def input_line(i) -> str:
    text = f"- {i.ref}: {describe(i.value)} {i.unit}".rstrip()
    if i.threshold:
        text += f" (threshold {i.threshold})"
    text += f"; period {i.period or '?'}; known {i.known_text or '?'}"
    if i.url:
        text += f"; {i.url}"
    return text


def digest_lines(n: Notification) -> list[str]:
    lines = [n.headline, ""]
    for e in n.digest:
        lines.append(f"{e.severity_label}: {e.title} ({e.thesis}/{e.rule})")
        lines.append(f"  {e.summary}; firing since {e.fired_at:%Y-%m-%d %H:%M} UTC")
        lines += [f"  {input_line(i)}" for i in e.inputs]
        lines += [f"  - {s.text}\n    {s.url}" for s in e.stories]
        if e.plan:
            lines.append(f"  Plan: {e.plan}")
        lines.append(f"  Decision: {e.decision}" if e.decision else "  Not acknowledged")
        lines.append("")
    if n.note:
        lines.append(f"{n.note} (see `signalflow journal`)")
    lines.append(f"at {n.at:%Y-%m-%d %H:%M} UTC")
    return lines
