"""The background daemon: an APScheduler job per source, evaluation after every collection
that changed data and on a regular grid, and a delivery job that retries what failed.

Every job's writes are single transactions, so stopping at any point (SIGTERM, SIGINT, or
even SIGKILL) leaves the database consistent; SIGTERM/SIGINT additionally wait for running
jobs to finish.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from signalflow import service
from signalflow.settings import Settings, parse_duration
from signalflow.store import Store
from signalflow.thesis.model import Thesis

log = logging.getLogger(__name__)

DELIVERY_INTERVAL = timedelta(seconds=30)


class Daemon:
    def __init__(self, settings: Settings, store: Store, theses: Sequence[Thesis]) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.settings = settings
        self.store = store
        self.theses = list(theses)
        self.stopped = threading.Event()
        self.reload_requested = threading.Event()
        self._evaluate_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone="UTC",
        )

    def schedule(self, now: datetime | None = None) -> None:
        """One job per source the theses use, plus evaluation and delivery jobs."""
        from apscheduler.triggers.interval import IntervalTrigger

        jitter = int(parse_duration(self.settings.schedule_jitter).total_seconds())
        first = now or datetime.now().astimezone()
        for name, refs in service.refs_by_source(self.theses).items():
            try:
                every = service.make_source(name, self.settings).schedule()
            except Exception as exc:
                log.error("source unavailable, not scheduled", extra={"source": name, "error": str(exc)})
                continue
            self.scheduler.add_job(
                self.collect_job,
                IntervalTrigger(seconds=every.total_seconds(), jitter=jitter or None),
                args=[name, refs],
                id=f"collect:{name}",
                name=f"collect {name}",
                next_run_time=first,
                replace_existing=True,
            )
        every = parse_duration(self.settings.evaluate_every)
        self.scheduler.add_job(
            self.evaluate_job,
            IntervalTrigger(seconds=every.total_seconds()),
            id="evaluate",
            name="evaluate on the grid",
            next_run_time=first,
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.deliver_job,
            IntervalTrigger(seconds=DELIVERY_INTERVAL.total_seconds()),
            id="deliver",
            name="deliver pending notifications",
            replace_existing=True,
        )

    def collect_job(self, name: str, refs: list[str]) -> None:
        report = service.collect_source(self.settings, self.store, name, refs)
        if report.series_changed:
            self.evaluate_job()

    def evaluate_job(self) -> None:
        with self._evaluate_lock:
            try:
                service.evaluate(self.settings, self.store, self.theses)
            except Exception:
                log.exception("evaluation pass failed")
        self.deliver_job()

    def deliver_job(self) -> None:
        try:
            service.deliver(self.settings, self.store)
        except Exception:
            log.exception("delivery pass failed")

    def run(self) -> None:
        """Run until SIGTERM or SIGINT, then finish running jobs and stop."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        self.schedule()
        self.scheduler.start()
        log.info(
            "daemon started",
            extra={"theses": len(self.theses), "jobs": len(self.scheduler.get_jobs()), "database": self.store.url},
        )
        while not self.stopped.wait(1.0):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()
        self.stop()

    def reload(self) -> bool:
        """Apply the rules directory again, only if every file passes `check`; otherwise keep
        running the previous set and say why."""
        try:
            theses = service.load_theses(self.settings)
        except Exception as exc:
            log.error("rules not reloaded: the previous set keeps running", extra={"error": str(exc)})
            return False
        with self._evaluate_lock:
            self.theses = theses
        self.schedule()
        log.info("rules reloaded", extra={"theses": len(theses)})
        return True

    def _on_signal(self, signum: int, _frame) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        self.stopped.set()

    def stop(self) -> None:
        self.stopped.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.store.close()
        log.info("daemon stopped")
