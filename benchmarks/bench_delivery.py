"""Alert delivery figures: latency from an observation stored to its Slack post reaching a
local Slack Web API server (median, p95; target < 200 ms median), and throughput with 1,000
queued alerts. Prints figures; asserts nothing.

The path timed: Store.add_batch of a new observation -> a literal Evaluation of the rule it
makes fire (the engine's own live-evaluation cost is measured by bench_engine.py and adds to
this) -> record_evaluation in one transaction -> deliver_pending -> chat.postMessage received
by the local server. A second figure takes the daemon's real path instead: a thesis loaded from
YAML, service.evaluate with a LiveEvaluator kept across passes (the engine, the alert and its
outbox rows in one transaction, the rule's inputs explained for the message), then
deliver_pending; the observation alternates across the threshold, so each run posts a firing
root or a resolve reply.

    python benchmarks/bench_delivery.py [--runs 50] [--queued 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake Slack server and literal theses

from fakes.slack_server import TOKEN, FakeSlack  # noqa: E402
from fakes.theses import SPREAD, evaluation, thesis  # noqa: E402

from signalflow.alerts import deliver_pending, record_evaluation  # noqa: E402
from signalflow.settings import Route, Settings  # noqa: E402
from signalflow.series import Batch, Observation  # noqa: E402
from signalflow.store import Store  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def settings_for(fake: FakeSlack, url: str) -> Settings:
    return Settings(
        database_url=url,
        slack_bot_token=TOKEN,
        slack_channel="C0BENCH",
        slack_api_url=fake.api_url,
        routes=[Route(name="slack", notifier="slack")],
    )


def latency(runs: int, workdir: Path) -> list[float]:
    fake = FakeSlack().start()
    url = f"sqlite:///{workdir / 'latency.db'}"
    store, config = Store.open(url), settings_for(fake, url)
    # Each run is a new day with every earlier alert still firing: in digest mode each pass
    # would also compose a digest of them all, which is not the path timed here.
    config = config.model_copy(update={"reminder_mode": "thread"})
    figures = []
    try:
        for run in range(runs):
            th = replace(thesis(), id=f"bench_{run}")
            at = datetime(2025, 1, 1) + timedelta(days=run)
            fake.posted.clear()
            start = time.perf_counter()
            store.add_batch(Batch(observations=[Observation(SPREAD, at.date(), at.date(), 5.5 + run / 1000, at)]))
            ev = evaluation(at, {"spread_widening"})
            ev.status = replace(ev.status, thesis=th.id)
            with store.session() as session:
                record_evaluation(session, th, ev, config, at)
            deliver_pending(store, config, now=at)
            fake.posted.wait(5)
            figures.append((time.perf_counter() - start) * 1000)
    finally:
        store.close()
        fake.stop()
    return figures


THESIS = """\
thesis: bench_live
title: "Bench: spread"
growth: {reason: given, when: fred.BENCH > 0}
liquidity: {reason: open, when: fred.BENCH < 6}
soft_warning:
  - {name: spread_high, when: fred.BENCH > 5, summary: "Spread above 5"}
kill_switch:
  - {name: spread_blowout, when: fred.BENCH > 20, summary: "Spread above 20"}
"""


def latency_engine(runs: int, workdir: Path) -> list[float]:
    from signalflow import service
    from signalflow.thesis.live import LiveEvaluator

    fake = FakeSlack().start()
    url = f"sqlite:///{workdir / 'engine.db'}"
    (workdir / "rules").mkdir()
    (workdir / "rules" / "bench_live.yaml").write_text(THESIS)
    store = Store.open(url)
    config = settings_for(fake, url).model_copy(update={"rules_dir": workdir / "rules"})
    theses = service.load_theses(config)
    live = LiveEvaluator(store)
    start_day = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=400)
    history = [Observation("fred.BENCH", (start_day + timedelta(days=d)).date(), (start_day + timedelta(days=d)).date(),
                           3.0, start_day + timedelta(days=d)) for d in range(400 - runs - 1)]
    store.add_batch(Batch(observations=history))
    service.evaluate(config, store, theses, live=live)
    figures = []
    try:
        for run in range(runs):
            day = start_day + timedelta(days=400 - runs - 1 + run)
            fake.posted.clear()
            start = time.perf_counter()
            value = 5.5 if run % 2 == 0 else 3.0
            store.add_batch(Batch(observations=[Observation("fred.BENCH", day.date(), day.date(), value, day)]))
            service.evaluate(config, store, theses, live=live)
            deliver_pending(store, config)
            posted = fake.posted.wait(5)
            figures.append((time.perf_counter() - start) * 1000)
            assert posted, f"run {run}: nothing was posted"
    finally:
        store.close()
        fake.stop()
    return figures


def throughput(queued: int, workdir: Path) -> tuple[float, float]:
    fake = FakeSlack().start()
    url = f"sqlite:///{workdir / 'throughput.db'}"
    store, config = Store.open(url), settings_for(fake, url)
    at = datetime(2025, 1, 1)
    try:
        start = time.perf_counter()
        with store.session() as session:
            for n in range(queued):
                th = replace(thesis(), id=f"bench_{n}")
                record_evaluation(session, th, evaluation(at, {"spread_widening"}), config, at)
        recorded = time.perf_counter() - start
        start = time.perf_counter()
        report = deliver_pending(store, config, now=at)
        delivered = time.perf_counter() - start
        assert report.sent == queued == len(fake.messages), "every queued alert must be posted once"
    finally:
        store.close()
        fake.stop()
    return queued / recorded, queued / delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--queued", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = latency(args.runs, Path(tmp))
        print(f"observation stored -> Slack post received ({args.runs} runs, SQLite file, literal evaluation):")
        print(f"  median {statistics.median(figures):.1f} ms   p95 {percentile(figures, 0.95):.1f} ms   "
              f"max {max(figures):.1f} ms   (target: median < 200 ms)")
        figures = latency_engine(args.runs, Path(tmp))
        print(f"observation stored -> Slack post received ({args.runs} runs, SQLite file, real engine, live pass):")
        print(f"  median {statistics.median(figures):.1f} ms   p95 {percentile(figures, 0.95):.1f} ms   "
              f"max {max(figures):.1f} ms   (target: median < 200 ms)")
        recorded, delivered = throughput(args.queued, Path(tmp))
        print(f"{args.queued} queued alerts: recorded {recorded:,.0f}/s, delivered {delivered:,.0f}/s "
              f"(each one chat.postMessage to the local server)")


if __name__ == "__main__":
    main()
