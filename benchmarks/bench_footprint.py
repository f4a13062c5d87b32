"""Footprint of the idle daemon and start-up time of the CLI.

    python benchmarks/bench_footprint.py [--seconds 60] [--help-runs 10]

Starts `signalflow run` on a temporary SQLite database with one thesis over a FRED series
served by a local keyless-CSV endpoint, waits until /readyz says ready and the first pass is
done, then samples its resident memory and CPU time for ``--seconds`` (targets: under 150 MB,
under 1% of a core). Then times `signalflow --help` (target: under 0.5 s). Prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

THESIS = """\
thesis: idle
title: "Idle footprint"
growth: {reason: "positive", when: fred.IDLE > 0}
liquidity: {reason: "positive", when: fred.IDLE > 0}
soft_warning:
  - {name: high, when: fred.IDLE > 5, summary: "above 5"}
kill_switch:
  - {name: extreme, when: fred.IDLE > 1000, summary: "above 1000"}
"""


class Fred(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        rows = "".join(f"{date.today() - timedelta(days=i)},{i % 4}\n" for i in range(30, 0, -1))
        body = f"observation_date,IDLE\n{rows}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return json.loads(reply.read())["ready"]
    except OSError:
        return False


def idle_daemon(seconds: float) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Fred)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp, "rules")
        rules.mkdir()
        (rules / "idle.yaml").write_text(THESIS)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALFLOW_")}
        env.update(
            SIGNALFLOW_DATABASE_URL=f"sqlite:///{tmp}/idle.db",
            SIGNALFLOW_RULES_DIR=str(rules),
            SIGNALFLOW_FRED_GRAPH_URL=f"http://127.0.0.1:{server.server_address[1]}/fredgraph.csv",
            SIGNALFLOW_HTTP_PORT=str(port),
            SIGNALFLOW_ROUTES='[{"name": "console", "notifier": "console"}]',
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "signalflow", "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            while not ready(port):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the daemon did not become ready")
                time.sleep(0.2)
            time.sleep(5)  # the first collection and evaluation pass
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            peaks = []
            while time.monotonic() - t0 < seconds:
                peaks.append(rss_mb(proc.pid))
                time.sleep(1)
            cpu = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
            print(f"idle daemon over {seconds:.0f}s: RSS {peaks[-1]:.1f} MB (max {max(peaks):.1f} MB; target < 150 MB)")
            print(f"idle daemon CPU: {cpu * 100:.2f}% of a core (target < 1%)")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            server.shutdown()


def help_time(runs: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "signalflow", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"signalflow --help: median {statistics.median(times):.3f}s, min {min(times):.3f}s over {runs} runs "
        "(target < 0.5 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to sample the idle daemon")
    parser.add_argument("--help-runs", type=int, default=10, help="how many `signalflow --help` runs to time")
    args = parser.parse_args()
    idle_daemon(args.seconds)
    help_time(args.help_runs)


if __name__ == "__main__":
    main()
