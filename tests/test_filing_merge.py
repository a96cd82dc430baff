"""Filing contacts as tickets: once per source_key, merged per pet, disposition never lowered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from nightdesk.services import Services
from tickets.filing import file_contact, same_pet
from tickets.models import Contact, Ticket, TicketEvent

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago
CALLER = "+15555550123"


def verdict(
    disposition: str = "routine",
    species: str | None = "dog",
    name: str | None = "Rex",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "disposition": disposition,
        "red_flags": extra.pop("red_flags", []),
        "symptoms": [],
        "species": species,
        "patient": {"name": name},
        "reasons": [],
        "flags": [],
        "exposures": [],
        "onset": None,
        "intent": "sick_pet",
        **extra,
    }


def turns(*texts: str) -> list[dict[str, str]]:
    return [
        {"at": NIGHT.isoformat(), "role": "caller", "channel": "voice", "text": t} for t in texts
    ]


def file(
    services: Services,
    key: str,
    v: dict[str, Any],
    transcript: list[Any],
    at: datetime = NIGHT,
    caller: str = CALLER,
) -> int:
    policy = services.policies.default
    with services.session() as s:
        ticket = file_contact(
            s,
            source_key=key,
            clinic_id=policy.clinic_id,
            channel="voice",
            caller=caller,
            callback_number=caller,
            verdict=v,
            transcript=transcript,
            ended_reason="completed",
            now=at,
            policy=policy,
        )
        s.commit()
        return ticket.id


def count(services: Services, model: type) -> int:
    with services.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_same_contact_filed_twice_is_one_ticket_and_keeps_the_longer_transcript(
    services: Services,
) -> None:
    first = file(services, "call:CA1", verdict(), turns("he is itchy"))
    again = file(services, "call:CA1", verdict(), turns("he is itchy"))
    longer = file(services, "call:CA1", verdict(), turns("he is itchy", "since Tuesday"))
    assert first == again == longer
    assert count(services, Ticket) == 1 and count(services, Contact) == 1
    with services.session() as s:
        ticket = s.get(Ticket, first)
        assert ticket is not None
        assert [t["text"] for t in ticket.transcript] == ["he is itchy", "since Tuesday"]
        assert [e.kind for e in s.scalars(select(TicketEvent))] == ["filed"]


def test_a_second_call_about_the_same_pet_joins_the_open_ticket_and_raises_it(
    services: Services,
) -> None:
    first = file(services, "call:CA1", verdict("routine"), turns("Rex is vomiting"))
    second = file(
        services,
        "call:CA2",
        verdict("emergency", red_flags=["severe_gi"]),
        turns("now there is blood"),
        at=NIGHT + timedelta(hours=2),
    )
    third = file(
        services,
        "call:CA3",
        verdict("routine", species=None, name=None),
        turns("me again"),
        at=NIGHT + timedelta(hours=3),
    )
    assert first == second == third
    with services.session() as s:
        ticket = s.get(Ticket, first)
        assert ticket is not None
        assert ticket.disposition == "emergency" and ticket.disposition_rank == 2  # not lowered
        assert ticket.red_flags == ["severe_gi"]
        assert len(ticket.transcript) == 3
        kinds = [e.kind for e in s.scalars(select(TicketEvent).order_by(TicketEvent.id))]
        assert kinds == ["filed", "merged", "merged"]


@pytest.mark.parametrize(
    ("other", "later", "caller"),
    [
        (verdict(species="cat", name="Luna"), timedelta(hours=1), CALLER),  # another pet
        (verdict(), timedelta(hours=13), CALLER),  # past the merge window
        (verdict(), timedelta(hours=1), "+15555550124"),  # another caller
    ],
)
def test_other_pets_callers_or_stale_tickets_open_a_new_ticket(
    services: Services, other: dict[str, Any], later: timedelta, caller: str
) -> None:
    first = file(services, "call:CA1", verdict(), turns("Rex is limping"))
    second = file(services, "call:CA2", other, turns("hello"), at=NIGHT + later, caller=caller)
    assert first != second


def test_a_resolved_ticket_is_not_reopened_by_merging(services: Services) -> None:
    first = file(services, "call:CA1", verdict(), turns("Rex is limping"))
    with services.session() as s:
        ticket = s.get(Ticket, first)
        assert ticket is not None
        ticket.status = "resolved"
        s.commit()
    assert (
        file(services, "call:CA2", verdict(), turns("again"), NIGHT + timedelta(hours=1)) != first
    )


def test_due_time_follows_the_policy(services: Services) -> None:
    policy = services.policies.default
    tid = file(services, "call:CA1", verdict("urgent"), turns("Rex is limping"))
    with services.session() as s:
        ticket = s.get(Ticket, tid)
        assert ticket is not None
        assert ticket.due_at == policy.callback_due("urgent", NIGHT)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("dog:rex", "dog:rex", True),
        ("dog:rex", "cat:rex", False),
        ("dog:", "dog:rex", True),
        ("", "cat:luna", True),
        (":rex", "dog:max", False),
    ],
)
def test_same_pet(a: str, b: str, same: bool) -> None:
    assert same_pet(a, b) is same
