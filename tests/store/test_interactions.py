"""Claims on Slack interactions over every backend: the first claim of a key wins."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from signalflow.store.interactions import claim
from signalflow.store.models import InteractionRow

NOW = datetime(2025, 5, 1, 12, 0)


def test_a_key_is_claimed_once(store):
    with store.session() as session:
        first = claim(session, "decision:C1:1.0:U1:hold:abc", "view_submission", "U1", NOW)
    with store.session() as session:
        again = claim(session, "decision:C1:1.0:U1:hold:abc", "view_submission", "U1", NOW)
        other = claim(session, "decision:C1:1.0:U1:exit:abc", "view_submission", "U1", NOW)
    with store.session() as session:
        rows = session.exec(select(InteractionRow).order_by(InteractionRow.id)).all()
    assert (first, again, other) == (True, False, True)
    assert [r.key.split(":")[4] for r in rows] == ["hold", "exit"]


def test_a_claim_rolled_back_is_not_kept(store):
    try:
        with store.session() as session:
            assert claim(session, "sig:v0=1", "request", "", NOW)
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    with store.session() as session:
        assert claim(session, "sig:v0=1", "request", "", NOW)


def test_old_request_claims_are_forgotten_and_others_kept(store):
    from datetime import timedelta

    from signalflow.store.interactions import forget

    with store.session() as session:
        claim(session, "sig:old", "request", "", NOW - timedelta(minutes=11))
        claim(session, "sig:new", "request", "", NOW)
        claim(session, "decision:old", "decision", "U1", NOW - timedelta(days=30))
    with store.session() as session:
        assert forget(session, "request", NOW - timedelta(minutes=10)) == 1
    with store.session() as session:
        kept = sorted(r.key for r in session.exec(select(InteractionRow)))
    assert kept == ["decision:old", "sig:new"]
