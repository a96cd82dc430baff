"""Opt-out keywords, and the emergency follow-up to an opted-out owner going as a voice call."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from nightdesk.services import Services
from tests.twilio_api import TwilioAPI
from tickets.models import OutboundMessage
from tickets.optout import is_opted_out, keyword, set_opted_out
from tickets.outbound import queue_sms
from workers.messages import enqueue_outbound

OWNER, CLINIC = "+15555550123", "+15555550100"
NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", "stop"),
        (" stop ", "stop"),
        ("Stopall", "stop"),
        ("unsubscribe", "stop"),
        ("CANCEL", "stop"),
        ("end", "stop"),
        ("quit.", "stop"),
        ("START", "start"),
        ("unstop", "start"),
        ("help", "help"),
        ("INFO", "help"),
        ("please stop the bleeding", None),
        ("my dog won't stop vomiting", None),
        ("", None),
    ],
)
def test_keywords(body: str, kind: str | None) -> None:
    assert keyword(body) == kind


def _send(services: Services, run_worker: Callable[[], int], purpose: str) -> OutboundMessage:
    with services.session() as s:
        set_opted_out(s, OWNER, CLINIC, active=True, now=NOW)
        mid = queue_sms(
            s,
            key=f"k-{purpose}",
            clinic_id="maple-street",
            to=OWNER,
            from_=CLINIC,
            body="Riverside Animal Emergency Center, 1200 River Road, Springfield, "
            "+15555550199 https://maps.google.com/?q=1200",
            purpose=purpose,
        )
        s.commit()
    enqueue_outbound(services.queue, mid)
    run_worker()
    with services.session() as s:
        msg = s.get(OutboundMessage, mid)
        assert msg is not None
        return msg


def test_er_details_to_an_opted_out_owner_become_a_call(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    msg = _send(services, run_worker, "er_details")
    assert msg.status == "sent" and msg.kind == "call"
    assert twilio_api.messages() == []
    (call,) = twilio_api.calls()
    assert call["To"] == OWNER and call["From"] == CLINIC
    said = [el.text or "" for el in ET.fromstring(call["Twiml"]).iter("Say")]
    assert any("Riverside Animal Emergency Center" in s for s in said)
    assert not any("http" in s for s in said)


def test_other_messages_to_an_opted_out_owner_are_blocked(
    services: Services, twilio_api: TwilioAPI, run_worker: Callable[[], int]
) -> None:
    msg = _send(services, run_worker, "callback_promise")
    assert msg.status == "blocked"
    assert twilio_api.messages() == [] and twilio_api.calls() == []


def test_start_resumes(services: Services) -> None:
    with services.session() as s:
        set_opted_out(s, OWNER, CLINIC, active=True, now=NOW)
        s.commit()
        assert is_opted_out(s, OWNER, CLINIC)
        assert not is_opted_out(s, OWNER, "+15555550999")
        set_opted_out(s, OWNER, CLINIC, active=False, now=NOW)
        s.commit()
        assert not is_opted_out(s, OWNER, CLINIC)
