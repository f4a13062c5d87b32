"""The store owns its queries: one outbox writer, enums that round-trip as the same strings,
and no SQL in the command line."""

from __future__ import annotations

import ast
import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from signalflow.notifiers.notification import Notification
from signalflow.store import alerts as store_alerts
from signalflow.store import outbox
from signalflow.store.enums import AlertState, Decision, DecisionState, Kind, OutboxStatus, Severity
from signalflow.store.models import AlertRow, DecisionRow, OutboxRow

PACKAGE = Path(__file__).resolve().parents[2] / "signalflow"
T0 = datetime(2025, 5, 1, 12, 0)


def _calls_of(path: Path, name: str) -> list[int]:
    """Lines where ``name(...)`` is called or ``insert(name)``/``update(name)`` is built."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called == name:
            lines.append(node.lineno)
        elif called in ("insert", "update") and any(isinstance(a, ast.Name) and a.id == name for a in node.args):
            lines.append(node.lineno)
    return lines


def test_only_the_store_writes_outbox_rows() -> None:
    writers = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := _calls_of(path, "OutboxRow"))
    }
    # One constructor call (queue) and one compare-and-set update (claim), both in the store.
    assert list(writers) == ["store/outbox.py"], writers
    assert len(writers["store/outbox.py"]) == 2


def test_the_command_line_holds_no_sql() -> None:
    offenders = []
    for path in (PACKAGE / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("sqlalchemy", "sqlmodel") or n == "signalflow.store.models"
            ]
    assert offenders == []


def test_queue_writes_a_message_once(store) -> None:
    with store.session() as session:
        first = outbox.queue(
            session, dedup_key="a/r/1/firing@desk", kind=Kind.FIRING, notifier="console", route="desk",
            payload_json="{}", now=T0,
        )
        again = outbox.queue(
            session, dedup_key="a/r/1/firing@desk", kind=Kind.FIRING, notifier="console", route="desk",
            payload_json="{}", now=T0,
        )
    assert first is not None and again is None
    with store.session() as session:
        assert outbox.due_ids(session, T0) == [first.id]
        assert outbox.due_ids(session, datetime(2025, 5, 1, 11, 59)) == []
        assert outbox.keys_with_prefix(session, "a/") == ["a/r/1/firing@desk"]


def test_enums_round_trip_through_the_database_as_the_same_strings(store) -> None:
    with store.session() as session:
        # Written as plain strings, as rows written before the enums existed were.
        alert = AlertRow(thesis="t", rule="r", severity="kill_switch", state="firing", fired_at=T0)
        session.add(alert)
        session.flush()
        session.add(DecisionRow(thesis="t", rule="r", alert_id=alert.id, decision="hold", decided_at=T0))
        session.add(OutboxRow(dedup_key="k", alert_id=alert.id, kind="firing", notifier="console", payload_json="{}"))
    with store.session() as session:
        (read,) = store_alerts.firing(session, "t")
        (decision,) = store_alerts.active_decisions(session, read)
        row = session.exec(select(OutboxRow)).one()
    assert read.severity is Severity.KILL_SWITCH and read.state is AlertState.FIRING
    assert decision.decision is Decision.HOLD
    assert (row.kind, row.status) == (Kind.FIRING, OutboxStatus.PENDING) and row.status is OutboxStatus.PENDING
    with store.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT severity, state FROM alert")).one()
        status = conn.execute(sa.text("SELECT kind, status FROM outbox")).one()
    assert (type(raw[0]), tuple(raw)) == (str, ("kill_switch", "firing"))
    assert tuple(status) == ("firing", "pending")


def test_an_unknown_stored_value_is_an_error_not_a_silent_string(store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO alert (thesis, rule, severity, episode, state, fired_at, summary, detail_json)"
                " VALUES ('t', 'r', 'catastrophic', 1, 'firing', '2025-05-01 12:00:00', '', '')"
            )
        )
    with pytest.raises(ValueError, match="catastrophic"):
        with store.session() as session:
            store_alerts.firing(session, "t")


def test_the_journal_names_its_entries_with_members(store) -> None:
    with store.session() as session:
        alert = AlertRow(thesis="t", rule="r", severity=Severity.SOFT_WARNING, fired_at=T0)
        session.add(alert)
        session.flush()
        store_alerts.add_decisions(session, "t", [alert], Decision.TRIM, "why", T0)
    with store.session() as session:
        entries = store_alerts.journal(session, "t")
    assert [(e.entry, e.what, e.state) for e in entries] == [
        ("alert", Severity.SOFT_WARNING, AlertState.FIRING),
        ("decision", Decision.TRIM, DecisionState.ACTIVE),
    ]
    assert json.dumps(entries[1].to_json()["state"]) == '"active"'


@pytest.mark.parametrize("severity", ["kill_switch", "soft_warning", "info"])
def test_a_notification_keeps_its_strings_in_json(severity: str) -> None:
    note = Notification(key="k", alert_key="k", kind="firing", severity=severity, thesis="t", title="T", rule="r", at=T0)
    data = json.loads(note.to_json())
    assert (data["kind"], data["severity"]) == ("firing", severity)
    back = Notification.from_json(note.to_json())
    assert back.severity is Severity(severity) and back.kind is Kind.FIRING
    assert f"{back.severity}" == severity  # formats as its value, as the strings did
    assert back == note


def test_a_pass_reads_every_pending_unless_and_engine_state_at_once(store) -> None:
    """What a pass reads once for all theses equals what it read thesis by thesis."""
    from signalflow.thesis.results import EngineState

    with store.session() as session:
        for thesis, unless, rearmed in (
            ("a", "fred.X > 1", None), ("a", "", None), ("a", "fred.Y < 2", None), ("a", "fred.X > 1", None),
            ("b", "fred.Z > 3", T0), ("c", "sec.C.capex < 0", None),
        ):  # fmt: skip
            session.add(DecisionRow(thesis=thesis, decision="hold", unless_expr=unless, decided_at=T0, rearmed_at=rearmed))
        for thesis in ("a", "c"):
            store.save_engine_state(session, EngineState(thesis, evaluated_at=T0, memory={"state": 1}), {"big": "status"})
    with store.session() as session:
        each = {t: store_alerts.pending_unless(session, t) for t in ("a", "b", "c")}
        every = store_alerts.pending_unless_all(session)
    assert every == {t: texts for t, texts in each.items() if texts}
    assert every == {"a": ["fred.X > 1", "fred.Y < 2"], "c": ["sec.C.capex < 0"]}
    states = store.engine_states_only()
    assert {t: s.to_json() for t, s in states.items()} == {t: store.get_engine_state(t).to_json() for t in ("a", "c")}
