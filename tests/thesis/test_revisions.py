"""Revisions as events, on the real ALFRED vintages of the monthly change of payrolls
(PAYEMS_CHG, 12 vintages 2021-02-05..2022-01-07; September 2021 was 194, then 312, then 379).

Every expected value is computed here from the parsed vintages, apart from the engine:
which versions were known at an instant, which rows revise a period, and what a rule on
them reads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from signalflow.alerts.message import build_notification
from signalflow.cli import app
from signalflow.notifiers.email import compose
from signalflow.notifiers.notification import Kind
from signalflow.series import MemoryProvider, SeriesFrame
from signalflow.sources.fred_formats import parse_alfred_csv
from signalflow.thesis.builtin_functions import BUILTIN_FUNCTIONS
from signalflow.thesis.context import Context
from signalflow.thesis.engine import backtest, evaluate, explain
from signalflow.thesis.frames import PitSeries, first_releases
from signalflow.thesis.loader import read_thesis
from signalflow.thesis.results import CauseKind, RuleState

KEY = "fred.PAYEMS_CHG"
FILE = "AkeBoss-tech_FEDChallenge_alfredgraph_PAYEMS_CHG_12vintages.csv"
SEPTEMBER = pd.Timestamp("2021-09-01")


@pytest.fixture
def vintages(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "fred" / "alfred" / FILE
    return parse_alfred_csv(path.read_text(), str(path)).frame


@pytest.fixture
def provider(vintages: pd.DataFrame) -> MemoryProvider:
    return MemoryProvider({KEY: _frame(vintages)})


def _frame(vintages: pd.DataFrame) -> SeriesFrame:
    data = vintages.drop(columns=["series"]).sort_values("known_at", kind="stable").reset_index(drop=True)
    return SeriesFrame(KEY, data, frequency="monthly")


def _thesis(when: str, name: str = "watch", severity: str = "soft_warning", **extra):
    other = "kill_switch" if severity == "soft_warning" else "soft_warning"
    doc = {
        "thesis": "payrolls",
        "title": "payrolls",
        "growth": {"reason": "g", "when": "1 > 0"},
        "liquidity": {"reason": "l", "when": "1 > 0"},
        severity: [{"name": name, "when": when, **extra}],
        other: [{"name": "never", "when": "1 < 0"}],
    }
    thesis, problems = read_thesis("payrolls.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert thesis is not None, problems
    return thesis


def _known(vintages: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """Each period's value as known at ``at`` (its latest version known by then)."""
    rows = vintages[vintages["known_at"] <= at].sort_values(["period_start", "known_at"], kind="stable")
    return rows.groupby("period_start")["value"].last()


def _september(vintages: pd.DataFrame) -> pd.DataFrame:
    return vintages[vintages["period_start"] == SEPTEMBER].sort_values("known_at")


def _revisions(vintages: pd.DataFrame) -> pd.DataFrame:
    """Rows that change the value of a period already known: with the value they replace."""
    rows = vintages.sort_values(["period_start", "known_at"], kind="stable").copy()
    rows["old"] = rows.groupby("period_start")["value"].shift()
    return rows[rows["old"].notna() & (rows["old"] != rows["value"])]


def test_the_premise_194_312_379(vintages: pd.DataFrame):
    assert list(_september(vintages)["value"]) == [194.0, 312.0, 379.0]


def test_a_flip_caused_by_a_revision_reports_old_new_and_date(provider, vintages):
    first, second, _ = _september(vintages).itertuples()
    # As known: the two latest months averaged 2021-08/09 (first estimate of September) and
    # then 2021-09/10 with September revised; without the revision it would have stayed low.
    before = _known(vintages, first.known_at).iloc[-2:].mean()
    after = _known(vintages, second.known_at).iloc[-2:].mean()
    october = _known(vintages, second.known_at).iloc[-1]
    assert before <= 400 < after and (first.value + october) / 2 <= 400

    thesis = _thesis(f"mean({KEY}, 2) > 400", name="hiring_strong")
    bt = backtest(thesis, provider, datetime(2021, 10, 1), datetime(2021, 11, 30))
    (flip,) = [t for t in bt.transitions if t.at == second.known_at.to_pydatetime()]
    assert (flip.from_state, flip.to_state) == (RuleState.INACTIVE, RuleState.FIRING)
    cause = flip.cause
    assert cause.kind is CauseKind.REVISION
    assert (cause.change.ref, cause.change.period, cause.change.old, cause.change.new) == (KEY, "2021-09", 194.0, 312.0)
    assert cause.change.known_at == second.known_at.to_pydatetime()
    assert f"{KEY} 2021-09 was revised from 194 to 312 on {second.known_at:%Y-%m-%d}" in cause.text()
    # The new month of the same release was needed too, and is named beside it.
    assert [(c.period, c.old, c.new) for c in cause.also] == [("2021-10", None, october)]


