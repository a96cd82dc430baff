"""The ticket lifecycle: every transition, illegal ones refused, concurrent claims, audit trail."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from nightdesk.services import Services
from tests.test_dashboard_fixtures import NOW, make_ticket, make_user
from tickets import lifecycle as lc
from tickets.models import OutboundMessage, StaffUser, Ticket


def _setup(services: Services) -> tuple[int, StaffUser, StaffUser]:
    with services.session() as s:
        t = make_ticket(s)
        a, b = make_user(s, "casey"), make_user(s, "drew")
        s.commit()
        return t.id, a, b


def test_claim_attempt_resolve_reopen_with_audit_trail(services: Services) -> None:
    tid, casey, _ = _setup(services)
    with services.session() as s:
        lc.claim(s, tid, casey, NOW)
        lc.log_attempt(s, tid, casey, NOW + timedelta(minutes=1), "no_answer")
        lc.log_attempt(s, tid, casey, NOW + timedelta(minutes=5), "left_voicemail", note="cell")
        lc.log_attempt(s, tid, casey, NOW + timedelta(minutes=9), "reached")
        lc.add_note(s, tid, casey, NOW + timedelta(minutes=10), "owner will come in at 9")
        res = lc.resolve(
            s,
            tid,
            casey,
            NOW + timedelta(minutes=11),
            "appointment_booked",
            policy=services.policies.default,
        )
        assert res.message_id is None
        s.commit()
    with services.session() as s:
        t = s.get(Ticket, tid)
        assert t is not None and t.status == "resolved" and t.outcome == "appointment_booked"
        kinds = [(e.kind, e.actor, e.detail.get("result")) for e in lc.events(s, tid)]
        assert kinds == [
            ("claimed", f"user:{casey.id}:casey", None),
            ("attempt", f"user:{casey.id}:casey", "no_answer"),
            ("attempt", f"user:{casey.id}:casey", "left_voicemail"),
            ("attempt", f"user:{casey.id}:casey", "reached"),
            ("note", f"user:{casey.id}:casey", None),
            ("resolved", f"user:{casey.id}:casey", None),
        ]
        assert lc.events(s, tid)[-1].at == NOW + timedelta(minutes=11)
        lc.reopen(s, tid, casey, NOW + timedelta(hours=1), note="owner called again")
        s.commit()
        t = s.get(Ticket, tid)
        assert t is not None and (t.status, t.outcome) == ("open", None)
        assert lc.events(s, tid)[-1].detail["previous"] == "appointment_booked"


def test_release_returns_the_ticket_to_the_queue(services: Services) -> None:
    tid, casey, drew = _setup(services)
    with services.session() as s:
        lc.claim(s, tid, casey, NOW)
        with pytest.raises(lc.ClaimConflict, match="claimed by casey"):
            lc.release(s, tid, drew, NOW)
        lc.release(s, tid, casey, NOW)
        assert lc.claim(s, tid, drew, NOW).claimed_by == drew.id
        s.commit()


@pytest.mark.parametrize(
    "action",
    [
        lambda s, tid, u: lc.log_attempt(s, tid, u, NOW, "reached"),
        lambda s, tid, u: lc.resolve(s, tid, u, NOW, "advice_given", policy=None),
        lambda s, tid, u: lc.release(s, tid, u, NOW),
        lambda s, tid, u: lc.reopen(s, tid, u, NOW),
    ],
    ids=["attempt", "resolve", "release", "reopen"],
)
def test_illegal_transitions_on_an_open_ticket_raise(services: Services, action) -> None:  # type: ignore[no-untyped-def]
    tid, casey, _ = _setup(services)
    with services.session() as s, pytest.raises(lc.TransitionError):
        action(s, tid, casey)


def test_others_cannot_work_a_claimed_ticket_and_resolved_cannot_be_claimed(
    services: Services,
) -> None:
    tid, casey, drew = _setup(services)
    with services.session() as s:
        lc.claim(s, tid, casey, NOW)
        with pytest.raises(lc.ClaimConflict, match="casey"):
            lc.claim(s, tid, drew, NOW + timedelta(minutes=1))
        with pytest.raises(lc.ClaimConflict):
            lc.log_attempt(s, tid, drew, NOW, "reached")
        with pytest.raises(lc.TransitionError, match="unknown outcome"):
            lc.resolve(s, tid, casey, NOW, "shrugged", policy=None)
        with pytest.raises(lc.TransitionError, match="unknown attempt"):
            lc.log_attempt(s, tid, casey, NOW, "busy_signal")
        lc.resolve(s, tid, casey, NOW, "no_action_needed", policy=None)
        with pytest.raises(lc.TransitionError, match="resolved"):
            lc.claim(s, tid, drew, NOW)
        with pytest.raises(lc.TicketNotFound):
            lc.claim(s, tid + 999, drew, NOW)


def test_an_expired_claim_counts_as_open(services: Services) -> None:
    tid, casey, drew = _setup(services)
    with services.session() as s:
        t = lc.claim(s, tid, casey, NOW, ttl=timedelta(minutes=15))
        assert lc.effective_status(t, NOW + timedelta(minutes=14)) == "claimed"
        assert lc.effective_status(t, NOW + timedelta(minutes=15)) == "open"
        with pytest.raises(lc.TransitionError, match="claim ticket"):
            lc.log_attempt(s, tid, casey, NOW + timedelta(minutes=16), "reached")
        assert lc.claim(s, tid, drew, NOW + timedelta(minutes=16)).claimed_by == drew.id
        s.commit()


def test_could_not_reach_queues_one_polite_sms(services: Services) -> None:
    tid, casey, _ = _setup(services)
    policy = services.policies.default
    with services.session() as s:
        lc.claim(s, tid, casey, NOW)
        res = lc.resolve(s, tid, casey, NOW, "could_not_reach", policy=policy)
        s.commit()
    with services.session() as s:
        msgs = s.scalars(select(OutboundMessage)).all()
        assert [m.id for m in msgs] == [res.message_id]
        m = msgs[0]
        assert (m.to, m.from_, m.purpose, m.status) == (
            "+15555550123",
            "+15555550100",
            "call_in",
            "pending",
        )
        assert "Biscuit" in m.body and "+15555550101" in m.body
        assert m.body.startswith("Maple Street Veterinary Clinic")


def test_two_concurrent_claims_exactly_one_wins(services: Services) -> None:
    with services.session() as s:
        casey, drew = make_user(s, "casey"), make_user(s, "drew")
        tids = [make_ticket(s, pet=f"Pet{i}").id for i in range(5)]
        s.commit()
    for tid in tids:
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def attempt(
            user: StaffUser,
            tid: int = tid,
            outcomes: dict[str, str] = outcomes,
            barrier: threading.Barrier = barrier,
        ) -> None:
            with services.session() as s:
                barrier.wait()
                try:
                    lc.claim(s, tid, user, NOW)
                    s.commit()
                    outcomes[user.username] = "won"
                except lc.ClaimConflict:
                    s.rollback()
                    outcomes[user.username] = "lost"

        threads = [threading.Thread(target=attempt, args=(u,)) for u in (casey, drew)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        assert sorted(outcomes.values()) == ["lost", "won"]
        winner = casey if outcomes["casey"] == "won" else drew
        with services.session() as s:
            t = s.get(Ticket, tid)
            assert t is not None and t.claimed_by == winner.id
            assert [e.kind for e in lc.events(s, tid)] == ["claimed"]


def test_apply_runs_named_actions_with_their_fields(services: Services) -> None:
    tid, casey, _ = _setup(services)
    policy_of = services.policies.by_id
    with services.session() as s:
        for action, fields in [
            ("claim", {}),
            ("attempt", {"result": "no_answer", "note": "rang out"}),
            ("note", {"text": "try the work number"}),
        ]:
            assert lc.apply(s, tid, casey, NOW, action, fields, policy_of=policy_of) is None
        message_id = lc.apply(
            s, tid, casey, NOW, "resolve", {"outcome": "could_not_reach"}, policy_of=policy_of
        )
        assert message_id is not None  # the call-in SMS, to send after commit
        with pytest.raises(LookupError):
            lc.apply(s, tid, casey, NOW, "delete", {}, policy_of=policy_of)
        with pytest.raises(lc.TransitionError):
            lc.apply(s, tid, casey, NOW, "attempt", {"result": "??"}, policy_of=policy_of)
        s.commit()
        kinds = [e.kind for e in lc.events(s, tid)]
        assert kinds == ["claimed", "attempt", "note", "resolved"]
