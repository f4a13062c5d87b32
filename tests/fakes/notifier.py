"""A notifier that keeps what it is given, for tests that check what would be sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from signalflow.notifiers.base import Notifier, Receipt
from signalflow.notifiers.notification import Kind, Notification


@dataclass
class RecordingNotifier(Notifier):
    """Records every notification in ``sent`` and answers with a receipt, like a notifier
    whose destination always accepts."""

    name = "recorder"
    sent: list[Notification] = field(default_factory=list)

    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        self.sent.append(notification)
        return Receipt(self.name)

    def digests(self) -> list[list[str]]:
        """The theses listed by each digest sent, in order."""
        return [[e.thesis for e in n.digest] for n in self.sent if n.kind is Kind.DIGEST]
