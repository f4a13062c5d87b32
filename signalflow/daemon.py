"""The background daemon: an APScheduler job per source, evaluation after every collection
that changed data and on a regular grid, a delivery job that retries what failed, and the
staleness check after every collection.

Every job's writes are single transactions, so stopping at any point (SIGTERM, SIGINT, or
even SIGKILL) leaves the database consistent; SIGTERM/SIGINT additionally wait for running
jobs to finish. Around the schedule: the health/metrics endpoint, rule hot reload (SIGHUP or
an edited file; applied only when every file passes `check`), and the schedule lease that
lets two daemons share one PostgreSQL database with one of them running the schedule.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from signalflow import service
from signalflow.ops import Counters, Lease, OpsServer, Probe, Readiness, RulesWatcher, lease_for, render_metrics
from signalflow.settings import Settings, format_duration
from signalflow.store import Store
from signalflow.store.models import utcnow
from signalflow.thesis.model import Thesis

log = logging.getLogger(__name__)

TICK = 0.5  # seconds between looks at signals, rule files and the lease


class Daemon:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        theses: Sequence[Thesis],
        *,
        lease: Lease | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.settings = settings
        self.store = store
        self.theses = list(theses)
        self.clock = clock
        self.lease = lease or lease_for(store)
        self.leader = False
        self.counters = Counters()
        self.stopped = threading.Event()
        self.reload_requested = threading.Event()
        self._attempted: set[str] = set()
        self._told_empty = False
        self._replayed = False  # the downtime before this start is told at the first pass
        self._evaluate_lock = threading.Lock()
        self._source_locks: dict[str, threading.Lock] = {}
        from signalflow.thesis.live import LiveEvaluator

        self.live = LiveEvaluator(store)  # series indexes kept between evaluation passes
        self.watcher = RulesWatcher(settings.rules_dir)
        self.server: OpsServer | None = None
        self.socket = None  # Slack Socket Mode, when slack_app_token is set
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone="UTC",
        )

    def schedule(self, now: datetime | None = None) -> None:
        """One job per source the theses use (``collect:NAME``), and one per other interval
        its series set for themselves (``collect:NAME@1h``), plus evaluation and delivery
        jobs; jobs nothing uses any more are removed."""
        from apscheduler.triggers.interval import IntervalTrigger

        jitter = int(self.settings.schedule_jitter.total_seconds())
        first = now or datetime.now().astimezone()
        jobs: set[str] = set()
        for name, refs in service.refs_by_source(self.theses).items():
            try:
                source = service.make_source(name, self.settings)
                main, groups = source.schedule(), source.intervals(refs)
            except Exception as exc:
                log.error("source unavailable, not scheduled", extra={"source": name, "error": str(exc)})
                continue
            for every, group in groups.items():
                job_id = f"collect:{name}" if every == main else f"collect:{name}@{format_duration(every)}"
                jobs.add(job_id)
                self.scheduler.add_job(
                    self.collect_job,
                    IntervalTrigger(seconds=every.total_seconds(), jitter=jitter or None),
                    args=[name, group],
                    id=job_id,
                    name=f"collect {name}" + ("" if every == main else f" every {format_duration(every)}"),
                    next_run_time=first,
                    replace_existing=True,
                )
        for job in self.scheduler.get_jobs():
            if job.id.startswith("collect:") and job.id not in jobs:
                job.remove()
        every = self.settings.evaluate_every
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
            IntervalTrigger(seconds=self.settings.delivery_every.total_seconds()),
            id="deliver",
            name="deliver pending notifications",
            next_run_time=first,
            replace_existing=True,
        )

    def collect_job(self, name: str, refs: list[str]) -> None:
        job = self.scheduler.get_job(f"collect:{name}")
        next_try = job.next_run_time if job is not None else None
        # one collection of a source at a time: its jobs share the source's stored state
        with self._source_locks.setdefault(name, threading.Lock()):
            report = service.collect_source(self.settings, self.store, name, refs, next_try=next_try)
        if report.interrupted:
            return
        self._tell_if_empty(name)
        self.counters.add("collections", (name, "ok" if report.ok else "failed"))
        self.staleness_job()
        if report.series_changed:
            self.evaluate_job()

    def _tell_if_empty(self, name: str) -> None:
        """Once every scheduled source has run and the store is still empty, say where to go."""
        self._attempted.add(name)
        if self._told_empty or not set(service.refs_by_source(self.theses)) <= self._attempted:
            return
        self._told_empty = True
        if self.store.observation_count() == 0:
            log.warning(service.NOTHING_COLLECTED)

    def staleness_job(self) -> None:
        from signalflow.ops import notify_staleness

        refs = [r for refs in service.refs_by_source(self.theses).values() for r in refs]
        try:
            notify_staleness(self.store, self.settings, refs, self.clock())
        except Exception:
            log.exception("staleness check failed")

    def evaluate_job(self) -> None:
        with self._evaluate_lock:
            if not self._replayed:
                self._replayed = True
                try:
                    service.replay_downtime(self.settings, self.store, self.theses)
                except Exception:
                    log.exception("replaying the downtime failed")
            try:
                results = service.evaluate(self.settings, self.store, self.theses, live=self.live)
                self.counters.add("evaluations", amount=len(results))
                self.counters.add("evaluation_failures", amount=len(self.theses) - len(results))
            except Exception:
                log.exception("evaluation pass failed")
        self.deliver_job()

    def deliver_job(self) -> None:
        try:
            report = service.deliver(self.settings, self.store)
        except Exception:
            log.exception("delivery pass failed")
            return
        for outcome in report.outcomes:
            self.counters.add("deliveries", outcome.result)

    def run(self) -> None:
        """Run until SIGTERM or SIGINT, then finish running jobs and stop."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        self.scheduler.start(paused=True)
        self.start_server()
        log.info(
            "daemon started",
            extra={"theses": len(self.theses), "database": self.store.url, "lease": type(self.lease).__name__},
        )
        rules_every = self.settings.rules_poll.total_seconds()
        lease_every = self.settings.leader_poll.total_seconds()
        ticks = 0
        try:
            self.lead()
            while not self.stopped.wait(TICK):
                ticks += 1
                if self.reload_requested.is_set() or (rules_every and _due(ticks, rules_every) and self.watcher.changed()):
                    self.reload_requested.clear()
                    self.reload()
                if _due(ticks, lease_every):
                    self.lead()
        finally:
            self.stop()

    def lead(self) -> None:
        """Take the schedule when the lease is free; give it up when the lease is lost."""
        if self.leader:
            if not self.lease.held():
                self.leader = False
                self.scheduler.pause()
                log.error("lost the schedule lease: standing by")
            return
        if self.lease.acquire():
            self.leader = True
            self.schedule()
            self.scheduler.resume()
            log.info("running the schedule", extra={"jobs": len(self.scheduler.get_jobs())})

    def reload(self) -> bool:
        """Apply the rules directory again, only if every file passes `check`; otherwise keep
        running the previous set, and say why in the log and as an ops notification.

        Unchanged theses keep their stored engine state (its fingerprint still matches). An
        edited thesis is recomputed point in time from the stored observations, so its
        unchanged rules come back in the state the data puts them in, and their open alerts
        stay open without a second notification."""
        from signalflow.thesis.check import check_dir

        try:
            ruleset = check_dir(self.settings.rules_dir, self.settings)
            ruleset.raise_for_errors()
            theses = list(ruleset.theses)
        except Exception as exc:
            self.counters.add("reloads", "rejected")
            self.report_rejected(str(exc))
            return False
        with self._evaluate_lock:
            before = {t.id for t in self.theses}
            self.theses = theses
        if self.leader:
            self.schedule()
        self.counters.add("reloads", "applied")
        log.info(
            "rules reloaded",
            extra={"theses": len(theses), "added": sorted({t.id for t in theses} - before),
                   "removed": sorted(before - {t.id for t in theses})},
        )
        return True

    def report_rejected(self, error: str) -> None:
        from signalflow.ops import queue_ops

        log.error("rules not reloaded: the previous set keeps running", extra={"error": error})
        digest = hashlib.sha256(error.encode()).hexdigest()[:12]
        try:
            with self.store.session() as session:
                queue_ops(
                    session, self.settings, f"ops/rules/{digest}", "Rule edit rejected: the previous rules keep running",
                    error, self.clock(), subject=str(self.settings.rules_dir),
                )
        except Exception:
            log.exception("cannot queue the rejected-rules notification")
            return
        if self.leader:
            self.deliver_job()

    def readiness(self) -> Readiness:
        import sqlalchemy as sa

        detail = ""
        try:
            with self.store.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            database = True
        except Exception as exc:
            database, detail = False, f"database: {type(exc).__name__}"
        return Readiness(
            database=database,
            rules=bool(self.theses),
            scheduler=self.scheduler.running and not self.stopped.is_set(),
            role="leader" if self.leader else "standby",
            detail=detail,
        )

    def metrics(self) -> str:
        return render_metrics(self.store, self.counters, self.clock(), leader=self.leader, theses=len(self.theses))

    def start_server(self) -> None:
        from signalflow.slackapp import PATHS, desk_for

        desk = desk_for(self.settings, self.store, lambda: self.theses, self.counters)
        if desk is not None and desk.app_token:
            try:
                self.socket = desk.socket_mode()
                self.socket.connect()  # its own threads; the same handlers as the Request URL
            except Exception as exc:  # Slack unreachable must not keep the schedule from running
                self.socket = None
                log.error("slack socket mode not started", extra={"error": f"{type(exc).__name__}: {exc}"})
        if not self.settings.http_port:
            return
        posts = {path: desk.http for path in PATHS} if desk is not None and desk.request_url else {}
        try:
            self.server = OpsServer(
                self.settings.http_host, self.settings.http_port, Probe(self.readiness, self.metrics, posts)
            ).start()
        except OSError as exc:
            log.error(
                "health endpoint not started",
                extra={"address": f"{self.settings.http_host}:{self.settings.http_port}", "error": str(exc)},
            )

    def _on_signal(self, signum: int, _frame) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        self.stopped.set()

    def stop(self) -> None:
        from signalflow.sources.http import STOPPING

        self.stopped.set()
        STOPPING.set()  # running collections stop retrying, so the jobs below end soon
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
        finally:
            STOPPING.clear()
        if self.server is not None:
            self.server.stop()
        if self.socket is not None:
            self.socket.close()
        self.lease.release()
        self.store.close()
        log.info("daemon stopped")


def _due(ticks: int, every_seconds: float) -> bool:
    return ticks % max(1, round(every_seconds / TICK)) == 0
