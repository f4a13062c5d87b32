"""What the engine remembers about a thesis lives on the thesis or on whoever evaluates it
(a ``Group``, a ``LiveEvaluator``), never in a module-level container keyed by object ids:
such a cache outlives its objects, needs identity checks against reused ids and grows with
every thesis ever evaluated."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np

import signalflow.thesis
from signalflow.series import MemoryProvider
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.context import Context
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import backtest, evaluate, explain, fingerprint
from signalflow.thesis.group import Group, evaluate_group
from signalflow.thesis.live import LiveEvaluator
from signalflow.thesis.loader import read_theses

TEMPLATE = """\
for_each: {ticker: [AAA, BBB, CCC]}
thesis: caches
series:
  intensity: sec.{ticker}.capex / sec.{ticker}.revenue
growth:
  reason: "capex still grows"
  when: yoy(sec.{ticker}.capex) > 10%
liquidity:
  reason: "credit is open"
  when: fred.HY < 5
soft_warning:
  - name: intensity_high
    when: intensity > 40%
    for: 2 releases
kill_switch:
  - name: capex_cut
    when: yoy(sec.{ticker}.capex) < 0 and fred.HY > 4
"""


def provider() -> MemoryProvider:
    days = [date(2022, 1, 3) + timedelta(days=i) for i in range(0, 900, 7)]
    frames = [frame_from_points("fred.HY", [(d, 4 + (i % 50) / 25, d + timedelta(days=1)) for i, d in enumerate(days)])]
    quarters = [date(2022, 3, 31) + timedelta(days=91 * i) for i in range(10)]
    for n, ticker in enumerate(("AAA", "BBB", "CCC")):  # capex falls: capex_cut fires
        capex = [(q, 20 + n - i, q + timedelta(days=40)) for i, q in enumerate(quarters)]
        revenue = [(q, 30 + i, q + timedelta(days=40)) for i, q in enumerate(quarters)]
        frames += [frame_from_points(f"sec.{ticker}.capex", capex), frame_from_points(f"sec.{ticker}.revenue", revenue)]
    return MemoryProvider(frames)


def module_containers() -> dict[tuple[str, str], object]:
    """Every dict, set and list held by a global of a module of the thesis package."""
    out: dict[tuple[str, str], object] = {}
    for info in pkgutil.iter_modules(signalflow.thesis.__path__, "signalflow.thesis."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not name.startswith("__") and isinstance(value, (dict, set, list)):
                out[(info.name, name)] = value
    return out


def contents(value: object) -> set:
    return set(value) if isinstance(value, (dict, set)) else set(map(id, value))  # type: ignore[call-overload]


def use_the_engine(at: datetime) -> list:
    """Read the theses afresh and evaluate them every way there is; the new theses."""
    theses, problems = read_theses("caches.yaml", TEMPLATE)
    assert problems == []
    data = provider()
    results = [evaluate(t, data, at) for t in theses] + evaluate_group(theses, data, at)
    group = Group(theses)
    priors = {e.state.thesis: e.state for e in results[:3]}
    results += group.evaluate(data, at) + group.evaluate(data, at + timedelta(days=1), priors)
    live = LiveEvaluator(data)
    results += live.evaluate_all([(t, None) for t in theses], at)
    backtest(theses[0], data, None, at)
    explain(theses[1], data, at)
    for thesis in theses:
        fingerprint(thesis)
        ctx = Context(thesis, {}, np.array([0], np.int64), functions=BUILTIN_FUNCTIONS)
        for rule in thesis.rules:
            ctx.refs_of(rule.when)
    assert any(e.status.firing for e in results)  # the evaluations are not empty ones
    return theses


def test_evaluating_new_theses_adds_nothing_to_any_module_global():
    at = datetime(2024, 6, 1)
    use_the_engine(at)  # registries and tables filled on first use are filled now
    containers = module_containers()
    before = {key: contents(value) for key, value in containers.items()}
    for _ in range(2):
        use_the_engine(at)
    grown = {key: contents(value) - before[key] for key, value in containers.items() if contents(value) - before[key]}
    assert grown == {}


def test_no_module_global_of_the_thesis_package_is_keyed_by_object_ids():
    use_the_engine(datetime(2024, 6, 1))

    def is_id(key: object) -> bool:
        return type(key) is int or (type(key) is tuple and bool(key) and all(type(k) is int for k in key))

    keyed = {key for key, value in module_containers().items() if isinstance(value, dict) and any(map(is_id, value))}
    assert keyed == set()


def test_what_a_thesis_remembers_is_no_part_of_its_value():
    theses, _ = read_theses("caches.yaml", TEMPLATE)
    thesis = theses[0]
    copy = replace(thesis)
    assert fingerprint(thesis) == thesis.fingerprint == copy.fingerprint
    assert thesis.refs_of(thesis.rule("intensity_high").when) == ("sec.AAA.capex", "sec.AAA.revenue")
    # Remembered values are not fields: equality, repr and replace ignore them.
    assert copy == thesis and repr(copy) == repr(thesis)
    assert "_refs" in vars(thesis) and "_refs" not in vars(copy)
    assert replace(thesis, id="other").fingerprint != thesis.fingerprint
