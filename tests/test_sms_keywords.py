"""STOP / START / HELP over the real webhook, and what an opted-out owner's text becomes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from nightdesk.services import Services
from tests.sms_helpers import CLINIC, ER_NAME, OWNER, Phone
from tests.twilio_api import TwilioAPI
from tickets.models import OptOut, Ticket
from tickets.optout import is_opted_out

NIGHT = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)


@pytest.fixture
def phone(app: Flask, signed_post: Callable[..., Any]) -> Phone:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return Phone(signed_post)


def opted_out(services: Services) -> bool:
    with services.session() as s:
        return is_opted_out(s, OWNER, CLINIC)


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT"])
def test_stop_words_opt_out_without_a_reply(phone: Phone, services: Services, word: str) -> None:
    assert phone.text(word) == []
    assert opted_out(services)


def test_stop_then_a_text_is_a_ticket_without_reply(
    phone: Phone, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    assert phone.text("STOP") == []
    assert phone.text("my dog has been itchy for a week, can someone call me") == []
    run_worker()
    with services.session() as s:
        (ticket,) = s.scalars(select(Ticket)).all()
        assert any("itchy" in t["text"] for t in ticket.transcript)
    assert twilio_api.messages() == []


def test_opted_out_emergency_gets_the_er_details_by_a_call(
    phone: Phone, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    phone.text("STOP")
    assert phone.text("my dog ate rat poison an hour ago") == []
    run_worker()
    assert twilio_api.messages() == []
    (call,) = twilio_api.calls()
    assert call["To"] == OWNER and call["From"] == CLINIC
    said = " ".join(el.text or "" for el in ET.fromstring(call["Twiml"]).iter("Say"))
    assert ER_NAME in said


def test_start_resumes_replies(phone: Phone, services: Services) -> None:
    phone.text("STOP")
    (text,) = phone.text("START")
    assert "Maple Street Veterinary Clinic" in text
    assert not opted_out(services)
    with services.session() as s:
        assert s.get(OptOut, (OWNER, CLINIC)) is not None  # kept, marked inactive
    (reply,) = phone.text("my dog has been itchy for a week")
    assert reply


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_names_the_clinic_and_its_phone(phone: Phone, services: Services, word: str) -> None:
    (text,) = phone.text(word)
    assert "Maple Street Veterinary Clinic" in text and "(555) 555-0100" in text
    assert "STOP" in text
    assert not opted_out(services)
