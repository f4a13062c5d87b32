"""The notifier interface: a :class:`Notification` goes in, a :class:`Receipt` comes out.

A notifier is found through the ``signalflow.notifiers`` entry-point group, built-ins
included, so a user's package adds one without forking::

    from signalflow import Notifier, Receipt

    class PagerNotifier(Notifier):
        name = "pager"

        def send(self, notification, thread=None):
            page(notification.headline)       # page: your pager's client
            return Receipt(self.name)

and registers it in its ``pyproject.toml``::

    [project.entry-points."signalflow.notifiers"]
    pager = "mypkg.pager:PagerNotifier"

A route in the settings (``notifier = "pager"``) then sends there. A notifier with settings
of its own declares a :class:`~signalflow.settings.PluginSettings` model in a light module,
registers it in the ``signalflow.settings`` group and reads it in ``from_settings`` with
``settings.section(PagerSettings)`` (see ``notifiers/slack_settings.py``). ``send`` raises
:class:`~signalflow.errors.DeliveryError` (``retry_after``/``permanent`` say what to do next)
or :class:`~signalflow.errors.DeliveryOutcomeUnknown` when the request left but no answer came.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from signalflow.notifiers.notification import Notification

if TYPE_CHECKING:
    from signalflow.settings import Route, Settings

log = logging.getLogger(__name__)

GROUP = "signalflow.notifiers"

__all__ = ["GROUP", "Notification", "Notifier", "Receipt", "notifier_classes"]


@dataclass(frozen=True)
class Receipt:
    """Proof of one delivery: where it went and how to find it again (Slack: channel and ts)."""

    notifier: str
    channel: str = ""
    ts: str = ""
    thread_ts: str = ""
    detail: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Receipt | None:
        return cls(**json.loads(text)) if text else None


class Notifier(ABC):
    """Sends notifications to one destination (a route picks channel, URL or recipients)."""

    name: ClassVar[str] = ""
    threaded: ClassVar[bool] = False  # follow-ups of an alert go to the first message's thread

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """Whether the settings hold what this notifier needs (used for default routes)."""
        return True

    @classmethod
    def from_settings(cls, settings: Settings, route: Route | None = None) -> Notifier:
        return cls()

    @abstractmethod
    def send(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        """Deliver the message once (the first step); ``thread`` is the receipt of the
        alert's first message, if any."""

    def steps(self, notification: Notification, thread: Receipt | None = None) -> tuple[str, ...]:
        """The steps delivering ``notification``, in order, each retried on its own: the
        first is the message (:meth:`send`), the others follow it (:meth:`follow_up`)."""
        return ("send",)

    def follow_up(self, step: str, notification: Notification, thread: Receipt | None, message: Receipt) -> None:
        """Perform a later step of :meth:`steps`, given the message's receipt."""
        raise NotImplementedError(f"{type(self).__name__} has no step {step!r}")

    def send_all(self, notification: Notification, thread: Receipt | None = None) -> Receipt:
        """Every step at once, outside the outbox (``notify-test``): the message's receipt."""
        message = self.send(notification, thread)
        for step in self.steps(notification, thread)[1:]:
            self.follow_up(step, notification, thread, message)
        return message

    def repeatable(self, step: str) -> bool:
        """Whether a later step whose outcome is unknown may simply be done again (an edit
        may; an upload would show twice and is not repeated)."""
        return True

    def reconcile(self, notification: Notification, thread: Receipt | None = None) -> Receipt | None:
        """Find a delivery whose outcome is unknown (the process died mid-send).

        Return its receipt if it arrived (finishing any idempotent follow-up step), or None
        if it did not or this notifier cannot tell; the worker then sends again.
        """
        return None

    def close(self) -> None:
        """Release connections; called once per delivery pass."""


@cache
def notifier_classes() -> dict[str, type[Notifier]]:
    """Every registered notifier class by name; one that fails to import is logged and left out."""
    found: dict[str, type[Notifier]] = {}
    for ep in entry_points(group=GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not take delivery down
            log.error("cannot load notifier plugin %s: %r", ep.name, exc)
    return found


def describe(value: Any) -> str:
    """A value as shown in messages: compact numbers, '—' for unknown."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:
            return "—"
        magnitude = abs(value)
        if magnitude >= 1e9:
            return f"{value / 1e9:,.2f}B"
        if magnitude >= 1e6:
            return f"{value / 1e6:,.2f}M"
        return f"{value:,.4g}"
    return str(value)
