"""The delivery worker: send what the outbox holds, exactly once as the user sees it.

Each notification is marked ``sending`` (committed) before the notifier is called, and
``sent`` with its receipt afterwards. A row found in ``sending`` has an unknown outcome (the
process died, or the request timed out): the notifier reconciles it (Slack looks for the
message it tagged with the row's key) before anything is sent again. Follow-ups of an alert
on a threaded notifier wait for the alert's first message, whose receipt names the thread.
A pass first queues the reminder digests that are due (``alerts/digest.py``).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text

from signalflow.alerts.digest import queue_digests
from signalflow._faults import checkpoint
from signalflow.errors import DeliveryError, DeliveryOutcomeUnknown
from signalflow.notifiers.base import Notifier, Receipt, notifier_classes
from signalflow.notifiers.notification import Notification
from signalflow.settings import Route, Settings
from signalflow.store import outbox
from signalflow.store.enums import OutboxStatus
from signalflow.store.models import OutboxRow, utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


class DeliveryResult(enum.StrEnum):
    """What one delivery attempt of one outbox row came to."""

    SENT = "sent"
    RECONCILED = "reconciled"  # an earlier attempt had sent it after all
    RETRY = "retry"  # failed for now; pending again at its next attempt
    UNKNOWN = "unknown"  # no answer: left `sending` so the next pass reconciles it
    FAILED = "failed"  # for good
    DEFERRED = "deferred"  # not tried: another worker has it, or its thread is not there yet


@dataclass(frozen=True)
class Outcome:
    outbox_id: int
    dedup_key: str
    result: DeliveryResult
    detail: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    outcomes: tuple[Outcome, ...] = field(default_factory=tuple)

    def count(self, result: DeliveryResult) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def sent(self) -> int:
        return self.count(DeliveryResult.SENT) + self.count(DeliveryResult.RECONCILED)

    @property
    def failed(self) -> int:
        return self.count(DeliveryResult.FAILED)

    @property
    def waiting(self) -> int:
        return sum(self.count(r) for r in (DeliveryResult.RETRY, DeliveryResult.UNKNOWN, DeliveryResult.DEFERRED))


def deliver_pending(
    store,
    settings: Settings,
    now: datetime | None = None,
    notifiers: Mapping[str, Notifier] | None = None,
    limit: int | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
) -> DeliveryReport:
    """One delivery pass: queue the reminder digests now due, then send every due outbox
    row, oldest first.

    ``notifiers`` maps a route name (or a notifier name) to a ready notifier; missing ones are
    built from the entry-point registry. ``sleep`` is injected so tests never wait.
    """
    worker = _Worker(store, settings, now or utcnow(), dict(notifiers or {}), sleep)
    try:
        queue_digests(store, settings, worker.now)
    except Exception:  # a digest that cannot be composed must not hold back the alerts
        log.exception("cannot queue the reminder digests")
    with store.session() as session:
        ids = outbox.due_ids(session, worker.now, limit)
    outcomes = []
    claims = _RowClaims(store)
    try:
        for done, outbox_id in enumerate(ids, 1):
            if claims.take(outbox_id):
                try:
                    outcomes.append(worker.deliver(outbox_id))
                finally:
                    claims.give_back(outbox_id)
            else:
                outcomes.append(Outcome(outbox_id, "", DeliveryResult.DEFERRED, "another worker is delivering it"))
            if progress:
                progress(done, len(ids))
    finally:
        worker.close()
        claims.close()
    return DeliveryReport(tuple(outcomes))


class _RowClaims:
    """A row being delivered is claimed, so a second worker skips it instead of reconciling a
    send still in flight (and, finding nothing yet, posting it again).

    Within a process (the daemon's delivery job and a delivery after an evaluation may run at
    once in two threads) the claim is an entry in a process-wide set. Across processes, on
    PostgreSQL, it is also a session-level advisory lock of this worker: another daemon or
    `signalflow deliver` skips the row, and a dead worker's session, and its claims, end with
    it. SQLite runs one daemon per file."""

    CLASS_ID = 0x5F0B  # the outbox's namespace among advisory locks (the first of two int4 keys)
    _local: set[tuple[str, int]] = set()
    _local_lock = threading.Lock()

    def __init__(self, store) -> None:
        self.conn = None
        # The database's identity: its URL, or for an in-memory SQLite database the engine.
        self.database = store.url if store.engine.url.database else f"{store.url}#{id(store.engine)}"
        if store.engine.dialect.name == "postgresql":
            self.conn = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def take(self, outbox_id: int) -> bool:
        key = (self.database, outbox_id)
        with self._local_lock:
            if key in self._local:
                return False
            self._local.add(key)
        if self.conn is None:
            return True
        taken = bool(
            self.conn.execute(
                text("SELECT pg_try_advisory_lock(:c, :i)"), {"c": self.CLASS_ID, "i": outbox_id}
            ).scalar_one()
        )
        if not taken:
            with self._local_lock:
                self._local.discard(key)
        return taken

    def give_back(self, outbox_id: int) -> None:
        if self.conn is not None:
            self.conn.execute(text("SELECT pg_advisory_unlock(:c, :i)"), {"c": self.CLASS_ID, "i": outbox_id})
        with self._local_lock:
            self._local.discard((self.database, outbox_id))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


class _Worker:
    def __init__(
        self, store, settings: Settings, now: datetime, notifiers: dict[str, Notifier], sleep: Callable[[float], None]
    ) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self.notifiers = notifiers
        self.built: list[Notifier] = []
        self.sleep = sleep
        self.backoff = settings.delivery_backoff
        self.max_wait = settings.delivery_max_wait.total_seconds()

    def close(self) -> None:
        for notifier in self.built:
            notifier.close()

    def notifier_for(self, row: OutboxRow) -> Notifier:
        for name in (row.route, row.notifier):
            if name in self.notifiers:
                return self.notifiers[name]
        route = next((r for r in self.settings.routes if r.name == row.route), None)
        route = route or Route(name=row.route or row.notifier, notifier=row.notifier)
        cls = notifier_classes().get(row.notifier)
        if cls is None:
            raise DeliveryError(row.notifier, "no such notifier is registered", permanent=True)
        notifier = cls.from_settings(self.settings, route)
        self.notifiers[row.route or row.notifier] = notifier
        self.built.append(notifier)
        return notifier

    def thread_of(self, session, row: OutboxRow, notifier: Notifier) -> tuple[bool, Receipt | None]:
        """(ready, receipt of the alert's first message on this route)."""
        if not notifier.threaded or row.alert_id is None:
            return True, None
        root = outbox.thread_root(session, row.alert_id, row.route)
        if root is None or root.id == row.id or root.status == OutboxStatus.FAILED:
            return True, None
        if root.status != OutboxStatus.SENT:
            return False, None
        return True, Receipt.from_json(root.receipt_json)

    def deliver(self, outbox_id: int) -> Outcome:
        with self.store.session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is None or OutboxStatus(row.status).done:
                return Outcome(outbox_id, "", DeliveryResult.DEFERRED, "already handled")
            notification = Notification.from_json(row.payload_json)
            try:
                notifier = self.notifier_for(row)
            except DeliveryError as exc:
                return self.finish(session, row, OutboxStatus.FAILED, str(exc))
            ready, thread = self.thread_of(session, row, notifier)
            if not ready:
                return Outcome(outbox_id, row.dedup_key, DeliveryResult.DEFERRED, "waiting for the alert's first message")
            if row.status == OutboxStatus.SENDING:
                try:
                    receipt = notifier.reconcile(notification, thread)
                except DeliveryError as exc:
                    return self.reschedule(session, row, exc, DeliveryResult.UNKNOWN)
                if receipt is not None:
                    return self.record(session, row, receipt, DeliveryResult.RECONCILED)
            # Compare-and-set: of two workers that read the row as it was, only one claims it.
            if not outbox.claim(session, row):
                return Outcome(outbox_id, row.dedup_key, DeliveryResult.DEFERRED, "claimed by another worker")
        checkpoint("claimed")
        return self.attempt(outbox_id, notifier, notification, thread)

    def attempt(self, outbox_id: int, notifier: Notifier, notification: Notification, thread: Receipt | None) -> Outcome:
        for tries in range(1, self.settings.delivery_tries_per_pass + 1):
            error: DeliveryError
            try:
                receipt = notifier.send(notification, thread)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a notifier bug must not stop the other deliveries
                # Nothing says whether the message left before the error: reconcile first.
                error = DeliveryOutcomeUnknown(notifier.name or type(notifier).__name__, repr(exc))
            else:
                with self.store.session() as session:
                    row = session.get(OutboxRow, outbox_id)
                    row.attempts += 1
                    outcome = self.record(session, row, receipt, DeliveryResult.SENT)
                checkpoint("recorded")
                return outcome
            with self.store.session() as session:
                row = session.get(OutboxRow, outbox_id)
                row.attempts += 1
                if error.permanent or row.attempts >= self.settings.delivery_max_attempts:
                    return self.finish(session, row, OutboxStatus.FAILED, str(error))
                if isinstance(error, DeliveryOutcomeUnknown):
                    return self.reschedule(session, row, error, DeliveryResult.UNKNOWN)
                wait = self.wait_for(row.attempts, error)
                last = tries == self.settings.delivery_tries_per_pass
                if last or wait > self.max_wait:
                    return self.reschedule(session, row, error, DeliveryResult.RETRY, wait)
                row.status = OutboxStatus.SENDING
                row.last_error = str(error)
                session.add(row)
            log.warning("retrying %s in %.1fs: %s", notification.key, wait, error)
            self.sleep(wait)
        raise AssertionError("unreachable: the last try always returns")

    def wait_for(self, attempts: int, error: DeliveryError) -> float:
        if error.retry_after is not None:
            return float(error.retry_after)
        return min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF).total_seconds()

    def record(self, session, row: OutboxRow, receipt: Receipt, result: DeliveryResult) -> Outcome:
        row.status = OutboxStatus.SENT
        row.sent_at = utcnow()
        row.receipt_json = receipt.to_json()
        row.last_error = ""
        session.add(row)
        return Outcome(row.id, row.dedup_key, result, receipt.ts)

    def finish(self, session, row: OutboxRow, status: OutboxStatus, error: str) -> Outcome:
        row.status = status
        row.last_error = error
        session.add(row)
        log.error("notification %s failed for good: %s", row.dedup_key, error)
        return Outcome(row.id, row.dedup_key, DeliveryResult.FAILED, error)

    def reschedule(
        self, session, row: OutboxRow, error: DeliveryError, result: DeliveryResult, wait: float | None = None
    ) -> Outcome:
        """Try again later; an unknown outcome stays `sending` so the next pass reconciles."""
        if wait is None:
            wait = self.wait_for(max(row.attempts, 1), error)
        row.status = OutboxStatus.SENDING if result is DeliveryResult.UNKNOWN else OutboxStatus.PENDING
        row.next_attempt_at = self.now + timedelta(seconds=wait)
        row.last_error = str(error)
        session.add(row)
        return Outcome(row.id, row.dedup_key, result, str(error))
