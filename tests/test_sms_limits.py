"""Floods, outbound caps and the on-call vet's "1" over the SMS webhook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.flow_model import ConversationStore
from ivr.sms_guard import textable
from nightdesk.services import Services
from tests.sms_helpers import ER_NAME, Phone
from tickets.models import Page

NIGHT = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
VIP = "+15555550177"  # a listed client: the example policy pages for their emergencies


@pytest.fixture
def phone(app: Flask, signed_post: Callable[..., Any]) -> Phone:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return Phone(signed_post)


def test_a_flood_is_stored_not_answered_but_an_emergency_is(
    phone: Phone, services: Services
) -> None:
    limit = services.settings.sms_rate_limit
    replies = [
        phone.text(f"hello? message {i} about my dog's itchy ears") for i in range(limit + 3)
    ]
    assert all(r for r in replies[:limit])
    assert replies[limit:] == [[], [], []]
    (er,) = phone.text("my dog was hit by a car")
    assert ER_NAME in er  # a first emergency in the thread is answered past the limit
    assert phone.text("my dog was hit by a car, please help") == []  # once per thread
    conv = ConversationStore(services.redis, 3600).load("sms", phone.sent[0])
    assert conv is not None
    said = [t["text"] for t in conv.turns if t["role"] == "caller"]
    assert len(said) == limit + 5  # every text kept
    assert conv.disposition == "emergency"


def test_replies_per_owner_are_capped(app: Flask, phone: Phone, services: Services) -> None:
    services.settings = replace(services.settings, sms_replies_per_day=2, sms_rate_limit=100)
    texts = ["HELP", "my cat sneezes", "her name is Mia", "since yesterday"]
    got = [phone.text(t) for t in texts]
    assert got[0] and got[1] and got[2]  # HELP is a carrier keyword, not counted
    assert got[3] == []


def test_replies_per_clinic_are_capped_across_owners(
    app: Flask, signed_post: Callable[..., Any], services: Services
) -> None:
    """Many numbers at once (SMS pumping) spend the clinic's hourly budget, not only their own."""
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    services.settings = replace(services.settings, sms_clinic_replies_per_hour=3)
    owners = [Phone(signed_post, caller=f"+1555555{1000 + i}") for i in range(5)]
    got = [p.text("hi my cat sneezes a bit") for p in owners]
    assert [bool(g) for g in got] == [True, True, True, False, False]


@pytest.mark.parametrize(
    ("caller", "ok"),
    [
        ("+15555550123", True),
        ("+19005550123", False),  # premium rate
        ("+447700900123", False),  # another country
        ("+1555", False),
        ("12345", False),
    ],
)
def test_replies_only_to_the_clinics_country(caller: str, ok: bool) -> None:
    assert textable(caller, "+15555550100") is ok


def test_on_call_vet_replying_1_acknowledges_the_page(
    app: Flask,
    signed_post: Callable[..., Any],
    services: Services,
    run_worker: Callable[[], int],
    phone: Phone,
) -> None:
    owner = Phone(signed_post, caller=VIP)
    (er,) = owner.text("my dog was hit by a car and is bleeding a lot")
    assert ER_NAME in er
    run_worker()
    with services.session() as s:
        page = s.scalars(select(Page)).one()
    vet = Phone(signed_post, caller=page.phone)
    (ack,) = vet.text("1")
    assert "acknowledged" in ack
    with services.session() as s:
        assert s.get(Page, page.id).status == "acked"  # type: ignore[union-attr]
    # the vet's "1" is not triaged: no conversation for the vet's number
    assert ConversationStore(services.redis, 3600).load("sms", vet.sent[0]) is None
    (again,) = vet.text("1")
    assert "No open page" in again
