"""Running signalflow for months: health and metrics over HTTP, staleness alerts, the
PostgreSQL schedule lease, and rule hot reload. The daemon wires these together.

    server = OpsServer(host, port, probe).start()      # /healthz, /readyz, /metrics
    rows = notify_staleness(store, settings, refs, now) # ops notifications through the outbox
    lease = lease_for(store)                            # who runs the schedule
"""

from signalflow.ops.health import OpsServer, Probe, Readiness
from signalflow.ops.leader import AdvisoryLease, Lease, LocalLease, lease_for
from signalflow.ops.metrics import Counters, render_metrics
from signalflow.ops.notify import queue_ops
from signalflow.ops.reload import RulesWatcher
from signalflow.ops.staleness import Staleness, assess_staleness, notify_staleness

__all__ = [
    "AdvisoryLease",
    "Counters",
    "Lease",
    "LocalLease",
    "OpsServer",
    "Probe",
    "Readiness",
    "RulesWatcher",
    "Staleness",
    "assess_staleness",
    "lease_for",
    "notify_staleness",
    "queue_ops",
    "render_metrics",
]
