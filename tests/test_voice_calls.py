"""Voice line end to end: signed webhooks through the real app, real Redis, a real RQ worker."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from ivr import prompts
from ivr.flow_model import ConversationStore
from nightdesk.services import Services
from tests.twilio_api import TwilioAPI
from tests.voice_helpers import CALLER, CLINIC, Call, Twiml
from tickets.models import Contact, OutboundMessage, Ticket

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago: closed
DAY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 10:00: open
ER_NAME = "Riverside Animal Emergency Center"
ER_PHONE = "+15555550199"
_sids = itertools.count(1)


@pytest.fixture
def night(app: Flask) -> Flask:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return app


@pytest.fixture
def call(night: Flask, signed_post: Callable[..., Any]) -> Call:
    return Call(signed_post, f"CA{next(_sids):032d}")


def tickets(services: Services) -> list[Ticket]:
    with services.session() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def outbound(services: Services, purpose: str) -> list[OutboundMessage]:
    with services.session() as s:
        return list(s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == purpose)))


def text(key: str, **params: Any) -> str:
    return prompts.render(key, params)


def assert_xml(t: Twiml) -> None:
    assert t.status == 200
    assert t.content_type.startswith("text/xml")
    assert t.root.tag == "Response"
    if t.gather is not None:  # every <Gather> is followed by a no-input verb
        assert t.redirect == t.action


# --- the tests --------------------------------------------------------------------------------


def test_emergency_in_the_first_answer(
    call: Call, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    first = call.start()
    assert_xml(first)
    assert text("ask_open") in first.says
    g = first.gather
    assert g is not None and g.get("input") == "speech dtmf" and g.get("speechTimeout") == "auto"
    reply = call.say("My dog Rex was hit by a car and he is bleeding everywhere")
    assert_xml(reply)
    assert ER_NAME in reply.text and "1200 River Road" in reply.text
    assert prompts.spoken_phone(ER_PHONE) in reply.text
    assert reply.action is not None  # offers to connect
    connect = call.press("1")
    assert_xml(connect)
    assert connect.dialled == ER_PHONE
    assert connect.dial is not None and connect.dial.get("callerId") == CLINIC
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "emergency" and ticket.disposition_rank == 2
    assert "trauma" in ticket.red_flags or "bleeding" in ticket.red_flags
    [er_sms] = twilio_api.messages()
    assert er_sms["To"] == CALLER and er_sms["From"] == CLINIC
    assert ER_NAME in er_sms["Body"] and "(555) 555-0199" in er_sms["Body"]


def test_emergency_first_mentioned_in_the_third_answer(
    call: Call, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    call.start()
    r1 = call.say("My cat Luna has been sneezing")
    assert r1.gather is not None and ER_NAME not in r1.text
    r2 = call.say("It started two days ago")
    assert r2.gather is not None and ER_NAME not in r2.text
    r3 = call.say("And now she is breathing with her mouth open and her gums look blue")
    assert ER_NAME in r3.text
    call.silence()  # no answer to the transfer offer: goodbye
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "emergency" and "breathing" in ticket.red_flags
    said = [t["text"] for t in ticket.transcript if t["role"] == "caller"]
    assert said[:3] == [
        "My cat Luna has been sneezing",
        "It started two days ago",
        "And now she is breathing with her mouth open and her gums look blue",
    ]
    assert len(twilio_api.messages()) == 1


def test_routine_call_closes_with_callback_time_and_advice(
    call: Call, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    call.start()
    reply = call.say("I'd like to book a vaccine appointment for my dog Max next week")
    for _ in range(8):  # the red-flag screens first: an owner with nothing to report says no
        if reply.gather is not None and reply.gather.get("finishOnKey") == "#":
            break
        reply = call.say("no")
    assert reply.action and reply.gather is not None and reply.gather.get("finishOnKey") == "#"
    assert text("confirm_callback", last4="0123") in reply.says
    closing = call.press("1")
    assert_xml(closing)
    assert closing.root.find("Hangup") is not None
    assert "tomorrow at" in closing.text  # Monday night: the clinic calls back Tuesday
    assert ER_NAME in closing.text  # what would make it an emergency
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "routine" and ticket.red_flags == []
    assert ticket.due_at > NIGHT
    [promise] = twilio_api.messages()
    assert promise["To"] == CALLER and "call you" in promise["Body"]
    assert outbound(services, "er_details") == []


def test_other_callback_number_typed_on_the_keypad(
    call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    reply = call.say("I'd like to book a nail trim appointment for my cat Tom")
    for _ in range(8):
        if reply.gather is not None and reply.gather.get("finishOnKey") == "#":
            break
        reply = call.say("no")
    call.press("3125550178")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.callback_number == "+13125550178" and ticket.caller == CALLER


def test_hang_up_after_the_first_answer_still_makes_a_ticket(
    call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    call.say("My dog Bella keeps scratching her ears")
    assert tickets(services) == []
    done = call.status("completed")
    assert_xml(done)
    run_worker()
    [ticket] = tickets(services)
    assert any(t["text"] == "My dog Bella keeps scratching her ears" for t in ticket.transcript)
    with services.session() as s:
        [contact] = s.scalars(select(Contact))
        assert contact.ended_reason == "hangup" and contact.source_key == f"call:{call.sid}"


def test_silence_reprompts_once_then_offers_the_keypad(
    call: Call, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    call.start()
    again = call.silence()
    assert_xml(again)
    assert again.says == [text("reprompt"), text("ask_open")]
    keypad = call.silence()
    assert_xml(keypad)
    assert keypad.says == [text("ask_keypad")]
    assert keypad.gather is not None and keypad.gather.get("numDigits") == "1"
    emergency = call.press("1")
    assert ER_NAME in emergency.text
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "emergency"
    assert len(twilio_api.messages()) == 1


def test_silence_through_the_keypad_is_never_routine(
    call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    call.silence()
    call.silence()
    call.silence()
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "urgent"


def test_pressing_zero_for_a_person_is_never_routine(
    call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    reply = call.press("0")
    assert any("talk to a person" in said for said in reply.says)
    call.status("completed")
    run_worker()
    [ticket] = tickets(services)
    assert ticket.disposition == "urgent"


def test_the_same_webhook_twice_gets_the_same_answer_and_one_ticket_one_sms(
    call: Call, services: Services, run_worker: Callable[[], int], twilio_api: TwilioAPI
) -> None:
    call.start()
    first = call.say("My dog Rex ate a whole bar of dark chocolate an hour ago")
    second = call.resend()
    assert second.body == first.body
    call.status("completed")
    call.status("completed")
    call.status("ringing")  # late and out of order: changes nothing
    run_worker()
    run_worker()
    assert len(tickets(services)) == 1
    [er_sms] = twilio_api.messages()
    assert "Poison" in er_sms["Body"]  # toxin: the poison-control line too
    conv = ConversationStore(services.redis, 60).load("voice", call.sid)
    assert conv is not None and conv.call_status == "completed"


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_unsigned_or_wrongly_signed_requests_are_refused(
    call: Call, services: Services, signed_post: Callable[..., Any], token: str
) -> None:
    def post(path: str, form: dict[str, str]) -> Any:
        if not token:
            return signed_post(path, form, headers={"X-Twilio-Signature": ""})
        return signed_post(path, form, token=token)

    bad = Call(post, call.sid)
    assert bad.start().status == 403
    assert bad.status("completed").status == 403
    assert services.redis.keys("nd:*") == []
    assert tickets(services) == []


def test_open_hours_dial_the_front_desk(
    app: Flask, signed_post: Callable[..., Any], services: Services
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: DAY
    reply = Call(signed_post, "CA" + "d" * 32).start()
    assert_xml(reply)
    assert reply.dialled == "+15555550101" and reply.gather is None
    assert services.redis.keys("nd:conv:*") == []


def test_an_error_inside_the_flow_gives_a_safe_answer_and_saves_the_call(
    call: Call, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    store = ConversationStore(services.redis, 600)
    conv = store.load("voice", call.sid)
    assert conv is not None
    conv.state = "a-state-this-version-does-not-know"  # e.g. written by an older release
    store.save(conv)
    reply = call.say("My rabbit Clover has a little dandruff on her back")
    assert_xml(reply)
    assert reply.says == [text("fallback_callback")]
    assert reply.root.find("Hangup") is not None
    run_worker()
    [ticket] = tickets(services)
    assert any(
        t["text"] == "My rabbit Clover has a little dandruff on her back" for t in ticket.transcript
    )


def test_unknown_number_gets_a_clear_message_and_a_log_line(
    night: Flask,
    signed_post: Callable[..., Any],
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.voice"):
        reply = Call(signed_post, "CA" + "e" * 32, to="+15555559999").start()
    assert_xml(reply)
    assert reply.says == [text("unknown_number")]
    assert any("9999" in r.getMessage() for r in caplog.records)
    assert services.redis.keys("nd:conv:*") == []


def test_unicode_control_characters_and_low_confidence_are_echoed_safely(
    call: Call, services: Services
) -> None:
    call.start()
    reply = call.say("mi perro está raro 🐶\x07\x1b ¿qué hago?", confidence=0.3)
    assert_xml(reply)  # parsed: no XML-illegal characters came back
    assert text("confirm_heard", heard="mi perro está raro 🐶 ¿qué hago?") in reply.says
    empty = call.say("")
    assert_xml(empty)


def test_low_confidence_emergency_acts_at_once(call: Call) -> None:
    call.start()
    reply = call.say("my dog is having a seizure right now", confidence=0.2)
    assert ER_NAME in reply.text


def test_emergency_for_a_listed_client_pages_the_on_call_vet_once(
    night: Flask,
    signed_post: Callable[..., Any],
    services: Services,
    run_worker: Callable[[], int],
    twilio_api: TwilioAPI,
) -> None:
    vip = Call(signed_post, "CA" + "f" * 32, caller="+15555550177")  # clients.vip in the policy
    vip.start()
    vip.say("my dog Rex collapsed and is not responding")
    vip.resend()
    vip.status("completed")
    run_worker()
    on_call = services.policies.default.on_call(NIGHT).primary.phone
    sent_to = [m["To"] for m in twilio_api.messages()]
    assert sent_to.count(on_call) == 1 and sent_to.count("+15555550177") == 1
