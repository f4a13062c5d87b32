"""The daemon's numbers in the Prometheus text exposition format (version 0.0.4).

Store-backed figures (per source health, observations, alerts, outbox) are read at scrape
time, so every daemon on one database reports the same; process counters (evaluations,
delivery failures, reloads) count what this process did since it started.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from signalflow.store import alerts as store_alerts
from signalflow.store import outbox
from signalflow.store.enums import OutboxStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Counters:
    """What this process has done; incremented by the daemon's jobs, thread-safe."""

    evaluations: int = 0
    evaluation_failures: int = 0
    collections: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, ok|failed)
    deliveries: dict[str, int] = field(default_factory=dict)  # outcome -> count
    reloads: dict[str, int] = field(default_factory=dict)  # applied | rejected
    slack_requests: dict[str, int] = field(default_factory=dict)  # accepted | forged | stale | replayed | unsigned
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, key=None, amount: int = 1) -> None:
        with self._lock:
            if key is None:
                setattr(self, name, getattr(self, name) + amount)
            else:
                table = getattr(self, name)
                table[key] = table.get(key, 0) + amount


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_: str, samples) -> None:
        self.lines.append(f"# HELP {name} {help_}")
        self.lines.append(f"# TYPE {name} {kind}")
        sample_name = f"{name}_total" if kind == "counter" else name
        for labels, value in samples:
            self.lines.append(f"{sample_name}{_labels(labels)} {_number(value)}")


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(10), "n").replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + ",".join(escaped) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def _epoch(when: datetime) -> float:
    return (when - datetime(1970, 1, 1)).total_seconds()


def render_metrics(store, counters: Counters, now: datetime, *, leader: bool, theses: int, up: bool = True) -> str:
    """The exposition text for one scrape."""
    w = _Writer()
    w.family("signalflow_up", "gauge", "1 while the daemon runs", [({}, int(up))])
    w.family("signalflow_leader", "gauge", "1 when this daemon runs the schedule", [({}, int(leader))])
    w.family("signalflow_theses_loaded", "gauge", "theses in the running rule set", [({}, theses)])
    health = store.source_health()
    w.family(
        "signalflow_source_last_success_timestamp_seconds", "gauge", "last successful collection (Unix time)",
        [({"source": h.source}, _epoch(h.last_success)) for h in health if h.last_success],
    )
    w.family(
        "signalflow_source_lag_seconds", "gauge", "seconds since the last successful collection",
        [({"source": h.source}, max(0.0, (now - h.last_success).total_seconds())) for h in health if h.last_success],
    )
    w.family(
        "signalflow_source_consecutive_failures", "gauge", "failed collections since the last success",
        [({"source": h.source}, h.consecutive_failures) for h in health],
    )
    w.family(
        "signalflow_source_failures", "counter", "failed collections",
        [({"source": h.source}, h.total_failures) for h in health],
    )
    w.family(
        "signalflow_source_observations_stored", "counter", "observations stored by the source's collections",
        [({"source": h.source}, h.observations_stored) for h in health],
    )
    observations = store.observation_count()
    with store.engine.connect() as conn:
        alerts = store_alerts.counts(conn)
        by_status = dict.fromkeys(OutboxStatus, 0) | outbox.status_counts(conn)
    w.family("signalflow_observations", "gauge", "observation versions in the store", [({}, observations)])
    w.family(
        "signalflow_alerts", "gauge", "alert episodes by severity and state",
        [({"severity": s, "state": st}, n) for s, st, n in alerts],
    )
    w.family(
        "signalflow_outbox", "gauge", "notifications by delivery status",
        [({"status": s}, n) for s, n in sorted(by_status.items())],
    )
    w.family(
        "signalflow_outbox_depth", "gauge", "notifications waiting for delivery (pending or sending)",
        [({}, by_status[OutboxStatus.PENDING] + by_status[OutboxStatus.SENDING])],
    )
    w.family("signalflow_evaluations", "counter", "thesis evaluations by this process", [({}, counters.evaluations)])
    w.family(
        "signalflow_evaluation_failures", "counter", "thesis evaluations that failed", [({}, counters.evaluation_failures)]
    )
    w.family(
        "signalflow_collections", "counter", "collections by this process",
        [({"source": s, "result": r}, n) for (s, r), n in sorted(counters.collections.items())],
    )
    failed = sum(n for outcome, n in counters.deliveries.items() if outcome in ("retry", "unknown", "failed"))
    w.family(
        "signalflow_delivery_failures", "counter", "delivery attempts that did not end in a sent message",
        [({}, failed)],
    )
    w.family(
        "signalflow_deliveries", "counter", "delivery outcomes by this process",
        [({"outcome": o}, n) for o, n in sorted(counters.deliveries.items())],
    )
    w.family(
        "signalflow_rule_reloads", "counter", "rule set reloads",
        [({"result": r}, n) for r, n in sorted(counters.reloads.items())],
    )
    w.family(
        "signalflow_slack_requests", "counter", "requests to the Slack endpoints by verdict (anything but accepted got 401)",
        [({"verdict": v}, n) for v, n in sorted(counters.slack_requests.items())],
    )
    return "\n".join(w.lines) + "\n"
