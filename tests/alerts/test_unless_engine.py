"""`ack --unless` through the real engine: a thesis loaded from YAML fires over a real Store,
the owner acknowledges it on the CLI with an --unless condition, reminders stop, and a new
observation that makes the condition true re-arms the alert with a message in its thread."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from typer.testing import CliRunner

from fakes.slack_server import TOKEN
from signalflow import service
from signalflow.alerts import deliver_pending
from signalflow.cli import app
from signalflow.settings import Route, Settings
from signalflow.series import Batch, Observation, SeriesInfo
from signalflow.store import Store

CHANNEL = "C0ALERTS"
THESIS = """\
thesis: credit_probe
title: "Credit probe: spreads stay tight"
growth:
  reason: "taken as given in this test"
  when: fred.PROBE > 0
liquidity:
  reason: "credit is open while the spread is below 6"
  when: fred.PROBE < 6
soft_warning:
  - name: spread_high
    when: fred.PROBE > 4
    summary: "Spread above 4"
kill_switch:
  - name: spread_blowout
    when: fred.PROBE > 20
    summary: "Spread above 20"
"""


def observe(store: Store, day: datetime, value: float) -> None:
    store.add_batch(
        Batch(
            series=[SeriesInfo("fred.PROBE", "fred", unit="percent")],
            observations=[Observation("fred.PROBE", day.date(), day.date(), value, day, "percent")],
        )
    )


def test_ack_unless_rearms_through_the_engine_when_new_data_makes_it_true(tmp_path, fake_slack, monkeypatch):
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit_probe.yaml").write_text(THESIS)
    config = Settings(
        database_url=url,
        rules_dir=rules,
        slack_bot_token=TOKEN,
        slack_channel=CHANNEL,
        slack_api_url=fake_slack.api_url,
        routes=[Route(name="slack", notifier="slack")],
        delivery_timeout=1,
    )
    theses = service.load_theses(config)
    store = Store.open(url)
    today = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        for back in range(5, 0, -1):
            observe(store, today - timedelta(days=back), 5.0)
        [fired] = service.evaluate(config, store, theses)
        assert list(fired.status.firing) == ["spread_high"]
        assert deliver_pending(store, config).sent == 1
        [root] = fake_slack.roots(CHANNEL)
        # The live evaluation carries the firing rule's inputs: the message states them as they were.
        first = json.dumps(root.blocks)
        day = (today - timedelta(days=1)).date().isoformat()
        for fact in ("*fred.PROBE*: 5 percent (threshold > 4)", f"period {day}", f"known {day}T00:00:00",
                     "https://fred.stlouisfed.org/series/PROBE"):
            assert fact in first, fact

        monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
        acked = CliRunner().invoke(app, ["ack", "credit_probe", "--decision", "hold", "--note", "spread still below 6",
                                         "--unless", "fred.PROBE > 7", "--json"])
        assert acked.exit_code == 0, acked.output
        assert [(d["rule"], d["unless"]) for d in json.loads(acked.stdout)] == [("spread_high", "fred.PROBE > 7")]

        # Still firing, condition false: no re-arm, and the next days' digests leave it out.
        service.evaluate(config, store, theses)
        for days in (1, 2):
            assert deliver_pending(store, config, now=datetime.utcnow() + timedelta(days=days)).outcomes == ()
        assert len(fake_slack.messages) == 1

        observe(store, today, 8.0)
        [worse] = service.evaluate(config, store, theses)
        assert list(worse.status.firing) == ["spread_high"]  # 8 > 4: the same episode goes on
        assert deliver_pending(store, config).sent == 1
        [rearmed] = fake_slack.replies(root)
        assert rearmed.text.startswith("Re-armed — Soft Warning: Credit probe")
        assert "unless condition became true: fred.PROBE > 7" in json.dumps(rearmed.blocks)
        assert root.edits[-1]["text"].startswith("Re-armed")

        # Re-armed: the next digest lists it again, with the decision it outlived.
        later = deliver_pending(store, config, now=datetime.utcnow() + timedelta(days=1))
        assert later.sent == 1
        digest = fake_slack.roots(CHANNEL)[-1]
        body = json.dumps(digest.blocks)
        assert "credit_probe" in body and "spread_high" in body and "re-armed" in body
        assert "8 percent" in body, body
    finally:
        store.close()


def test_unless_may_name_the_thesis_rules_and_conditions(tmp_path, monkeypatch):
    import pytest

    from signalflow.errors import ThesisError

    url = f"sqlite:///{tmp_path / 'names.db'}"
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit_probe.yaml").write_text(THESIS)
    [thesis] = service.load_theses(Settings(database_url=url, rules_dir=rules))
    store = Store.open(url)
    day = datetime(2025, 3, 3)
    try:
        observe(store, day, 8.0)
        check = service.unless_check(store)
        # 8 is above the rule's 4 and not below liquidity's 6.
        got = {text: check(thesis, text, day) for text in ("spread_high and fred.PROBE > 7", "not liquidity",
                                                             "fred.PROBE > 9", "growth and liquidity")}
        assert got == {"spread_high and fred.PROBE > 7": True, "not liquidity": True,
                       "fred.PROBE > 9": False, "growth and liquidity": False}
        with pytest.raises(ThesisError, match="spread_hgih"):
            check(thesis, "spread_hgih", day)
    finally:
        store.close()

    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    typo = CliRunner().invoke(app, ["ack", "credit_probe", "--decision", "hold", "--note", "x", "--unless", "spread_hgih"])
    assert typo.exit_code == 1 and "spread_hgih" in typo.output
