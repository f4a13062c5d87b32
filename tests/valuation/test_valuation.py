"""Valuation functions and hypotheses on literal frames; expected values are computed in each
case from the facts it states.

Facts used (NVIDIA, 2024): 10-for-1 split effective at the open of 2024-06-10; the close of
2024-06-07 was 1,208.88 as traded (120.888 in post-split terms), the close of 2024-06-10
121.79. Share counts below are round illustrative figures: 2.46e9 on a cover page dated
before the split, 24.5e9 on one dated after it.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from signalflow.errors import CheckFailed
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.series import MemoryProvider
from signalflow.thesis.context import Context
from signalflow.thesis.data import frame_from_points
from signalflow.thesis.engine import _ns, explain
from signalflow.thesis.frames import PitSeries
from signalflow.thesis.hypotheses import HypothesisState, evaluate_hypotheses
from signalflow.thesis.loader import load_thesis, read_thesis

CLOSE, SHARES, SPLIT = "px.NVDA.close", "sec.NVDA.EntityCommonStockSharesOutstanding", "px.NVDA.split"
PRE_SPLIT_SHARES = 2.46e9
POST_SPLIT_SHARES = 24.5e9
PRICES = {
    CLOSE: [
        (date(2024, 6, 7), 1208.88, datetime(2024, 6, 7, 21)),
        (date(2024, 6, 7), 120.888, datetime(2024, 6, 10)),  # re-versioned at the ex-date
        (date(2024, 6, 10), 121.79, datetime(2024, 6, 10, 21)),
    ],
    SPLIT: [(date(2024, 6, 10), 10.0, datetime(2024, 6, 10))],
    SHARES: [
        (date(2024, 5, 17), PRE_SPLIT_SHARES, datetime(2024, 5, 29)),
        (date(2024, 8, 21), POST_SPLIT_SHARES, datetime(2024, 8, 28)),
    ],
}
REVENUE = [
    (date(2023, 7, 30), 13.51e9, datetime(2023, 8, 23)),
    (date(2023, 10, 29), 18.12e9, datetime(2023, 11, 21)),
    (date(2024, 1, 28), 22.10e9, datetime(2024, 2, 21)),
    (date(2024, 4, 28), 26.04e9, datetime(2024, 5, 29)),
]


def _doc(expr: str, extra: dict | None = None) -> dict:
    doc = {
        "thesis": "v",
        "title": "valuation",
        "series": {"x": expr},
        "growth": {"reason": "g", "when": "1 > 0"},
        "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [{"name": "s", "when": "1 < 0"}],
        "kill_switch": [{"name": "k", "when": "1 < 0"}],
    }
    doc.update(extra or {})
    return doc


def value(expr: str, frames: dict[str, list[tuple]], at: datetime) -> float:
    thesis, problems = read_thesis("v.yaml", yaml.safe_dump(_doc(expr), sort_keys=False))
    assert thesis is not None, problems
    series = {key: PitSeries(frame_from_points(key, points)) for key, points in frames.items()}
    ctx = Context(thesis, series, np.array([_ns(at)], np.int64), functions=BUILTIN_FUNCTIONS)
    return float(ctx.eval(thesis.series["x"].expr)[0])


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2024, 6, 8), 1208.88 * PRE_SPLIT_SHARES),  # before the split: as traded
        (datetime(2024, 6, 10, 12), 120.888 * PRE_SPLIT_SHARES * 10),  # count brought to the new basis
        (datetime(2024, 6, 11), 121.79 * PRE_SPLIT_SHARES * 10),
        (datetime(2024, 8, 29), 121.79 * POST_SPLIT_SHARES),  # a cover page after the split
    ],
)
def test_market_cap_is_continuous_across_a_split(at: datetime, expected: float) -> None:
    assert value("market_cap(NVDA)", PRICES, at) == pytest.approx(expected)


def test_ps_ratio_and_pe_op_divide_by_four_quarters() -> None:
    at = datetime(2024, 6, 11)
    cap = 121.79 * PRE_SPLIT_SHARES * 10
    frames = {**PRICES, "sec.NVDA.revenue": REVENUE, "sec.NVDA.operating_income": [(p, -v, k) for p, v, k in REVENUE]}
    assert value("ps_ratio(NVDA)", frames, at) == pytest.approx(cap / sum(v for _, v, _ in REVENUE))
    assert math.isnan(value("pe_op(NVDA)", frames, at))  # losses: no meaningful multiple
    assert math.isnan(value("ps_ratio(NVDA)", {**frames, "sec.NVDA.revenue": REVENUE[1:]}, at))  # 3 quarters


# Three sessions before a 10:1 split (as traded 1000, 1100, 1200), re-versioned at the ex-date,
# then a post-split close of 115.
SPLIT_HISTORY = {
    "px.A.close": [
        (date(2024, 3, 1), 1000, datetime(2024, 3, 1, 21)),
        (date(2024, 3, 4), 1100, datetime(2024, 3, 4, 21)),
        (date(2024, 3, 5), 1200, datetime(2024, 3, 5, 21)),
        (date(2024, 3, 1), 100, datetime(2024, 3, 6)),
        (date(2024, 3, 4), 110, datetime(2024, 3, 6)),
        (date(2024, 3, 5), 120, datetime(2024, 3, 6)),
        (date(2024, 3, 6), 115, datetime(2024, 3, 6, 21)),
    ]
}


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        ("percentile(px.A.close, 30d)", datetime(2024, 3, 7), np.mean(np.array([100, 110, 120, 115]) <= 115)),
        ("percentile(px.A.close, 30d)", datetime(2024, 3, 5, 22), 1.0),  # 1200 is a new high as known then
        ("drawdown(px.A.close)", datetime(2024, 3, 7), 115 / 120 - 1),
        ("drawdown(px.A.close, 1d)", datetime(2024, 3, 7), 0.0),  # only the last session in the window
        ("pct_above_mean(px.A.close, 30d)", datetime(2024, 3, 7), 115 / np.mean([100, 110, 120, 115]) - 1),
        ("pct_above_mean(px.A.close, 30d)", datetime(2024, 3, 5, 22), 1200 / np.mean([1000, 1100, 1200]) - 1),
    ],
)
def test_history_functions_see_one_share_basis(expr: str, at: datetime, expected: float) -> None:
    assert value(expr, SPLIT_HISTORY, at) == pytest.approx(expected)


def test_percentile_of_a_computed_expression_uses_the_grid() -> None:
    # Daily closes 1..10 known at 00:00 of each day; 2x the close on the grid in (T-5d, T].
    frames = {"px.B.close": [(date(2024, 1, d), float(d), datetime(2024, 1, d)) for d in range(1, 11)]}
    got = value("percentile(px.B.close * 2, 5d)", frames, datetime(2024, 1, 10))
    assert got == 1.0
    frames["px.B.close"].append((date(2024, 1, 11), 7.0, datetime(2024, 1, 11)))
    grid_values = [2 * d for d in (7, 8, 9, 10)] + [14]  # grid points Jan 7..11
    assert value("percentile(px.B.close * 2, 5d)", frames, datetime(2024, 1, 11)) == pytest.approx(
        np.mean(np.array(grid_values) <= 14)
    )


HYPOTHESIS = {
    "hypotheses": [
        {
            "name": "doubles",
            "claim": "revenue doubles",
            "who": "a CEO",
            "said": "2024-01-15",
            "source": "https://example.com/call",
            "verify": "yoy(sec.ACME.revenue) >= 100%",
            "by": "2024-12-31",
        }
    ],
}


def _hypothesis_thesis(tmp_path, rule_when: str = "not hypothesis(doubles)"):
    doc = _doc("sec.ACME.revenue", HYPOTHESIS)
    doc["kill_switch"] = [{"name": "refuted", "when": rule_when}]
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_thesis(path)


def _revenue(last: float) -> MemoryProvider:
    points = [
        (date(2023, 3, 31), 10, datetime(2023, 4, 25)),
        (date(2023, 6, 30), 10, datetime(2023, 7, 25)),
        (date(2024, 3, 31), 15, datetime(2024, 4, 25)),
        (date(2024, 6, 30), last, datetime(2024, 7, 25)),
    ]
    return MemoryProvider({"sec.ACME.revenue": frame_from_points("sec.ACME.revenue", points)})


@pytest.mark.parametrize(
    ("last", "at", "state", "decided"),
    [
        (25, datetime(2024, 7, 1), HypothesisState.OPEN, None),
        (25, datetime(2024, 7, 26), HypothesisState.CONFIRMED, datetime(2024, 7, 25)),  # 25 / 10 - 1 >= 100%
        (25, datetime(2025, 6, 1), HypothesisState.CONFIRMED, datetime(2024, 7, 25)),  # final
        (18, datetime(2024, 12, 31, 23), HypothesisState.OPEN, None),
        (18, datetime(2025, 1, 1), HypothesisState.REFUTED, datetime(2025, 1, 1)),  # the by day has ended
    ],
)
def test_hypothesis_states_point_in_time(tmp_path, last, at, state, decided) -> None:
    thesis = _hypothesis_thesis(tmp_path)
    (status,) = evaluate_hypotheses(thesis, _revenue(last), at)
    assert (status.state, status.decided_at) == (state, decided)
    assert status.who == "a CEO" and status.said == date(2024, 1, 15) and status.source.endswith("/call")


def test_no_data_refutes_nothing(tmp_path) -> None:
    """A hypothesis whose verify could never be judged (no data before its date) stays open,
    and the Kill Switch on its refutation does not fire: on a fresh install, say."""
    from signalflow.thesis.engine import backtest

    thesis = _hypothesis_thesis(tmp_path)
    empty = MemoryProvider({})
    (status,) = evaluate_hypotheses(thesis, empty, datetime(2025, 6, 1))
    assert (status.state, status.decided_at) == (HypothesisState.OPEN, None)
    bt = backtest(thesis, empty, datetime(2024, 1, 1), datetime(2025, 6, 1))
    assert [t for t in bt.transitions if t.rule == "refuted"] == []


def test_a_refuted_hypothesis_fires_a_rule_and_explain_shows_its_inputs(tmp_path) -> None:
    from signalflow.thesis.engine import backtest

    thesis = _hypothesis_thesis(tmp_path)
    bt = backtest(thesis, _revenue(18), None, datetime(2025, 2, 1))
    fired = [t for t in bt.transitions if t.rule == "refuted" and t.to_state.value == "firing"]
    assert [t.at for t in fired] == [datetime(2025, 1, 1)]
    status = explain(thesis, _revenue(18), datetime(2025, 2, 1))
    rule = next(r for r in status.rules if r.name == "refuted")
    assert {i.ref for i in rule.inputs} == {"sec.ACME.revenue"}


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("not hypothesis(doubling)", "unknown hypothesis 'doubling'"),
        ("market_cap(nvda) > 0", "'nvda' is not a ticker"),
        ("market_cap(px.NVDA.close) > 0", "takes one bare ticker"),
    ],
)
def test_named_arguments_are_checked(tmp_path, when: str, problem: str) -> None:
    with pytest.raises(CheckFailed, match=problem):
        _hypothesis_thesis(tmp_path, when)


def test_a_hypothesis_needs_a_date(tmp_path) -> None:
    doc = _doc("1", {"hypotheses": [{"name": "h", "claim": "c", "verify": "1 > 0"}]})
    thesis, problems = read_thesis("h.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert thesis is None and any("missing 'by'" in p.problem for p in problems)


def test_cli_lists_hypotheses_as_json(tmp_path, monkeypatch) -> None:
    from signalflow.cli import app
    from signalflow.series import Batch, Observation
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    _hypothesis_thesis(tmp_path).path.rename(rules / "h.yaml")
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    store = Store.open(url)
    frame = _revenue(25).frames["sec.ACME.revenue"].data
    store.add_batch(
        Batch(
            observations=[
                Observation("sec.ACME.revenue", r.period_end.date(), r.period_end.date(), r.value, r.known_at.to_pydatetime())
                for r in frame.itertuples()
            ]
        )
    )
    store.close()
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["hypotheses", "--json", "--as-of", "2024-08-01", "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["name"], row["state"], row["decided_at"]) == ("doubles", "confirmed", "2024-07-25T00:00:00")