def test_explain_says_in_one_line_why_the_thesis_flipped(provider, vintages):
    second = _september(vintages).iloc[1]
    thesis = _thesis(f"mean({KEY}, 2) > 400", name="hiring_strong")
    status = explain(thesis, provider, (second.known_at + timedelta(days=3)).to_pydatetime())
    assert status.state.value == "soft_warning"
    line = status.because
    assert "\n" not in line
    assert line.startswith(f"soft_warning since {second.known_at:%Y-%m-%d}")
    assert f"because hiring_strong fired: {KEY} 2021-09 was revised from 194 to 312 on {second.known_at:%Y-%m-%d}" in line
    (rule,) = [r for r in status.rules if r.name == "hiring_strong"]
    assert rule.cause is not None and rule.cause.kind is CauseKind.REVISION


def test_a_new_period_and_the_passage_of_time(provider, vintages):
    august = vintages[vintages["period_start"] == pd.Timestamp("2021-08-01")].sort_values("known_at").iloc[0]
    # August's first estimate (235) was the first month below 300 after a run above it.
    previous = _known(vintages, august.known_at - timedelta(seconds=1))
    assert august.value < 300 <= previous.iloc[-1]
    thesis = _thesis(f"{KEY} < 300", name="weak", **{"for": "10d"})
    bt = backtest(thesis, provider, datetime(2021, 8, 10), datetime(2021, 10, 1))
    pending, firing = bt.transitions[:2]
    assert (pending.at, pending.to_state) == (august.known_at.to_pydatetime(), RuleState.PENDING)
    assert pending.cause.kind is CauseKind.NEW_PERIOD
    assert (pending.cause.change.period, pending.cause.change.old, pending.cause.change.new) == ("2021-08", None, 235.0)
    assert "2021-08 was first published (235)" in pending.cause.text()
    # `for: 10d` elapses at the first evaluation (daily grid at 00:00 UTC) 10 days later.
    due = (august.known_at + timedelta(days=10)).ceil("D")
    assert (firing.at, firing.to_state) == (due.to_pydatetime(), RuleState.FIRING)
    assert firing.cause.kind is CauseKind.TIME and "for 10d elapsed" in firing.cause.text()


def test_revised_and_revision_computed_from_the_vintages(vintages):
    thesis = _thesis(f"revised({KEY}, 90d) > 0 and revision({KEY}) < -2%")
    revisions = _revisions(vintages)
    instants = sorted(set(vintages["known_at"])) + [pd.Timestamp("2021-06-20"), pd.Timestamp("2022-01-31")]
    t = np.array([pd.Timestamp(x).value for x in instants], np.int64)
    ctx = Context(thesis, {KEY: PitSeries(_frame(vintages))}, t, functions=BUILTIN_FUNCTIONS)
    when = thesis.rule("watch").when
    counted = ctx.eval(when.left.left)
    relative = ctx.eval(when.right.left)
    for i, at in enumerate(instants):
        window = revisions[(revisions["known_at"] > at - timedelta(days=90)) & (revisions["known_at"] <= at)]
        assert counted[i] == len(window), at
        known = revisions[revisions["known_at"] <= at]
        if known.empty:
            assert np.isnan(relative[i]), at
            continue
        latest = known[known["known_at"] == known["known_at"].max()].sort_values("period_start").iloc[-1]
        assert relative[i] == pytest.approx((latest.value - latest.old) / abs(latest.old)), at
    # The revisions of September 2021 are among them, as the MANIFEST says.
    assert list(_revisions(_september(vintages))[["old", "value"]].itertuples(index=False, name=None)) == [
        (194.0, 312.0),
        (312.0, 379.0),
    ]


