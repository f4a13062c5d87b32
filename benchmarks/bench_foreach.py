"""Benchmark ``for_each``: one template over N companies, naive against grouped.

    python benchmarks/bench_foreach.py [--companies 500] [--rules 10] [--quarters 40]

Naive: one thesis file per company (as a user would copy it), each parsed, loaded and
evaluated on its own. Grouped: one ``for_each`` file, parsed once, its series loaded and
indexed once (``thesis/group.py``: a ``Group``), the expansions evaluated together
(``thesis/stacked.py``), each over its own timeline. Then the daemon's steady state: the next
day's pass from each thesis's prior state. A last table splits a grouped pass into the
engine's part (expressions and rule lifecycles, stacked or one by one) and what is read per
expansion from it (status, transitions and their causes, the new state). Prints the time of
each phase and checks that all give the same states; asserts nothing else.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from signalflow.series import FRAME_COLUMNS, MemoryProvider, SeriesFrame
from signalflow.thesis.engine import evaluate
from signalflow.thesis.group import Group
from signalflow.thesis.loader import read_thesis, read_theses

START = date(2015, 3, 31)


def template(rules: int, values: str) -> str:
    soft = "\n".join(
        f"  - name: capex_intensity_{i}\n    when: sec.{{ticker}}.capex / sec.{{ticker}}.revenue > {30 + i}%\n"
        f"    for: 2 releases"
        for i in range(rules - 1)
    )
    return f"""\
{values}thesis: discipline
title: "{{ticker}} capex discipline"
growth:
  reason: "capex still grows"
  when: yoy(sec.{{ticker}}.capex) > 10%
liquidity:
  reason: "credit is open"
  when: fred.BAMLH0A0HYM2 < 5
soft_warning:
{soft}
kill_switch:
  - name: capex_cut
    when: yoy(sec.{{ticker}}.capex) < 0 and fred.BAMLH0A0HYM2 > 4
"""


def quarterly(key: str, quarters: int, rng: np.random.Generator, level: float) -> SeriesFrame:
    ends = pd.date_range(START, periods=quarters, freq="QE")
    # Each company files on its own day, 30 to 45 days after the quarter ends.
    known = ends + pd.to_timedelta(rng.integers(30, 46, quarters), unit="D")
    data = pd.DataFrame(
        {
            "period_start": ends - pd.offsets.QuarterBegin(startingMonth=1),
            "period_end": ends,
            "value": level * np.cumprod(1 + rng.normal(0.03, 0.08, quarters)),
            "known_at": known,
            "source_ref": "",
            "unit": "USD",
        },
        columns=FRAME_COLUMNS,
    )
    for col in ("period_start", "period_end", "known_at"):
        data[col] = data[col].astype("datetime64[ns]")
    return SeriesFrame(key, data, frequency="quarterly")


def daily(key: str, days: int, rng: np.random.Generator) -> SeriesFrame:
    ends = pd.date_range(START, periods=days, freq="D")
    data = pd.DataFrame(
        {"period_start": ends, "period_end": ends, "value": 4 + np.cumsum(rng.normal(0, 0.02, days)),
         "known_at": ends + pd.Timedelta(days=1), "source_ref": "", "unit": ""},
        columns=FRAME_COLUMNS,
    )
    for col in ("period_start", "period_end", "known_at"):
        data[col] = data[col].astype("datetime64[ns]")
    return SeriesFrame(key, data, frequency="daily")


def watch_list(description: str) -> tuple[argparse.Namespace, np.random.Generator, list[str]]:
    """The command line of a watch-list benchmark (companies, rules, quarters), its random
    generator and the companies' tickers."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--rules", type=int, default=10)
    parser.add_argument("--quarters", type=int, default=40)
    args = parser.parse_args()
    return args, np.random.default_rng(19), [f"C{i:03d}" for i in range(args.companies)]


