"""The SMS line end to end: the real app, embedded Redis, a real RQ worker, SQL, the nlp engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from ivr.flow_model import ConversationStore
from ivr.sms_segments import segments
from nightdesk.services import Services
from tests.conftest import tickets
from tests.sms_helpers import ER_ADDRESS, ER_NAME, ER_PHONE, OWNER, Phone
from tests.twilio_api import TwilioAPI
from tickets.models import Contact, OutboundMessage

# Saturday 21 Nov 2026, 23:30 in Chicago: the clinic is closed until Monday.
NIGHT = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)


@pytest.fixture
def clock(app: Flask) -> list[datetime]:
    now = [NIGHT]
    app.config["NIGHTDESK_CLOCK"] = lambda: now[0]
    return now


@pytest.fixture
def phone(signed_post: Callable[..., Any], clock: list[datetime]) -> Phone:
    return Phone(signed_post)


def owner_texts(twilio_api: TwilioAPI) -> list[str]:
    return [m["Body"] for m in twilio_api.messages() if m["To"] == OWNER]


def assert_er_reply(reply: list[str]) -> str:
    (text,) = reply
    assert ER_NAME in text and ER_ADDRESS in text and ER_PHONE in text
    assert "https://" in text  # a maps link
    assert segments(text) <= 2, text
    return text


def test_emergency_in_the_first_text(
    phone: Phone, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    reply = phone.text("My dog was just hit by a car and he is bleeding a lot")
    assert_er_reply(reply)
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.disposition == "emergency" and ticket.channel == "sms"
    assert "trauma" in ticket.red_flags or "bleeding" in ticket.red_flags
    assert ticket.caller == OWNER
    assert "hit by a car" in ticket.transcript[0]["text"]
    # the reply carried the ER details: the job sends no second copy
    assert owner_texts(twilio_api) == []
    with services.session() as s:
        er = s.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "er_details"))
        assert er is not None and er.status == "sent" and ER_NAME in er.body


def test_toxin_reply_has_the_poison_control_line(phone: Phone) -> None:
    text = assert_er_reply(phone.text("my dog ate a whole bar of dark chocolate an hour ago"))
    assert "Poison" in text and "(888) 426-4435" in text


def test_emergency_in_the_third_text(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    first = phone.text("my cat is not eating much today")
    second = phone.text("she is a cat called Luna, it started yesterday morning")
    for reply in (first, second):
        (text,) = reply
        assert ER_NAME not in text and text.endswith("?"), text
    assert_er_reply(phone.text("now she is straining to pee and nothing comes out"))
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.disposition == "emergency"
    said = [t["text"] for t in ticket.transcript if t["role"] == "caller"]
    assert len(said) == 3 and "Luna" in said[1]


def test_routine_thread_becomes_one_ticket_with_the_callback_time(
    phone: Phone, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    answers = iter(
        [
            "It's my dog Max, a labrador",
            "no",
            "no",
            "no, nothing like that",
            "no",
            "no",
            "about three days ago, and yes he's eating normally",
        ]
    )
    reply = phone.text("My dog has been scratching his ears a lot")
    for _ in range(10):
        (text,) = reply
        assert ER_NAME not in text or "call you back" in text
        if "call you back" in text:
            break
        reply = phone.text(next(answers))
    else:
        pytest.fail("the questions never ended")
    assert "Monday" in text and segments(text) <= 2, text  # closed until Monday
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.disposition in ("routine", "urgent") and ticket.channel == "sms"
    with services.session() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 1
    # A text after the closing joins the same contact and ticket.
    (more,) = phone.text("also he shakes his head a lot")
    assert more
    run_worker()
    (again,) = tickets(services)
    assert again.id == ticket.id
    assert "shakes his head" in again.transcript[-1]["text"] or any(
        "shakes his head" in t["text"] for t in again.transcript
    )


def test_duplicate_message_sid_is_one_reply_one_ticket(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    form = phone.form("My dog was hit by a car and can't stand up")
    first = phone.post("/sms", form)
    second = phone.post("/sms", form)
    assert first.data == second.data  # Twilio's retry gets the same answer, not a second one
    run_worker()
    assert len(tickets(services)) == 1
    conv = ConversationStore(services.redis, 3600).load("sms", form["MessageSid"])
    assert conv is not None
    assert sum(1 for t in conv.turns if t["role"] == "caller") == 1


def test_long_message_is_stored_whole(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    filler = "He has been a bit itchy on and off, mostly in the evenings after walks. "
    body = "My dog Rex has itchy skin. " + filler * (5000 // len(filler) + 1)
    assert len(body) > 5000
    (text,) = phone.text(body)
    assert text and segments(text) <= 2
    for _ in range(12):  # finish the thread so it is filed now
        (text,) = phone.text("no")
        if "call you back" in text:
            break
    run_worker()
    (ticket,) = tickets(services)
    assert any(t["text"] == " ".join(body.split()) for t in ticket.transcript)


def test_emoji_and_other_unicode(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    body = "Mi perrita 🐶 Lola está vomitando 😢 — ¿qué hago? \x00\x07"
    (text,) = phone.text(body)
    assert text
    conv = ConversationStore(services.redis, 3600).load("sms", phone.sent[0])
    assert conv is not None
    clean = "Mi perrita 🐶 Lola está vomitando 😢 — ¿qué hago?"  # control characters dropped
    assert conv.turns[0]["text"] == clean
    for _ in range(12):
        (text,) = phone.text("no 👍")
        if "call you back" in text:
            break
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.transcript[0]["text"] == clean


def test_unsigned_request_is_refused_and_nothing_stored(
    client: Any, phone: Phone, services: Services
) -> None:
    form = phone.form("My dog was hit by a car")
    assert client.post("/sms", data=form).status_code == 403
    bad = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert client.post("/sms", data=form, headers=bad).status_code == 403
    assert services.redis.keys("nd:*") == []
    assert services.queue.count == 0
    assert tickets(services) == []


def test_unknown_clinic_number_gets_a_clear_reply(
    signed_post: Callable[..., Any],
    services: Services,
    clock: list[datetime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    (text,) = Phone(signed_post, to="+15555550999").text("hello?")
    assert "not set up" in text
    assert "no clinic's number" in caplog.text and "+15555550999" not in caplog.text
    assert services.queue.count == 0


def test_an_internal_error_still_answers_and_saves(
    app: Flask, phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    calls = []

    def flaky_clock() -> datetime:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("clock broke")
        return NIGHT

    app.config["NIGHTDESK_CLOCK"] = flaky_clock
    (text,) = phone.text("my rabbit has not eaten since this morning")
    assert ER_NAME in text  # nothing analysed yet: the safe answer is the ER's details
    run_worker()
    (ticket,) = tickets(services)
    assert "rabbit" in ticket.transcript[0]["text"]


def test_a_new_thread_after_the_quiet_window(
    phone: Phone, clock: list[datetime], services: Services, run_worker: Callable[[], int]
) -> None:
    phone.text("My dog was hit by a car")
    clock[0] = NIGHT + timedelta(hours=5)
    phone.text("My other dog Bella was also hit by a car")
    run_worker()
    with services.session() as s:
        keys = sorted(s.scalars(select(Contact.source_key)))
    assert keys == sorted(f"sms:{sid}" for sid in phone.sent)


def test_an_owner_who_stops_answering_is_filed_later(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    (question,) = phone.text("my dog has a small lump on his back")
    assert question.endswith("?")
    run_worker()
    assert tickets(services) == []  # still being asked: not filed yet …
    scheduled = services.queue.scheduled_job_registry.get_job_ids()
    assert any("file_ticket" in jid and "idle" in jid for jid in scheduled)  # … but it will be


def test_a_red_flag_after_the_closing_still_gets_the_er_reply(
    phone: Phone, services: Services, run_worker: Callable[[], int]
) -> None:
    (text,) = phone.text("Can I book a vaccine appointment for my dog Max next week?")
    for answer in ["no", "no", "no", "no", "no", "no"]:
        if "call you back" in text:
            break
        (text,) = phone.text(answer)
    assert "call you back" in text
    assert_er_reply(phone.text("now Max is having a seizure"))
    run_worker()
    (ticket,) = tickets(services)
    assert ticket.disposition == "emergency"