def test_first_release_replay_misses_the_flip_the_revision_caused(provider, vintages):
    second = _september(vintages).iloc[1]
    initial = first_releases(_frame(vintages)).data
    assert not initial.duplicated(["period_start"]).any()
    assert initial[initial["period_start"] == SEPTEMBER]["value"].tolist() == [194.0]
    thesis = _thesis(f"mean({KEY}, 2) > 400", name="hiring_strong")
    known = backtest(thesis, provider, datetime(2021, 10, 1), datetime(2021, 11, 30))
    first = backtest(thesis, provider, datetime(2021, 10, 1), datetime(2021, 11, 30), first_release=True)
    at = second.known_at.to_pydatetime()
    assert any(t.at == at and t.to_state is RuleState.FIRING for t in known.transitions)
    assert not any(t.at == at for t in first.transitions)
    assert all(t.cause.kind is not CauseKind.REVISION for t in first.transitions)


def test_a_live_pass_reports_the_revision_and_the_alert_says_it(provider, vintages):
    second = _september(vintages).iloc[1]
    thesis = _thesis(f"mean({KEY}, 2) > 400", name="hiring_strong")
    earlier = evaluate(thesis, provider, at=(second.known_at - timedelta(days=2)).to_pydatetime())
    assert earlier.status.state.value == "ok"
    now = evaluate(thesis, provider, at=(second.known_at + timedelta(hours=1)).to_pydatetime(), prior=earlier.state)
    (tr,) = now.transitions
    assert tr.cause.kind is CauseKind.REVISION and tr.cause.change.old == 194.0
    (rule,) = [r for r in now.status.rules if r.name == "hiring_strong"]
    message = build_notification(
        key="k", alert_key="payrolls/hiring_strong/1", kind=Kind.FIRING, thesis=thesis, status=now.status,
        rule=rule, fired_at=rule.fired_at, at=now.status.at,
    )
    assert f"{KEY} 2021-09 was revised from 194 to 312" in message.cause
    email = compose(message, "a@example.com", ("b@example.com",), None).get_content()
    assert f"Because {KEY} 2021-09 was revised from 194 to 312" in email


def test_an_edited_thesis_is_the_cause_in_a_live_pass(provider):
    at = datetime(2021, 11, 10)
    before = evaluate(_thesis(f"{KEY} < 300", name="weak"), provider, at=at)
    assert before.status.state.value == "ok"  # October's first estimate was 531
    edited = _thesis(f"{KEY} < 600", name="weak")
    after = evaluate(edited, provider, at=at + timedelta(hours=1), prior=before.state)
    (tr,) = after.transitions
    assert (tr.from_state, tr.to_state) == (RuleState.INACTIVE, RuleState.FIRING)
    assert tr.cause.kind is CauseKind.RULE_CHANGE and "the thesis changed" in tr.cause.text()
    assert "because weak fired: the thesis changed" in after.status.because


