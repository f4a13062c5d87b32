"""Benchmark the daemon's pass over a watch list: one ``for_each`` file against copies.

    python benchmarks/bench_watchlist_pass.py [--companies 500] [--rules 10] [--quarters 40]

``bench_foreach.py`` times the engine alone. This times what the daemon does each pass
(``service.evaluate`` with a ``LiveEvaluator``, as ``signalflow run`` keeps one): read
what was stored since the last pass, evaluate, then for each thesis save its state and
status and reconcile its alerts and outbox rows in one transaction, on an SQLite store.

The same rows are stored twice: once beside one ``for_each`` file over N companies (its
expansions evaluated together), once beside N thesis files, one per company, as a user
would copy them. A third store holds one company and its one file: one thesis's passes.
Each store sees a first pass (every expansion from the first known value: history, alerts
opened), then the next two days, each bringing one new value of the credit spread every
company's thesis reads. Prints the seconds of each pass and checks the two watch lists
stored the same states; asserts nothing else.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foreach import START, daily, quarterly, template, watch_list  # noqa: E402

from signalflow import service  # noqa: E402
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo  # noqa: E402
from signalflow.settings import Route, Settings  # noqa: E402
from signalflow.store import Store  # noqa: E402
from signalflow.thesis.live import LiveEvaluator  # noqa: E402


def observations(frames) -> list[Observation]:
    return [
        Observation(f.key, r.period_start.date(), r.period_end.date(), float(r.value), r.known_at.to_pydatetime(), "", "",
                    KnownAtBasis.VINTAGE)
        for f in frames
        for r in f.data.itertuples()
    ]  # fmt: skip


def store_with(folder: Path, files: dict[str, str], frames) -> tuple[Settings, list]:
    """A store in ``folder`` holding ``frames``, and the settings of a rules folder of ``files``."""
    rules = folder / "rules"
    rules.mkdir(parents=True)
    for name, text in files.items():
        (rules / name).write_text(text, encoding="utf-8")
    url = f"sqlite:///{folder / 'signalflow.db'}"
    store = Store.open(url)
    try:
        store.add_batch(
            Batch(series=[SeriesInfo(f.key, f.key.split(".")[0]) for f in frames], observations=observations(frames))
        )
    finally:
        store.close()
    config = Settings(database_url=url, rules_dir=rules, routes=[Route(name="desk", notifier="console")])
    return config, service.load_theses(config)


def passes(config: Settings, theses: list, days: list[datetime]) -> tuple[list[float], dict]:
    """The seconds of each daemon pass at ``days``, and the stored states after the last."""
    store = Store.open(config.database_url)
    live = LiveEvaluator(store)
    try:
        out = []
        for at in days:
            t0 = time.perf_counter()
            service.evaluate(config, store, theses, at=at, live=live)
            out.append(time.perf_counter() - t0)
        states = {k: v[0] for k, v in store.engine_states().items()}
    finally:
        store.close()
    return out, states


def main() -> None:
    args, rng, tickers = watch_list(__doc__.splitlines()[0])
    # The spread, daily, known the next day: two more days than the first pass sees.
    spread = daily("fred.BAMLH0A0HYM2", args.quarters * 92 + 2, rng)
    companies = {t: [quarterly(f"sec.{t}.capex", args.quarters, rng, 10.0), quarterly(f"sec.{t}.revenue", args.quarters, rng, 30.0)]
                 for t in tickers}  # fmt: skip
    frames = [spread] + [f for t in tickers for f in companies[t]]
    first = datetime.combine(START, datetime.min.time()) + timedelta(days=args.quarters * 92)
    days = [first, first + timedelta(days=1), first + timedelta(days=2)]
    one = template(args.rules, "")
    print(f"{args.companies} companies x {args.rules} rules, {args.quarters} quarters, {len(frames)} series, "
          f"first pass at {first:%Y-%m-%d}, SQLite")  # fmt: skip

    folder = Path(tempfile.mkdtemp(prefix="signalflow-bench-"))
    try:
        t0 = time.perf_counter()
        single = store_with(folder / "one", {"one.yaml": one.replace("{ticker}", tickers[0])}, [spread, *companies[tickers[0]]])
        listed = f"for_each: {{ticker: [{', '.join(tickers)}]}}\n"
        grouped = store_with(folder / "grouped", {"watchlist.yaml": template(args.rules, listed)}, frames)
        copies = {
            f"{t}.yaml": one.replace("{ticker}", t).replace("discipline", f"discipline_{t.lower()}", 1) for t in tickers
        }
        naive = store_with(folder / "copies", copies, frames)
        print(f"stored the rows three times in {time.perf_counter() - t0:.1f} s")
        alone, _ = passes(*single, days)
        together, states = passes(*grouped, days)
        each, copied = passes(*naive, days)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{'pass':11}{'one thesis':>12}{'N files':>10}{'for_each':>10}{'N files/for_each':>18}")
    for name, a, b, c in zip(("first", "next day", "day after"), alone, each, together):
        print(f"{name:11}{a:12.3f}{b:10.2f}{c:10.2f}{b / c:18.1f}")
    per = [1000 * c / args.companies for c in together]
    print("for_each per company: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in zip(("first", "next day", "day after"), per)))
    same = all(
        states[f"discipline[{t}]"].rules == copied[f"discipline_{t.lower()}"].rules
        and states[f"discipline[{t}]"].memory["state"] == copied[f"discipline_{t.lower()}"].memory["state"]
        for t in tickers
    )
    print(f"same rule memories and thesis states in both watch lists: {same}")


if __name__ == "__main__":
    main()
