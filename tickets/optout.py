"""SMS opt-out (STOP/START/HELP keywords), stored per (owner number, clinic number).

Twilio and the carriers honour the keywords themselves (a send to an opted-out number fails with
21610); we store them too so nothing is even attempted, and so an emergency follow-up to an
opted-out owner becomes a voice call instead (RELIABILITY.md).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from tickets.models import OptOut, OutboundMessage
from tickets.outbound import insert_ignore, is_opted_out

__all__ = ["call_instead", "is_opted_out", "keyword", "set_opted_out"]

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

# Outbound SMS purposes that must reach an opted-out owner anyway, by a voice call.
CALL_IF_OPTED_OUT = frozenset({"er_details"})
CALL_INTRO = "This is an automated call with the emergency details you asked for."


def keyword(body: str | None) -> str | None:
    """'stop', 'start' or 'help' when the whole message is a carrier keyword, else None."""
    word = (body or "").strip().strip(".!").upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def set_opted_out(
    session: Session, phone: str, clinic_number: str, *, active: bool, now: datetime
) -> None:
    """Record STOP (active) or START (not active) from `phone` to `clinic_number`."""
    values = dict(phone=phone, clinic_number=clinic_number, active=active, updated_at=now)
    if not insert_ignore(session, OptOut, values):
        row = session.get(OptOut, (phone, clinic_number), populate_existing=True)
        assert row is not None
        row.active, row.updated_at = active, now
    session.flush()


def call_instead(msg: OutboundMessage) -> bool:
    """Turn an emergency SMS to an opted-out owner into a voice call reading it out."""
    if msg.kind != "sms" or msg.purpose not in CALL_IF_OPTED_OUT:
        return False
    twiml = VoiceResponse()
    for _ in range(2):  # said twice: the owner may pick up mid-sentence
        twiml.say(CALL_INTRO)
        twiml.say(re.sub(r"\s*https?://\S+", "", msg.body))  # a link is no use read aloud
        twiml.pause(length=1)
    msg.kind, msg.body = "call", str(twiml)
    return True
