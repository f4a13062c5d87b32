"""A sample notification for `signalflow notify-test`: every field filled, nothing real."""

from __future__ import annotations

from datetime import datetime

from signalflow.notifiers.notification import InputLine, Kind, Link, Notification
from signalflow.settings import Route
from signalflow.store.enums import Severity


def sample_notification(route: Route, now: datetime) -> Notification:
    key = f"test/{route.name}/{now:%Y%m%dT%H%M%S}"
    return Notification(
        key=key,
        alert_key=key,
        kind=Kind.TEST,
        severity=Severity.INFO,
        thesis="sample",
        title="signalflow test message",
        rule="sample_rule",
        at=now,
        summary="If you can read this, the route works",
        expression="fred.BAMLH0A0HYM2 > 5",
        state="ok",
        quadrant="growth and liquidity",
        growth=True,
        liquidity=True,
        inputs=(
            InputLine("fred.BAMLH0A0HYM2", 3.1, "percent", "> 5", "2025-04-01", "2025-04-03T05:00:00",
                      url="https://fred.stlouisfed.org/series/BAMLH0A0HYM2", basis="vintage",
                      published="vintage 2025-04-02 (CT date, known from its end)"),
        ),
        links=(Link("FRED", "https://fred.stlouisfed.org/"),),
        position=(("first_tranche", "1/3 of target"),),
        channel=route.channel,
        recipients=tuple(route.to),
    )
