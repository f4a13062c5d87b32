"""The rule lifecycle beyond the ported Prometheus tests: `N releases`, `resolve_when`,
memory carried between passes, and the two implementations agreeing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from signalflow.thesis import lifecycle
from signalflow.thesis.lifecycle import FIRING, INACTIVE, PENDING, Memory, Spec

DAY = 86_400 * 10**9
T = np.arange(10, dtype=np.int64) * DAY
NAMES = {INACTIVE: "inactive", PENDING: "pending", FIRING: "firing"}


def names(trace) -> list[str]:
    return [NAMES[int(s)] for s in trace.state]


def cond(text: str) -> np.ndarray:
    return np.array([{"1": 1.0, "0": 0.0, "?": np.nan}[c] for c in text])


def test_releases_count_only_true_evaluations_with_a_new_observation():
    releases = np.array([1, 0, 1, 0, 0, 1, 1, 0, 0, 0], bool)
    trace = lifecycle.run(T, cond("1111101111"), Spec(for_releases=2), releases)
    # The second release of the first run arrives at index 2: firing. The false evaluation
    # at index 5 resets the count; the second run sees a single release (index 6): pending.
    assert names(trace) == [
        "pending", "pending", "firing", "firing", "firing", "inactive", "pending", "pending", "pending", "pending",
    ]


def test_resolve_when_holds_a_firing_rule_until_it_is_true():
    trace = lifecycle.run(T, cond("1100000000"), Spec(), resolve=cond("0000100000"))
    assert names(trace) == ["firing"] * 4 + ["inactive"] * 6


def test_unknown_condition_counts_as_not_true():
    trace = lifecycle.run(T, cond("11?1111111"), Spec(for_ns=2 * DAY))
    assert names(trace)[:5] == ["pending", "pending", "inactive", "pending", "pending"]
    assert names(trace)[5] == "firing"  # two days after the new active_at (index 3)


def test_memory_continues_a_pending_rule_across_passes():
    whole = lifecycle.run(T, cond("1111111111"), Spec(for_ns=5 * DAY))
    first = lifecycle.run(T[:3], cond("111"), Spec(for_ns=5 * DAY))
    rest = lifecycle.run(T[3:], cond("1111111"), Spec(for_ns=5 * DAY), memory=Memory.from_json(first.memory.to_json()))
    assert list(whole.state) == list(first.state) + list(rest.state)
    assert int(rest.active_at[-1]) == 0


@settings(max_examples=60, deadline=None)
@given(
    bits=st.lists(st.sampled_from("10?"), min_size=1, max_size=40),
    for_days=st.integers(0, 4),
    rel=st.lists(st.booleans(), min_size=40, max_size=40),
    use_releases=st.booleans(),
)
def test_vectorized_path_equals_segment_loop(bits, for_days, rel, use_releases):
    c = cond("".join(bits))
    t = np.arange(len(c), dtype=np.int64) * DAY
    r = np.array(rel[: len(c)])
    spec = Spec(for_releases=2 if use_releases else 0, for_ns=0 if use_releases else for_days * DAY)
    fast = lifecycle._vectorized(t, c == 1.0, spec, r)
    slow = lifecycle._segments(t, c == 1.0, spec, r, None, Memory())
    assert list(fast.state) == list(slow.state)
    assert list(fast.active_at) == list(slow.active_at)
    assert list(fast.fired_at) == list(slow.fired_at)
    assert fast.memory == slow.memory
