"""The delivery worker: send what the outbox holds, exactly once as the user sees it.

A deliverer leases a row before working on it (``store/outbox.py``), so two deliverers on
one database (the daemon and a `signalflow deliver` beside it) never send the same step.
A row is delivered in steps (Slack: a reply, then the root's edit; a post, then its chart's
upload), each with its own outcome in ``outbox_step``: a retry repeats only the step that
has not succeeded. Each step is marked ``sending`` (committed) before the notifier is
called, and ``sent`` with its receipt afterwards. A message step found in ``sending`` has an
unknown outcome (the process died, or the request timed out): the notifier reconciles it
(Slack looks for the message it tagged with the row's key) before anything is sent again.
Follow-ups of an alert on a threaded notifier wait for the alert's first message, whose
receipt names the thread. A pass first queues the reminder digests that are due
(``alerts/digest.py``).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signalflow.alerts import lease
from signalflow.alerts.digest import queue_digests
from signalflow._faults import checkpoint
from signalflow.errors import DeliveryError, DeliveryOutcomeUnknown
from signalflow.notifiers.base import Notifier, Receipt, notifier_classes
from signalflow.notifiers.notification import Notification
from signalflow.settings import Route, Settings
from signalflow.store import outbox
from signalflow.store.enums import OutboxStatus
from signalflow.store.models import OutboxRow, OutboxStepRow, utcnow

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
    try:
        with worker.owner:
            for done, outbox_id in enumerate(ids, 1):
                outcomes.append(worker.claim_and_deliver(outbox_id))
                if progress:
                    progress(done, len(ids))
    finally:
        worker.close()
    return DeliveryReport(tuple(outcomes))


class _LeaseLost(Exception):
    """Another deliverer took the row over (this one's lease had expired)."""


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
        self.owner = lease.Owner()

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
        """(ready, receipt of the alert's first message on this route). A follow-up waits
        until every earlier message of its thread is done, so replies, and the root's edits
        to the current state, land in order whichever deliverer sends them."""
        if not notifier.threaded or row.alert_id is None:
            return True, None
        # Each query sees what was committed when it ran (SQLite's reads outside a write and
        # PostgreSQL's read committed alike): ask whether the earlier messages are done
        # first, then read the root, or a root another deliverer finishes between the two
        # reads looks done without its receipt, and the reply leaves as a message of its own.
        if outbox.earlier_open(session, row):
            return False, None
        root = outbox.thread_root(session, row.alert_id, row.route)
        if root is None or root.id == row.id:
            return True, None
        receipt = Receipt.from_json(root.receipt_json)
        if receipt is None and root.status != OutboxStatus.FAILED:
            return False, None  # never reply outside the thread of a root that is not done failing
        return True, receipt  # None when the root failed for good: the reply stands alone

    # Leases -----------------------------------------------------------------------------

    def lease_until(self) -> datetime:
        return utcnow() + self.settings.delivery_lease

    def claim_and_deliver(self, outbox_id: int) -> Outcome:
        name = self.owner.name
        if not outbox.lease(self.store.engine, outbox_id, name, utcnow(), self.lease_until(), lease.abandoned):
            return Outcome(outbox_id, "", DeliveryResult.DEFERRED, "another worker is delivering it")
        try:
            return self.deliver(outbox_id)
        except _LeaseLost:
            return Outcome(outbox_id, "", DeliveryResult.DEFERRED, "another worker took it over")
        finally:
            outbox.release(self.store.engine, outbox_id, name)

    def renew(self, outbox_id: int) -> None:
        if not outbox.renew(self.store.engine, outbox_id, self.owner.name, self.lease_until()):
            raise _LeaseLost(outbox_id)

    # Steps ------------------------------------------------------------------------------

    def deliver(self, outbox_id: int) -> Outcome:
        with self.store.session() as session:
            row = session.get(OutboxRow, outbox_id)
            if row is None or OutboxStatus(row.status).done or row.next_attempt_at > self.now:
                return Outcome(outbox_id, "", DeliveryResult.DEFERRED, "already handled")
            notification = Notification.from_json(row.payload_json)
            try:
                notifier = self.notifier_for(row)
            except DeliveryError as exc:
                return self.finish(session, row, OutboxStatus.FAILED, str(exc))
            ready, thread = self.thread_of(session, row, notifier)
            if not ready:
                return Outcome(outbox_id, row.dedup_key, DeliveryResult.DEFERRED, "waiting for the thread's earlier messages")
        checkpoint("claimed")
        plan = notifier.steps(notification, thread)
        message: Outcome | None = None
        for index, name in enumerate(plan):
            outcome = self.step(outbox_id, name, index == 0, notifier, notification, thread)
            if outcome.result not in (DeliveryResult.SENT, DeliveryResult.RECONCILED):
                return outcome  # a message that failed for good, or any step to try again
            if index == 0:
                message = outcome
                checkpoint("message_recorded")
        with self.store.session() as session:
            row = session.get(OutboxRow, outbox_id)
            row.status = OutboxStatus.SENT
            row.sent_at = row.sent_at or utcnow()
            row.last_error = ""
            session.add(row)
        checkpoint("recorded")
        return message

    def step(
        self, outbox_id: int, name: str, first: bool, notifier: Notifier, notification: Notification,
        thread: Receipt | None,
    ) -> Outcome:
        """Do one step of the row unless it is done already; SENT or RECONCILED when it is
        (a later step that failed for good counts as done: the message was delivered)."""
        with self.store.session() as session:
            row = session.get(OutboxRow, outbox_id)
            step = outbox.step(session, outbox_id, name)
            message = Receipt.from_json(row.receipt_json)
            if step.status == OutboxStatus.SENT or (step.status == OutboxStatus.FAILED and not first):
                done = Receipt.from_json(step.receipt_json)
                return Outcome(outbox_id, row.dedup_key, DeliveryResult.SENT, done.ts if done else step.last_error)
            if step.status == OutboxStatus.SENDING:  # an earlier attempt's outcome is unknown
                if first:
                    try:
                        receipt = notifier.reconcile(notification, thread)
                    except DeliveryError as exc:
                        return self.reschedule(session, row, step, exc, DeliveryResult.UNKNOWN)
                    if receipt is not None:
                        return self.record(session, row, step, receipt, DeliveryResult.RECONCILED)
                elif not notifier.repeatable(name):
                    step.status, step.last_error = OutboxStatus.FAILED, "outcome unknown; not repeated"
                    session.add(step)
                    log.warning("step %s of %s had an unknown outcome; not repeated", name, row.dedup_key)
                    return Outcome(outbox_id, row.dedup_key, DeliveryResult.SENT, step.last_error)
        return self.attempt(outbox_id, name, first, notifier, notification, thread, message)

    def attempt(
        self, outbox_id: int, name: str, first: bool, notifier: Notifier, notification: Notification,
        thread: Receipt | None, message: Receipt | None,
    ) -> Outcome:
        for tries in range(1, self.settings.delivery_tries_per_pass + 1):
            self.renew(outbox_id)
            with self.store.session() as session:
                row = session.get(OutboxRow, outbox_id)
                step = outbox.step(session, outbox_id, name)
                step.status = row.status = OutboxStatus.SENDING
                session.add_all([row, step])
            error: DeliveryError
            try:
                if first:
                    receipt = notifier.send(notification, thread)
                else:
                    notifier.follow_up(name, notification, thread, message)
                    receipt = Receipt(notifier.name or type(notifier).__name__)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a notifier bug must not stop the other deliveries
                # Nothing says whether the message left before the error: reconcile first.
                error = DeliveryOutcomeUnknown(notifier.name or type(notifier).__name__, repr(exc))
            else:
                with self.store.session() as session:
                    row = session.get(OutboxRow, outbox_id)
                    step = outbox.step(session, outbox_id, name)
                    step.attempts += 1
                    row.attempts += 1
                    return self.record(session, row, step, receipt, DeliveryResult.SENT)
            with self.store.session() as session:
                row = session.get(OutboxRow, outbox_id)
                step = outbox.step(session, outbox_id, name)
                step.attempts += 1
                row.attempts += 1
                if error.permanent or step.attempts >= self.settings.delivery_max_attempts:
                    return self.fail_step(session, row, step, first, str(error))
                if isinstance(error, DeliveryOutcomeUnknown):
                    return self.reschedule(session, row, step, error, DeliveryResult.UNKNOWN)
                wait = self.wait_for(step.attempts, error)
                last = tries == self.settings.delivery_tries_per_pass
                if last or wait > self.max_wait:
                    return self.reschedule(session, row, step, error, DeliveryResult.RETRY, wait)
                step.status = OutboxStatus.PENDING  # it failed for sure: nothing to reconcile
                row.last_error = step.last_error = str(error)
                session.add_all([row, step])
            log.warning("retrying %s (%s) in %.1fs: %s", notification.key, name, wait, error)
            self.sleep(wait)
        raise AssertionError("unreachable: the last try always returns")

    def wait_for(self, attempts: int, error: DeliveryError) -> float:
        if error.retry_after is not None:
            return float(error.retry_after)
        return min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF).total_seconds()

    def record(
        self, session, row: OutboxRow, step: OutboxStepRow, receipt: Receipt, result: DeliveryResult
    ) -> Outcome:
        """A step done; the message's receipt is also the row's (it names the thread)."""
        step.status = OutboxStatus.SENT
        step.receipt_json = receipt.to_json()
        step.last_error = ""
        step.updated_at = utcnow()
        if not row.receipt_json:
            row.receipt_json = receipt.to_json()
            row.sent_at = utcnow()
        row.last_error = ""
        session.add_all([row, step])
        return Outcome(row.id, row.dedup_key, result, receipt.ts)

    def fail_step(self, session, row: OutboxRow, step: OutboxStepRow, first: bool, error: str) -> Outcome:
        step.status, step.last_error, step.updated_at = OutboxStatus.FAILED, error, utcnow()
        session.add(step)
        if first:
            return self.finish(session, row, OutboxStatus.FAILED, error)
        log.warning("step %s of %s failed for good (the message was delivered): %s", step.name, row.dedup_key, error)
        return Outcome(row.id, row.dedup_key, DeliveryResult.SENT, error)

    def finish(self, session, row: OutboxRow, status: OutboxStatus, error: str) -> Outcome:
        row.status = status
        row.last_error = error
        session.add(row)
        log.error("notification %s failed for good: %s", row.dedup_key, error)
        return Outcome(row.id, row.dedup_key, DeliveryResult.FAILED, error)

    def reschedule(
        self, session, row: OutboxRow, step: OutboxStepRow, error: DeliveryError, result: DeliveryResult,
        wait: float | None = None,
    ) -> Outcome:
        """Try the step again later; one of unknown outcome stays `sending` so the next pass
        reconciles it."""
        if wait is None:
            wait = self.wait_for(max(step.attempts, 1), error)
        unknown = result is DeliveryResult.UNKNOWN
        row.status = step.status = OutboxStatus.SENDING if unknown else OutboxStatus.PENDING
        row.next_attempt_at = self.now + timedelta(seconds=wait)
        row.last_error = step.last_error = str(error)
        session.add_all([row, step])
        return Outcome(row.id, row.dedup_key, result, str(error))
