"""Repeat callers: contacts about the same pet join one open ticket at the highest disposition."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from nightdesk.services import Services
from tests.test_dashboard_fixtures import NOW, make_user
from tickets import lifecycle
from tickets.filing import file_contact
from tickets.models import Contact, Ticket
from tickets.queue import Filters, queue_page


def _file(
    services: Services,
    key: str,
    disposition: str,
    pet: str,
    at_min: int,
    caller: str = "+15555550123",
    channel: str = "voice",
) -> int:
    verdict: dict[str, Any] = {
        "disposition": disposition,
        "species": "dog",
        "patient": {"name": pet},
        "red_flags": [],
        "symptoms": [],
    }
    with services.session() as s:
        t = file_contact(
            s,
            source_key=key,
            clinic_id="maple-street",
            channel=channel,
            caller=caller,
            callback_number=caller,
            verdict=verdict,
            transcript=[{"role": "caller", "text": f"{pet} {disposition}"}],
            ended_reason="completed",
            now=NOW + timedelta(minutes=at_min),
            policy=services.policies.default,
        )
        s.commit()
        return t.id


def test_same_pet_joins_one_ticket_at_the_highest_disposition(services: Services) -> None:
    first = _file(services, "call:CA1", "routine", "Biscuit", 0)
    again = _file(services, "sms:thread-1", "emergency", "Biscuit", 20, channel="sms")
    later = _file(services, "call:CA2", "urgent", "Biscuit", 40)
    other_pet = _file(services, "call:CA3", "routine", "Mochi", 50)
    assert first == again == later and other_pet != first
    with services.session() as s:
        t = s.get(Ticket, first)
        assert t is not None and t.disposition == "emergency" and t.disposition_rank == 2
        keys = s.scalars(select(Contact.source_key).where(Contact.ticket_id == first)).all()
        assert sorted(keys) == ["call:CA1", "call:CA2", "sms:thread-1"]
        assert [e.kind for e in lifecycle.events(s, first)] == ["filed", "merged", "merged"]
        page = queue_page(s, Filters(), allowed_clinics=None, now=NOW)
        assert [x.id for x in page.tickets] == [first, other_pet]  # one queue item per pet


def test_a_resolved_ticket_is_not_reused(services: Services) -> None:
    first = _file(services, "call:CA1", "urgent", "Biscuit", 0)
    with services.session() as s:
        casey = make_user(s)
        lifecycle.claim(s, first, casey, NOW)
        lifecycle.resolve(s, first, casey, NOW, "advice_given", policy=None)
        s.commit()
    assert _file(services, "call:CA2", "urgent", "Biscuit", 30) != first


def test_a_claimed_ticket_still_collects_the_repeat_call(services: Services) -> None:
    first = _file(services, "call:CA1", "routine", "Biscuit", 0)
    with services.session() as s:
        lifecycle.claim(s, first, make_user(s), NOW)
        s.commit()
    assert _file(services, "call:CA2", "urgent", "Biscuit", 5) == first
    with services.session() as s:
        t = s.get(Ticket, first)
        assert t is not None and t.status == "claimed" and t.disposition == "urgent"