def main() -> None:
    args, rng, tickers = watch_list(__doc__.splitlines()[0])
    frames = [daily("fred.BAMLH0A0HYM2", args.quarters * 92, rng)]
    for t in tickers:
        frames.append(quarterly(f"sec.{t}.capex", args.quarters, rng, 10.0))
        frames.append(quarterly(f"sec.{t}.revenue", args.quarters, rng, 30.0))
    provider = MemoryProvider(frames)
    at = datetime.combine(START, datetime.min.time()) + timedelta(days=args.quarters * 92)
    one = template(args.rules, "")
    print(f"{args.companies} companies x {args.rules} rules, {args.quarters} quarters, evaluated at {at:%Y-%m-%d}")

    t0 = time.perf_counter()
    copies = [read_thesis(f"{t}.yaml", one.replace("{ticker}", t).replace("discipline", f"discipline_{t.lower()}", 1))[0] for t in tickers]
    t1 = time.perf_counter()
    naive = [evaluate(thesis, provider, at) for thesis in copies]
    t2 = time.perf_counter()
    theses, problems = read_theses("all.yaml", template(args.rules, f"for_each: {{ticker: [{', '.join(tickers)}]}}\n"))
    assert not problems, problems
    t3 = time.perf_counter()
    group = Group(theses)  # kept for the next pass, as a daemon would
    grouped = group.evaluate(provider, at)
    t4 = time.perf_counter()

    # The daemon's steady state: the next day's pass, from each thesis's prior state.
    tick = at + timedelta(days=1)
    t5 = time.perf_counter()
    naive_tick = [evaluate(thesis, provider, tick, e.state) for thesis, e in zip(copies, naive)]
    t6 = time.perf_counter()
    grouped_tick = group.evaluate(provider, tick, {t.id: e.state for t, e in zip(theses, grouped)})
    t7 = time.perf_counter()

    same = all(
        a.status.state == b.status.state and a.status.firing == b.status.firing and a.state.rules == b.state.rules
        for a, b in zip(naive, grouped)
    )
    same = same and all(a.status.state == b.status.state for a, b in zip(naive_tick, grouped_tick))
    rows = [
        ("parse", t1 - t0, t3 - t2),
        ("evaluate", t2 - t1, t4 - t3),
        ("total", t2 - t0, t4 - t2),
        ("next day", t6 - t5, t7 - t6),
    ]
    print(f"{'':10}{'naive s':>10}{'grouped s':>11}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:10}{a:10.2f}{b:11.2f}{a / b:8.1f}")
    print(f"per company: naive {1000 * (t2 - t0) / len(tickers):.1f} ms, grouped {1000 * (t4 - t2) / len(tickers):.1f} ms")
    print(f"same states, firing rules and rule memories: {same}")
    print(f"expansions evaluated together: {group.together} of {len(theses)}")
    split(group, provider, at, tick, {t.id: e.state for t, e in zip(theses, grouped)})


def split(group: Group, provider: MemoryProvider, at: datetime, tick: datetime, priors: dict) -> None:
    """The engine's part of a grouped pass, stacked and one by one, and the per-expansion part."""
    from collections import deque

    from signalflow.thesis.engine import evaluation_of, pass_context
    from signalflow.thesis.group import STACKED_INSTANTS, _take, load_group
    from signalflow.thesis.run import finish
    from signalflow.thesis.stacked import stack

    print(f"{'pass':10}{'stacked s':>11}{'one by one s':>14}{'per expansion s':>17}")
    for name, when, prior in (("first", at, {}), ("next day", tick, priors)):
        series = load_group(group.theses, provider, when, group.reads)

        def contexts() -> list:
            return [
                (None, *pass_context(t, {r: series[r] for r in refs}, when, prior.get(t.id)))
                for t, refs in zip(group.theses, group.reads)
            ]

        for _, ctx, continued in contexts():  # the series' lazy indexes built before either is timed
            finish(ctx, continued)
        made = contexts()
        t0 = time.perf_counter()
        batch = deque(made)
        while batch:
            chunk = _take(batch, STACKED_INSTANTS)
            if len(chunk) > 1:
                stack([ctx for _, ctx, _ in chunk], group.shapes[group.theses[0].expansion.template])
        runs = [finish(ctx, continued) for _, ctx, continued in made]
        stacked = time.perf_counter() - t0
        alone = contexts()
        t0 = time.perf_counter()
        for _, ctx, continued in alone:
            finish(ctx, continued)
        one_by_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        for run, (_, ctx, _) in zip(runs, made):
            evaluation_of(run, prior.get(ctx.thesis.id))
        print(f"{name:10}{stacked:11.2f}{one_by_one:14.2f}{time.perf_counter() - t0:17.2f}")


if __name__ == "__main__":
    main()
