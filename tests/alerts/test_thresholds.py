"""One reading of comparisons: the explanation, the alert message and the chart state the
same threshold for each input, and an alert for ``fred.HY < -10%`` shows ``< -10%``."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from rich.console import Console
from sqlmodel import select

from fakes.slack_server import TOKEN
from signalflow import service
from signalflow.alerts import deliver_pending
from signalflow.alerts.message import build_notification
from signalflow.notifiers.console import render
from signalflow.notifiers.notification import Kind, Notification
from signalflow.series import Batch, KnownAtBasis, Observation, SeriesInfo
from signalflow.settings import Route, Settings
from signalflow.store import Store
from signalflow.store.models import OutboxRow
from signalflow.thesis.ast import to_text
from signalflow.thesis.data import LiteralProvider, frame_from_points
from signalflow.thesis.engine import evaluate, explain
from signalflow.viz.chart import comparisons as chart_comparisons

CHANNEL = "C0ALERTS"
DAY = datetime(2025, 3, 3)


def thesis_file(tmp_path, when: str):
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "credit.yaml").write_text(
        f"""\
thesis: credit
title: "Credit: high yield holds up"
growth:
  reason: "taken as given in this test"
  when: fred.HY > -100
liquidity:
  reason: "taken as given in this test"
  when: fred.HY > -100
soft_warning:
  - name: hy_falls
    when: {when}
    summary: "High yield falls"
kill_switch:
  - name: hy_collapses
    when: fred.HY < -1000
    summary: "High yield collapses"
"""
    )
    [thesis] = service.load_theses(Settings(database_url="sqlite://", rules_dir=rules))
    return rules, thesis


def test_an_alert_for_a_negative_percent_threshold_shows_it(tmp_path, fake_slack):
    rules, _ = thesis_file(tmp_path, "fred.HY < -10%")
    url = f"sqlite:///{tmp_path / 'hy.db'}"
    config = Settings(
        database_url=url,
        rules_dir=rules,
        slack_bot_token=TOKEN,
        slack_channel=CHANNEL,
        slack_api_url=fake_slack.api_url,
        routes=[Route(name="slack", notifier="slack"), Route(name="desk", notifier="console")],
        delivery_timeout=1,
    )
    theses = service.load_theses(config)
    store = Store.open(url)
    try:
        store.add_batch(
            Batch(
                series=[SeriesInfo("fred.HY", "fred")],
                observations=[
                    Observation("fred.HY", DAY.date(), DAY.date(), -0.12, DAY, "", "", KnownAtBasis.VINTAGE)
                ],
            )
        )
        [fired] = service.evaluate(config, store, theses, at=DAY + timedelta(hours=1))
        assert fired.status.firing == ["hy_falls"]
        [hy] = next(r for r in fired.status.rules if r.name == "hy_falls").inputs
        assert (hy.value, hy.threshold, hy.basis) == (-0.12, "< -10%", "vintage")

        with store.session() as session:
            payloads = {row.notifier: row.payload_json for row in session.exec(select(OutboxRow))}
        console = Console(file=io.StringIO(), width=200)
        console.print(render(Notification.from_json(payloads["console"])))
        printed = console.file.getvalue()
        assert "fred.HY" in printed and "< -10%" in printed

        assert deliver_pending(store, config).sent == 2
        [root] = fake_slack.roots(CHANNEL)
        body = json.dumps(root.blocks)
        assert "(threshold < -10%)" in body
        assert "known 2025-03-03T00:00:00 (vintage)" in body
    finally:
        store.close()


SHAPES = [
    # (when, the input's value, what the explanation says, the threshold, drawn on the chart)
    ("fred.HY > 5", 6.0, "fred.HY = 6 > 5 holds", "> 5", True),
    ("5 < fred.HY", 6.0, "fred.HY = 6 > 5 holds", "> 5", True),
    # a percent threshold reads against the value as a percent (issue 16: units consistent)
    ("fred.HY < -10%", -0.12, "fred.HY = -12% < -10% holds", "< -10%", True),
    ("fred.HY > fred.IG", 6.0, "fred.HY = 6 > fred.IG = 3 holds", "> fred.IG", False),
]


@pytest.mark.parametrize(("when", "value", "sentence", "threshold", "drawn"), SHAPES)
def test_explain_message_and_chart_state_the_same_threshold(tmp_path, when, value, sentence, threshold, drawn):
    _, thesis = thesis_file(tmp_path, when)
    provider = LiteralProvider(
        {
            "fred.HY": frame_from_points("fred.HY", [(DAY.date(), value, DAY)]),
            "fred.IG": frame_from_points("fred.IG", [(DAY.date(), 3.0, DAY)]),
        }
    )
    at = DAY + timedelta(hours=1)

    explained = next(r for r in explain(thesis, provider, at).rules if r.name == "hy_falls")
    assert explained.why.endswith(sentence)
    assert threshold in explained.why

    live = evaluate(thesis, provider, at)
    rule = next(r for r in live.status.rules if r.name == "hy_falls")
    note = build_notification(
        key="k", alert_key="credit/hy_falls/1", kind=Kind.FIRING, thesis=thesis, status=live.status,
        rule=rule, fired_at=at, at=at,
    )
    shown = {line.ref: line.threshold for line in note.inputs}
    assert shown["fred.HY"] == threshold
    assert {i.ref: i.threshold for i in explained.inputs}["fred.HY"] == threshold

    drawn_here = [t.threshold for side, t in chart_comparisons(thesis) if t.owner == "hy_falls" and to_text(side) == "fred.HY"]
    assert drawn_here == ([threshold] if drawn else [])


def test_series_against_series_reads_each_side_against_the_other():
    from signalflow.thesis.comparisons import comparisons, thresholds
    from signalflow.thesis.parser import parse_expression

    node = parse_expression("fred.HY > fred.IG and -5 >= yoy(fred.X) and 1 > 0")
    assert [(to_text(c.side), c.threshold, c.constant) for c in comparisons(node)] == [
        ("fred.HY", "> fred.IG", None),
        ("fred.IG", "< fred.HY", None),
        ("yoy(fred.X)", "<= -5", -5.0),
    ]
    assert thresholds(node) == {"fred.X": "<= -5", "fred.HY": "> fred.IG", "fred.IG": "< fred.HY"}
