"""A rules directory and a SQLite store with stated facts, shared by the viz tests.

Facts: fred.HY is 4 until 2025-02-01, 6 from then on, 8 on 2025-04-01..03 (each day known
the next day). sec.ACME.revenue has five quarters, each known at its stated filing date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from signalflow.series import Batch, KnownAtBasis, Observation

SPREAD = {
    "thesis": "spread",
    "title": "credit spreads and ACME revenue",
    "layer": "power",
    "review_by": "2020-01-01",
    "growth": {"reason": "g", "when": "yoy(sec.ACME.revenue) > 10%"},
    "liquidity": {"reason": "l", "when": "fred.HY < 5"},
    "soft_warning": [{"name": "spread_widening", "when": "fred.HY > 5", "for": "30d", "summary": "spreads wide"}],
    "kill_switch": [
        {"name": "credit_stress", "when": "fred.HY > 7"},
        {"name": "revenue_falling", "when": "qoq(sec.ACME.revenue) < -10%"},
    ],
}
IDLE = {
    "thesis": "idle",
    "title": "never evaluated",
    "layer": "compute",
    "review_by": "2999-01-01",
    "growth": {"reason": "g", "when": "fred.OTHER > 1"},
    "liquidity": {"reason": "l", "when": "fred.OTHER < 5"},
    "soft_warning": [{"name": "other_high", "when": "fred.OTHER > 5"}],
    "kill_switch": [{"name": "other_very_high", "when": "fred.OTHER > 9"}],
}
# (period_start, period_end, value, filed)
ACME = [
    (date(2024, 1, 1), date(2024, 3, 31), 100.0, datetime(2024, 4, 25)),
    (date(2024, 4, 1), date(2024, 6, 30), 105.0, datetime(2024, 7, 25)),
    (date(2024, 7, 1), date(2024, 9, 30), 110.0, datetime(2024, 10, 24)),
    (date(2024, 10, 1), date(2024, 12, 31), 120.0, datetime(2025, 2, 10)),
    (date(2025, 1, 1), date(2025, 3, 31), 125.0, datetime(2025, 4, 25)),
]


def hy_value(day: date) -> float:
    if date(2025, 4, 1) <= day <= date(2025, 4, 3):
        return 8.0
    return 6.0 if day >= date(2025, 2, 1) else 4.0


@pytest.fixture
def viz_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SIGNALFLOW_DATABASE_URL and SIGNALFLOW_RULES_DIR pointing at a filled store and rules."""
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "spread.yaml").write_text(yaml.safe_dump(SPREAD, sort_keys=False))
    (rules / "idle.yaml").write_text(yaml.safe_dump(IDLE, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    obs = []
    for i in range(120):
        day = date(2025, 1, 1) + timedelta(days=i)
        obs.append(
            Observation("fred.HY", day, day, hy_value(day), datetime.combine(day, datetime.min.time()) + timedelta(days=1),
                        unit="%", source_ref=f"vintage {day}", known_at_basis=KnownAtBasis.VINTAGE)
        )
    for start, end, value, filed in ACME:
        obs.append(Observation("sec.ACME.revenue", start, end, value, filed, unit="USD", source_ref=f"10-Q {end}"))
    store = Store.open(url)
    store.add_batch(Batch(observations=obs))
    store.close()
    return tmp_path
