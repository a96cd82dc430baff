"""The staff line's record of a call in Redis, and the once-only commit of each step.

A staff call (ivr/vet_callback.py) keeps its state at nd:vet:<CallSid> between webhooks. Step n
claims its answer at nd:seen:vet:<CallSid>:<n> with SET NX before it records anything on a
ticket, so a webhook Twilio retries or duplicates gets the first answer and records nothing twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from redis import Redis
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config.policy import Policy
from tickets.lifecycle import record
from tickets.outbound import mask

log = logging.getLogger(__name__)
STATE_TTL = 2 * 3600  # a staff call's state
SEEN_TTL = 24 * 3600  # a step's answer, for Twilio's retries
PIN_LOCK = 3600  # wrong PINs of a number are counted over this long


@dataclass
class VetCall:
    """One staff call, as stored in Redis between webhooks."""

    sid: str
    clinic_id: str
    phone: str  # the vet's number: Redis only, never logged or recorded unmasked
    person: str
    stage: str = "menu"  # pin | menu | ticket | dialled | done
    step: int = 0  # the step the next webhook must be
    pin_tries: int = 0
    quiet: int = 0
    offered: list[int] = field(default_factory=list)  # the menu's tickets, key 1 first
    ticket_id: int | None = None

    @staticmethod
    def key(sid: str) -> str:
        return f"nd:vet:{sid}"

    @classmethod
    def load(cls, redis: Redis, sid: str) -> VetCall | None:
        raw = redis.get(cls.key(sid))
        return None if raw is None else cls(**orjson.loads(raw))

    def save(self, redis: Redis) -> None:
        redis.set(self.key(self.sid), orjson.dumps(dataclasses.asdict(self)), ex=STATE_TTL)

    @property
    def actor(self) -> str:
        return f"vet:{mask(self.phone)}"


@dataclass(frozen=True)
class Line:
    """What a step needs: the clinic called, the time, Redis, and database sessions."""

    policy: Policy
    redis: Redis
    session: Callable[[], Session]
    now: datetime


@dataclass
class Outcome:
    """A step's answer, the state after it, and the ticket events it records."""

    resp: VoiceResponse
    call: VetCall
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


def pin_failures(line: Line, phone: str, *, add: bool = False) -> int:
    """Wrong PINs from this number to this clinic in the last hour (a caller ID can be forged:
    the PIN is what stands in the way, so it cannot be guessed call after call)."""
    key = f"nd:vetpin:{line.policy.clinic_id}:{phone}"
    if not add:
        return int(line.redis.get(key) or 0)
    pipe = line.redis.pipeline()
    pipe.set(key, 0, nx=True, ex=PIN_LOCK)  # the hour starts at the first failure
    pipe.incr(key)  # keeps the TTL
    return int(pipe.execute()[1])


def seen(sid: str, n: int) -> str:
    return f"nd:seen:vet:{sid}:{n}"


def commit(line: Line, session: Session, n: int, out: Outcome) -> str:
    """Claim step n's answer (SET NX), then record its events; a duplicate gets the first."""
    twiml, call = str(out.resp), out.call
    key = seen(call.sid, n)
    if not line.redis.set(key, twiml, nx=True, ex=SEEN_TTL):
        return text_of(line.redis.get(key)) or twiml
    try:
        for ticket_id, kind, detail in out.events:
            record(session, ticket_id, call.actor, kind, line.now, **detail)
        session.commit()
    except Exception:
        line.redis.delete(key)  # nothing was recorded: a retry does it again
        raise
    call.save(line.redis)
    for ticket_id, kind, _ in out.events:
        log.info("staff line: %s on ticket %s by …%s", kind, ticket_id, call.phone[-4:])
    return twiml


def text_of(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
