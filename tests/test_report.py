"""The night report's figures equal counts made directly from the rows (SQLite and PostgreSQL).

A night of contacts is filed, paged, acknowledged, escalated, texted, called back and resolved
through the real domain functions; the test then counts the tickets, contacts, pages, outbox
rows and events itself, in Python, and compares every figure and every ticket list.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_user
from tickets import lifecycle, paging
from tickets.filing import file_contact
from tickets.models import Contact, OutboundMessage, Page, Ticket, TicketEvent
from tickets.nights import last_night, night
from tickets.outbound import queue_sms
from tickets.report import build, csv_text, figures, ticket_ids

NIGHT = date(2026, 11, 23)  # Monday: Maple Street closes 18:00, opens Tuesday 08:00 (Chicago)
CALLERS = [f"+1555555{2000 + i:04d}" for i in range(12)]
PETS = ["Biscuit", "Luna", "Milo"]
KINDS: dict[str, list[tuple[list[str], list[str]]]] = {
    "emergency": [
        (["toxin"], ["emergency: 'ate chocolate' is toxin exposure [toxin.exposure]"]),
        (["trauma"], ["emergency: 'hit by a car' is trauma [trauma.injury]"]),
        (
            ["breathing", "toxin"],
            [
                "emergency: 'gasping' is trouble breathing [breathing.distress]",
                "emergency: 'ate grapes' is toxin exposure [toxin.exposure]",
                "emergency: 'raisins too' is toxin exposure [toxin.exposure]",
            ],
        ),
    ],
    "urgent": [
        ([], ["urgent: 'vomiting' is repeated or ongoing vomiting [urgent.vomiting]"]),
        (["bloat"], ["urgent: 'belly looks big' is possible bloat [urgent.bloat_doubtful]"]),
    ],
    "routine": [([], ["routine: 'itchy' is skin [routine.skin]"]), ([], [])],
}


def _verdict(rng: random.Random, disposition: str) -> dict[str, Any]:
    flags, reasons = rng.choice(KINDS[disposition])
    pet = rng.choice(PETS)
    return {
        "disposition": disposition,
        "red_flags": flags,
        "reasons": reasons,
        "species": "dog",
        "patient": {"name": pet},
        "symptoms": [],
        "intent": "sick_pet",
        # post-op urgent cases are always paged (the example policy), so pages abound
        "flags": ["post_op"] if disposition != "routine" and rng.random() < 0.6 else [],
    }


def _seed(services: Services, policy: Policy, other: Policy, start: datetime) -> None:
    """About sixty contacts from 6 h before the night to 18 h after it began, two clinics."""
    rng = random.Random(13)
    with services.session() as s:
        casey = make_user(s, "casey", "csr")
        s.commit()
        times = sorted(start + timedelta(minutes=rng.randint(-360, 1080)) for _ in range(60))
        for i, at in enumerate(times):
            clinic = other if rng.random() < 0.15 else policy
            disposition = rng.choice(["emergency", "emergency", "urgent", "routine"])
            channel = rng.choice(["voice", "voice", "sms"])
            ended = (
                rng.choice(["completed", "hangup", "transfer"])
                if channel == "voice"
                else "completed"
            )
            key = f"{'call' if channel == 'voice' else 'sms'}:T{i:04d}"
            caller = rng.choice(CALLERS)
            ticket = file_contact(
                s, source_key=key, clinic_id=clinic.clinic_id, channel=channel, caller=caller,
                callback_number=caller, verdict=_verdict(rng, disposition),
                transcript=[{"role": "caller", "text": "..."}], ended_reason=ended, now=at,
                policy=clinic,
            )  # fmt: skip
            if disposition != "routine":
                _page(s, services, clinic, ticket, at, rng)
            if disposition == "emergency":
                queue_sms(
                    s, key=f"{key}:er_details", clinic_id=clinic.clinic_id, ticket_id=ticket.id,
                    to=caller, from_=clinic.phone, body="ER details", purpose="er_details",
                )  # fmt: skip
            s.commit()
            _callback(s, ticket.id, casey, at, clinic, rng)
            s.commit()
        # a routine question at 21:00 that nobody has called back yet (due by 12:00)
        file_contact(
            s, source_key="sms:T9999", clinic_id=policy.clinic_id, channel="sms",
            caller="+15555552999", callback_number="+15555552999",
            verdict=_verdict(rng, "routine"), transcript=[], ended_reason="completed",
            now=start + timedelta(hours=3), policy=policy,
        )  # fmt: skip
        s.commit()


def _page(
    s: Session, services: Services, policy: Policy, ticket: Ticket, at: datetime, rng: random.Random
) -> None:
    """Pages 1 and 2 of a night are acknowledged, from page 3 on they go to
    the backup (a vet's "1" acknowledges all that vet's open pages, escalated ones too)."""
    result = paging.page_for_ticket(s, policy, ticket, at)
    if result is None or result.message_id is None:
        return
    page = s.get(Page, result.page_id)
    assert page is not None
    what = "escalate" if paging.pages_tonight(s, policy, at) >= 3 else "ack"
    if what == "ack":
        paging.acknowledge(s, page.phone, "1", at + timedelta(minutes=rng.randint(1, 40)))
    elif what == "escalate":
        paging.escalate(s, services.policies, result.page_id, at + timedelta(minutes=16))


def _callback(
    s: Session, ticket_id: int, user: Any, at: datetime, policy: Policy, rng: random.Random
) -> None:
    ticket = s.get(Ticket, ticket_id)
    assert ticket is not None
    if ticket.status != "open":
        return  # merged into a ticket already being worked
    if rng.random() < 0.2:  # nobody at the desk has called yet; the paged vet may have
        if ticket.disposition == "emergency" and rng.random() < 0.5:
            lifecycle.record(s, ticket_id, "vet:…0142", "vet_callback", at + timedelta(minutes=25))
        return
    when = ticket.due_at + timedelta(minutes=rng.choice([-90, -10, 5, 120]))
    when = max(when, at + timedelta(minutes=1))
    lifecycle.claim(s, ticket_id, user, when)
    if rng.random() < 0.5:
        lifecycle.log_attempt(s, ticket_id, user, when, rng.choice(lifecycle.ATTEMPT_RESULTS))
    if rng.random() < 0.85:
        outcome = rng.choice(lifecycle.ACCEPTED_OUTCOMES)
        note = "rehomed" if outcome == "other" else ""
        lifecycle.resolve(s, ticket_id, user, when, outcome, policy=policy, note=note)


# The same figures, counted from the rows in Python ----------------------------------------------


def _rule(reason: str) -> str | None:
    m = re.search(r"\[([^\[\]]+)\]$", reason)
    return m.group(1) if m else None


def _escalated(pages: list[Page]) -> list[Page]:
    return [p for p in pages if p.level == "primary" and p.status == "escalated"]


def _expected(s: Session, clinic: str, start: datetime, end: datetime, now: datetime) -> Any:
    def inside(at: datetime) -> bool:
        return start <= at < end

    tickets = [
        t for t in s.scalars(select(Ticket)) if t.clinic_id == clinic and inside(t.created_at)
    ]
    by_id = {t.id: t for t in s.scalars(select(Ticket))}
    contacts = [
        c
        for c in s.scalars(select(Contact))
        if c.ticket_id and by_id[c.ticket_id].clinic_id == clinic and inside(c.created_at)
    ]
    pages = [p for p in s.scalars(select(Page)) if p.clinic_id == clinic and inside(p.sent_at)]
    keys = {f"{c.source_key}:er_details": c.ticket_id for c in contacts}
    texts = [
        m for m in s.scalars(select(OutboundMessage)) if m.purpose == "er_details" and m.key in keys
    ]
    done: dict[int, datetime] = {}
    for e in s.scalars(select(TicketEvent)):
        if e.kind in ("attempt", "vet_callback", "resolved"):
            done[e.ticket_id] = min(done.get(e.ticket_id, e.at), e.at)
    on_time = {t.id for t in tickets if t.id in done and done[t.id] <= t.due_at}
    late = {
        t.id
        for t in tickets
        if (t.id in done and done[t.id] > t.due_at) or (t.id not in done and t.due_at < now)
    }
    pending = {t.id for t in tickets if t.id not in done and t.due_at >= now}
    resolved = [t for t in tickets if t.status == "resolved" and t.outcome]
    advice, er = ("advice_given", "no_action_needed"), ("er_that_night", "sent_to_er")
    over = {t.id for t in resolved if t.disposition == "emergency" and t.outcome in advice}
    under = {t.id for t in resolved if t.disposition != "emergency" and t.outcome in er}
    repeat = {c for c, n in Counter(c.caller for c in contacts).items() if n > 1}
    waits = [(p.acked_at - p.sent_at).total_seconds() for p in pages if p.acked_at]
    calls = [c for c in contacts if c.channel == "voice"]
    sets = {
        "tickets": {t.id for t in tickets},
        "calls": {c.ticket_id for c in calls},
        "texts": {c.ticket_id for c in contacts if c.channel == "sms"},
        "hangups": {c.ticket_id for c in calls if c.ended_reason == "hangup"},
        "transfers": {c.ticket_id for c in contacts if c.ended_reason == "transfer"},
        "repeat": {c.ticket_id for c in contacts if c.caller in repeat},
        "er_texts": {keys[m.key] for m in texts},
        "pages_sent": {p.ticket_id for p in pages if p.level == "primary"},
        "pages_acked": {p.ticket_id for p in pages if p.acked_at},
        "pages_escalated": {p.ticket_id for p in _escalated(pages)},
        "on_time": on_time,
        "late": late,
        "pending": pending,
        "over": over,
        "under": under,
        "with_outcome": {t.id for t in resolved},
    }
    counts = {
        "calls": len(calls),
        "texts": sum(c.channel == "sms" for c in contacts),
        "hangups": sum(c.ended_reason == "hangup" for c in calls),
        "transfers": sum(c.ended_reason == "transfer" for c in contacts),
        "repeat_callers": len(repeat),
        "er_texts": len(texts),
        "pages_sent": sum(p.level == "primary" for p in pages),
        "pages_acked": sum(p.acked_at is not None for p in pages),
        "pages_escalated": len(_escalated(pages)),
        "backup_pages": sum(p.level == "backup" for p in pages),
        "ack_median_s": statistics.median(waits) if waits else None,
        "ack_max_s": max(waits) if waits else None,
        "on_time": len(on_time),
        "late_count": len(late),
        "pending": len(pending),
        "tickets": len(tickets),
        "over": len(over),
        "under": len(under),
    }  # fmt: skip
    keyed: dict[str, dict[str, list[int]]] = {"flag": {}, "rule": {}}
    for t in tickets:
        for flag in set(t.red_flags):
            keyed["flag"].setdefault(flag, []).append(t.id)
        for rule in {r for r in map(_rule, t.reasons) if r}:
            keyed["rule"].setdefault(rule, []).append(t.id)
    outcomes = Counter((t.disposition, t.outcome) for t in resolved)
    return counts, sets, keyed, Counter(t.disposition for t in tickets), outcomes, late, over, under


@pytest.fixture
def policy(services: Services) -> Policy:
    found = services.policies.by_id("maple-street")
    assert found is not None
    return found


def test_every_figure_equals_the_rows(services: Services, policy: Policy, harbor: Policy) -> None:
    start, end = night(policy, NIGHT)
    assert (policy.local(start).hour, policy.local(end).hour) == (18, 8)
    _seed(services, policy, harbor, start)
    now = policy.local(end) + timedelta(hours=3)  # Tuesday 11:00: routine callbacks not yet due
    with services.session() as s:
        # the seed has a vet's call-back through the line as a ticket's only callback
        assert s.scalar(select(TicketEvent.id).where(TicketEvent.kind == "vet_callback"))
        report = build(s, policy.clinic_id, start, end, now)
        counts, sets, keyed, dispositions, outcomes, late, over, under = _expected(
            s, policy.clinic_id, start, end, now
        )
        for name, value in counts.items():
            assert getattr(report, name) == value, name
        assert report.dispositions == {d: dispositions[d] for d in report.dispositions}
        assert report.outcomes == dict(outcomes)
        assert report.er_referrals == dispositions["emergency"]
        assert [x.ticket_id for x in report.late] == sorted(
            late,
            key=lambda i: (s.get(Ticket, i).due_at, i),  # type: ignore[union-attr]
        )
        # the night is busy enough that every kind of figure is exercised
        for name, value in counts.items():
            assert value, name

        def ids(figure: str, key: str = "") -> set[int]:
            return set(ticket_ids(s, policy.clinic_id, start, end, now, figure, key))

        for figure, expected in sets.items():
            assert ids(figure) == expected, figure
        for disposition in report.dispositions:
            tickets = {i for i in sets["tickets"] if s.get(Ticket, i).disposition == disposition}  # type: ignore[union-attr]
            assert ids("disposition", disposition) == tickets
        for (disposition, outcome), n in outcomes.items():
            assert len(ids("outcome", f"{disposition}/{outcome}")) == n
        for kind, rows in (("flag", report.by_flag), ("rule", report.by_rule)):
            assert {b.key for b in rows} == set(keyed[kind]), kind
            for b in rows:
                behind = set(keyed[kind][b.key])
                assert b.tickets == len(behind) and ids(kind, b.key) == behind
                assert ids(kind, f"{b.key}/over") == behind & over and b.over == len(behind & over)
                assert ids(kind, f"{b.key}/under") == behind & under
                assert b.under == len(behind & under)
                with_outcome = {i for i in behind if s.get(Ticket, i).outcome}  # type: ignore[union-attr]
                assert b.with_outcome == len(with_outcome) == len(ids(kind, f"{b.key}/outcome"))
        assert {b.key for b in report.by_rule} >= {"toxin.exposure", "trauma.injury"}
    # the CSV carries every figure
    text = csv_text(report)
    assert text.count("\n") == len(figures(report)) + len(report.late) + 1
    assert f",contacts,calls,{counts['calls']}\n" in text


def test_old_outcomes_stay_readable_and_other_needs_a_note(
    services: Services, policy: Policy
) -> None:
    start, end = night(policy, NIGHT)
    at = start + timedelta(hours=2)
    with services.session() as s:
        casey = make_user(s, "casey", "csr")
        ids = []
        for i, outcome in enumerate(["sent_to_er", "no_action_needed", "other"]):
            t = file_contact(
                s, source_key=f"call:OLD{i}", clinic_id=policy.clinic_id, channel="voice",
                caller=CALLERS[i], callback_number=CALLERS[i],
                verdict={"disposition": "urgent" if i == 0 else "emergency"}, transcript=[],
                ended_reason="completed", now=at, policy=policy,
            )  # fmt: skip
            lifecycle.claim(s, t.id, casey, at)
            if outcome == "other":
                with pytest.raises(lifecycle.TransitionError, match="note"):
                    lifecycle.resolve(s, t.id, casey, at, "other", policy=policy)
            lifecycle.resolve(s, t.id, casey, at, outcome, policy=policy, note="moved away")
            ids.append(t.id)
        s.commit()
        report = build(s, policy.clinic_id, start, end, at)
    assert lifecycle.LABELS["sent_to_er"] and "sent_to_er" not in lifecycle.OUTCOMES
    # a legacy "sent to the ER" after an urgent line is under-triage; "no action" after an
    # emergency is over-triage; "other" is neither
    assert (report.under, report.over, report.with_outcome) == (1, 1, 3)


def test_nights_follow_the_clinics_hours(example: Policy, harbor: Policy) -> None:
    policy = example
    chi = policy.tz
    saturday = night(policy, date(2026, 12, 5))
    sunday = night(policy, date(2026, 12, 6))
    assert (
        saturday[1] == sunday[0]
    )  # closed Sunday: its night starts at 08:00, where Saturday's ends
    assert sunday[1] == datetime(2026, 12, 7, 8, tzinfo=chi)
    monday_morning = datetime(2026, 11, 24, 7, 0, tzinfo=chi).astimezone(UTC)
    assert last_night(policy, monday_morning) == date(2026, 11, 23)
    assert last_night(policy, monday_morning + timedelta(hours=12)) == date(2026, 11, 24)
    start, end = night(harbor, date(2026, 11, 23))
    assert start < end and harbor.local(start).tzinfo == harbor.tz
