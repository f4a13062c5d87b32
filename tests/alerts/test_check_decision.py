"""check_decision: what `ack` and the Slack modal refuse before recording anything."""

from __future__ import annotations

from datetime import datetime

import pytest

from fakes.theses import SPREAD, thesis
from signalflow.alerts.ack import check_decision
from signalflow.errors import DecisionRefused, SignalflowError

NOW = datetime(2025, 5, 1, 12, 0)
STORED = [SPREAD, "fred.DGS10"]

REFUSED = [
    ({"note": "  "}, "note", "say why"),
    ({"until": NOW}, "until", "not in the future"),
    ({"until": datetime(2025, 4, 30)}, "until", "2025-04-30 00:00 is not in the future"),
    ({"unless": "fred.X >"}, "unless", "--unless"),
    ({"unless": "no_such_rule"}, "unless", "unknown name 'no_such_rule'"),
    ({"unless": "fred.NOPE > 7"}, "unless", "series fred.NOPE is neither read by thesis liquidity_regime"),
    ({"unless": f"{SPREAD} + 1"}, "unless", "--unless"),  # a number, not a condition
]


@pytest.mark.parametrize(("given", "field", "says"), REFUSED)
def test_refused(given, field, says):
    with pytest.raises(DecisionRefused) as caught:
        check_decision(NOW, thesis=thesis(), stored=STORED, **given)
    assert caught.value.field == field
    assert says in str(caught.value)
    assert isinstance(caught.value, SignalflowError)


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"until": datetime(2025, 5, 2)},
        {"unless": f"{SPREAD} > 7"},
        {"unless": "fred.DGS10 > 5"},  # not read by the thesis, but stored
        {"unless": "spread_widening"},  # a rule of the thesis
    ],
)
def test_accepted(given):
    assert check_decision(NOW, thesis=thesis(), stored=STORED, **given) is None


def test_without_the_thesis_only_syntax_is_checked():
    check_decision(NOW, unless="fred.NOPE > 7")
    with pytest.raises(DecisionRefused):
        check_decision(NOW, unless="fred.NOPE >")