def test_revision_functions_load_and_check():
    thesis = _thesis("revision(sec.NVDA.revenue) < -2% and revised(sec.NVDA.revenue, 90d) > 0", name="dc_revised_down")
    when = thesis.rule("dc_revised_down").when
    assert [c.impl for c in (when.left.left, when.right.left)] == ["revision", "revised"]
    _, problems = read_thesis("bad.yaml", yaml.safe_dump({
        "thesis": "bad", "title": "bad",
        "growth": {"reason": "g", "when": "1 > 0"}, "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [{"name": "s", "when": "revised(sec.NVDA.revenue) > 0"}],
        "kill_switch": [{"name": "k", "when": "1 < 0"}],
    }))
    assert any("revised" in str(p) for p in problems)


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path) -> Path:
    from signalflow.store import Store

    rules = tmp_path / "rules"
    rules.mkdir()
    doc = {
        "thesis": "payrolls",
        "title": "payrolls",
        "growth": {"reason": "g", "when": "1 > 0"},
        "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [{"name": "hiring_strong", "when": f"mean({KEY}, 2) > 400"}],
        "kill_switch": [{"name": "never", "when": "1 < 0"}],
    }
    (rules / "payrolls.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'sf.db'}"
    monkeypatch.setenv("SIGNALFLOW_DATABASE_URL", url)
    monkeypatch.setenv("SIGNALFLOW_RULES_DIR", str(rules))
    path = shared_data / "fred" / "alfred" / FILE
    store = Store.open(url)
    store.add_batch(parse_alfred_csv(path.read_text(), str(path)))
    store.close()
    return tmp_path


def test_cli_backtest_first_release_and_explain(store_dir: Path, vintages):
    second = _september(vintages).iloc[1]
    day = f"{second.known_at:%Y-%m-%d}"
    result = CliRunner().invoke(app, ["backtest", "--from", "2021-10-01", "--to", "2021-11-30", "--first-release", "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output)
    only = summary["revision_effect"]["only_as_known"]
    assert [(t["at"][:10], t["rule"], t["to"]) for t in only][:1] == [(day, "hiring_strong", "firing")]
    assert only[0]["cause"]["kind"] == "revision" and only[0]["cause"]["change"]["old"] == 194.0
    assert not any(t["at"][:10] == day for t in summary["first_release"]["transitions"])

    text = CliRunner().invoke(app, ["backtest", "--from", "2021-10-01", "--to", "2021-11-30", "--first-release"])
    assert text.exit_code == 0, text.output
    printed = " ".join(text.output.split())
    assert f"because {KEY} 2021-09 was revised from 194 to 312" in printed
    assert "what revisions did:" in printed and "only as known: " + day in printed

    shown = CliRunner().invoke(app, ["explain", "payrolls", "--as-of", "2021-11-20"])
    assert shown.exit_code == 0, shown.output
    line = next(ln for ln in shown.output.splitlines() if "because hiring_strong fired" in ln)
    assert f"was revised from 194 to 312 on {day}" in line
    as_json = json.loads(CliRunner().invoke(app, ["explain", "payrolls", "--as-of", "2021-11-20", "--json"]).output)
    assert as_json["flip"]["cause"]["change"]["new"] == 312.0


def test_a_window_moving_on_is_the_passage_of_time(provider, vintages):
    revisions = _revisions(vintages)

    def counted(at: pd.Timestamp) -> int:
        return int(((revisions["known_at"] > at - timedelta(days=30)) & (revisions["known_at"] <= at)).sum())

    release = min(k for k in sorted(set(revisions["known_at"])) if k >= pd.Timestamp("2021-10-01") and counted(k) >= 3)
    day = release.ceil("D") if release != release.normalize() else release + timedelta(days=1)
    while counted(day) >= 3:
        day += timedelta(days=1)
    thesis = _thesis(f"revised({KEY}, 30d) >= 3", name="revised_often")
    bt = backtest(thesis, provider, datetime(2021, 10, 1), datetime(2021, 12, 31))
    fired, resolved = bt.transitions[:2]
    assert (fired.at, fired.to_state, fired.cause.kind) == (release.to_pydatetime(), RuleState.FIRING, CauseKind.REVISION)
    assert (resolved.at, resolved.to_state) == (day.to_pydatetime(), RuleState.INACTIVE)
    assert resolved.cause.kind is CauseKind.TIME and "the 30d window moved on" in resolved.cause.text()


def test_republishing_the_same_value_is_no_revision():
    from signalflow.thesis.data import frame_from_points

    frame = frame_from_points(
        "sec.ACME.revenue",
        [
            ("2024-03-31", 100, "2024-04-25"),
            ("2024-06-30", 110, "2024-07-25"),
            ("2024-03-31", 100, "2024-07-25"),  # the next 10-Q repeats the quarter unchanged
            ("2024-03-31", 95, "2025-03-10"),  # a restatement
        ],
    )
    s = PitSeries(frame)
    t = np.array([pd.Timestamp(x).value for x in ("2024-05-01", "2024-08-01", "2025-03-11")], np.int64)
    assert list(s.revisions_within(t, 400 * 86_400 * 10**9)) == [0, 0, 1]
    assert np.isnan(s.latest_revision(t)[:2]).all() and s.latest_revision(t)[2] == pytest.approx(-0.05)
    assert list(first_releases(frame).data["value"]) == [100.0, 110.0]


def test_a_rule_that_reads_another_rule_is_traced_to_the_change_that_mattered():
    from signalflow.thesis.data import frame_from_points

    doc = {
        "thesis": "nested",
        "title": "nested",
        "growth": {"reason": "g", "when": "1 > 0"},
        "liquidity": {"reason": "l", "when": "1 > 0"},
        "soft_warning": [{"name": "base", "when": "fred.X > 5", "for": "2d"}],
        "kill_switch": [{"name": "escalate", "when": "base and fred.Y > 1"}],
    }
    thesis, problems = read_thesis("nested.yaml", yaml.safe_dump(doc, sort_keys=False))
    assert thesis is not None, problems
    # On Jan 10 one release brings a new X (still above 5: irrelevant) and revises Y 0 -> 2.
    provider = MemoryProvider({
        "fred.X": frame_from_points("fred.X", [("2025-01-01", 6, "2025-01-01"), ("2025-01-09", 7, "2025-01-10T12:00")]),
        "fred.Y": frame_from_points("fred.Y", [("2025-01-01", 0, "2025-01-01"), ("2025-01-01", 2, "2025-01-10T12:00")]),
    })
    bt = backtest(thesis, provider, None, datetime(2025, 1, 15))
    (fired,) = [t for t in bt.transitions if t.rule == "escalate" and t.to_state is RuleState.FIRING]
    assert fired.at == datetime(2025, 1, 10, 12)
    assert fired.cause.kind is CauseKind.REVISION and (fired.cause.change.ref, fired.cause.change.old) == ("fred.Y", 0.0)
    assert fired.cause.also == ()  # the new X changed nothing: base fired either way


def test_the_outbox_message_of_a_live_pass_names_the_revision(store, shared_data, vintages):
    from sqlmodel import select

    from signalflow.alerts import record_evaluation
    from signalflow.settings import Route, Settings
    from signalflow.store.models import OutboxRow

    path = shared_data / "fred" / "alfred" / FILE
    store.add_batch(parse_alfred_csv(path.read_text(), str(path)))
    second = _september(vintages).iloc[1]
    thesis = _thesis(f"mean({KEY}, 2) > 400", name="hiring_strong")
    config = Settings(database_url="sqlite://", routes=[Route(name="desk", notifier="console")])
    earlier = evaluate(thesis, store, at=(second.known_at - timedelta(days=2)).to_pydatetime())
    at = (second.known_at + timedelta(hours=1)).to_pydatetime()
    now = evaluate(thesis, store, at=at, prior=earlier.state)
    with store.session() as session:
        record_evaluation(session, thesis, earlier, config, at)
        record_evaluation(session, thesis, now, config, at)
    with store.session() as session:
        (row,) = session.exec(select(OutboxRow)).all()
    payload = json.loads(row.payload_json)
    assert payload["kind"] == "firing" and payload["rule"] == "hiring_strong"
    assert payload["cause"].startswith(f"{KEY} 2021-09 was revised from 194 to 312 on {second.known_at:%Y-%m-%d}")


def test_keep_firing_for_running_out_is_the_passage_of_time():
    from signalflow.thesis.data import frame_from_points

    thesis = _thesis("fred.X > 5", name="high", keep_firing_for="3d")
    provider = MemoryProvider({
        "fred.X": frame_from_points("fred.X", [("2025-01-01", 6, "2025-01-01"), ("2025-01-05", 4, "2025-01-05")]),
    })
    bt = backtest(thesis, provider, None, datetime(2025, 1, 15))
    fired, resolved = bt.transitions
    assert fired.to_state is RuleState.FIRING and fired.cause.kind is CauseKind.START
    # False from Jan 5 (the new period, 4); held while T - Jan 5 < 3 days.
    assert (resolved.at, resolved.to_state) == (datetime(2025, 1, 8), RuleState.INACTIVE)
    assert resolved.cause.kind is CauseKind.TIME and "keep_firing_for 3d ran out" in resolved.cause.text()
