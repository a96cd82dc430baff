"""The ticket lifecycle: open → claimed → attempts → resolved (or reopened), with an audit trail.

Flask-free: every function takes (session, ticket_id, user, now, …), changes the ticket, writes a
TicketEvent and leaves the commit to the caller. A claim is one conditional UPDATE, so two CSRs
claiming at once cannot both win (SQLite serialises writers; PostgreSQL re-checks the WHERE
clause after the row lock). An expired claim counts as open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from config.policy import Policy
from tickets.models import StaffUser, Ticket, TicketEvent
from tickets.outbound import queue_sms

CLAIM_TTL = timedelta(minutes=15)
ATTEMPT_RESULTS = ("no_answer", "left_voicemail", "reached")
# What became of the pet, recorded in one click when the ticket is resolved; the night report
# sets these against the line's dispositions (tickets/report.py).
OUTCOMES = (
    "er_that_night",
    "seen_today",
    "advice_given",
    "could_not_reach",
    "other",
)
# Older outcomes: still accepted (API clients) and shown, no longer offered on the form.
LEGACY_OUTCOMES = ("appointment_booked", "sent_to_er", "no_action_needed")
ACCEPTED_OUTCOMES = OUTCOMES + LEGACY_OUTCOMES
NOTE_REQUIRED = ("other",)
LABELS = {
    "no_answer": "No answer",
    "left_voicemail": "Left voicemail",
    "reached": "Reached the owner",
    "er_that_night": "Went to the ER that night",
    "seen_today": "Seen at the clinic today",
    "advice_given": "Advice only",
    "could_not_reach": "Could not reach",
    "other": "Other (write a note)",
    "appointment_booked": "Appointment booked",
    "sent_to_er": "Sent to the ER",
    "no_action_needed": "No action needed",
}
CALL_IN_SMS = (
    "{clinic}: we tried to call you back about {pet} but could not reach you. "
    "Please call us at {phone} when you can. If your pet gets worse, call {er} at {er_phone}."
)


class TransitionError(Exception):
    """A change the ticket's current state does not allow; the message says why."""


class TicketNotFound(TransitionError):
    pass


class ClaimConflict(TransitionError):
    """Someone else holds a live claim on the ticket."""


@dataclass(frozen=True)
class Resolution:
    """What resolve() did: the ticket, and the owner SMS to send after commit (if any)."""

    ticket: Ticket
    message_id: int | None


def actor_of(user: StaffUser) -> str:
    return f"user:{user.id}:{user.username}"


def is_claim_live(ticket: Ticket, now: datetime) -> bool:
    return (
        ticket.status == "claimed"
        and ticket.claim_expires_at is not None
        and ticket.claim_expires_at > now
    )


def effective_status(ticket: Ticket, now: datetime) -> str:
    """open | claimed | resolved, with an expired claim shown as open."""
    if ticket.status == "claimed" and not is_claim_live(ticket, now):
        return "open"
    return ticket.status


def record(
    session: Session, ticket_id: int, actor: str, kind: str, now: datetime, **detail: Any
) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket_id, actor=actor, kind=kind, at=now, detail=detail)
    session.add(event)
    session.flush()
    return event


def _load(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise TicketNotFound(f"ticket {ticket_id} does not exist")
    return ticket


def _holder(session: Session, ticket: Ticket) -> str:
    user = session.get(StaffUser, ticket.claimed_by) if ticket.claimed_by else None
    return user.username if user else "someone"


def _require_claim(session: Session, ticket: Ticket, user: StaffUser, now: datetime) -> None:
    """The user must hold a live claim (claim it first, so two CSRs never call the same owner)."""
    if ticket.status == "resolved":
        raise TransitionError(f"ticket {ticket.id} is resolved; reopen it first")
    if not is_claim_live(ticket, now):
        raise TransitionError(f"claim ticket {ticket.id} first")
    if ticket.claimed_by != user.id:
        raise ClaimConflict(f"ticket {ticket.id} is claimed by {_holder(session, ticket)}")


def claim(
    session: Session, ticket_id: int, user: StaffUser, now: datetime, *, ttl: timedelta = CLAIM_TTL
) -> Ticket:
    """Claim an open ticket (or renew one's own claim); exactly one of concurrent claims wins."""
    # The UPDATE comes first: on SQLite a read before it would pin a stale snapshot.
    result = session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            or_(
                Ticket.status == "open",
                and_(
                    Ticket.status == "claimed",
                    or_(Ticket.claim_expires_at <= now, Ticket.claimed_by == user.id),
                ),
            ),
        )
        .values(status="claimed", claimed_by=user.id, claim_expires_at=now + ttl, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    ticket = _load(session, ticket_id)
    if not result.rowcount:  # type: ignore[attr-defined]
        if ticket.status == "resolved":
            raise TransitionError(f"ticket {ticket_id} is resolved; reopen it first")
        raise ClaimConflict(f"ticket {ticket_id} is claimed by {_holder(session, ticket)}")
    record(session, ticket_id, actor_of(user), "claimed", now, until=(now + ttl).isoformat())
    return ticket


def release(session: Session, ticket_id: int, user: StaffUser, now: datetime) -> Ticket:
    """Give a claimed ticket back to the queue (the holder, or an admin)."""
    ticket = _load(session, ticket_id)
    if not is_claim_live(ticket, now):
        raise TransitionError(f"ticket {ticket_id} is not claimed")
    if ticket.claimed_by != user.id and user.role != "admin":
        raise ClaimConflict(f"ticket {ticket_id} is claimed by {_holder(session, ticket)}")
    ticket.status, ticket.claimed_by, ticket.claim_expires_at = "open", None, None
    ticket.updated_at = now
    record(session, ticket_id, actor_of(user), "released", now)
    return ticket


def log_attempt(
    session: Session,
    ticket_id: int,
    user: StaffUser,
    now: datetime,
    result: str,
    *,
    note: str = "",
    ttl: timedelta = CLAIM_TTL,
) -> Ticket:
    """Record a call to the owner (no_answer, left_voicemail, reached); renews the claim."""
    if result not in ATTEMPT_RESULTS:
        raise TransitionError(f"unknown attempt result {result!r}; one of {ATTEMPT_RESULTS}")
    ticket = _load(session, ticket_id)
    _require_claim(session, ticket, user, now)
    ticket.claim_expires_at = now + ttl
    ticket.updated_at = now
    record(session, ticket_id, actor_of(user), "attempt", now, result=result, note=note.strip())
    return ticket


def add_note(session: Session, ticket_id: int, user: StaffUser, now: datetime, text: str) -> Ticket:
    """A free-text note on the ticket, in any state."""
    text = text.strip()
    if not text:
        raise TransitionError("a note needs some text")
    ticket = _load(session, ticket_id)
    record(session, ticket_id, actor_of(user), "note", now, text=text[:4000])
    return ticket


def resolve(
    session: Session,
    ticket_id: int,
    user: StaffUser,
    now: datetime,
    outcome: str,
    *,
    policy: Policy | None,
    note: str = "",
) -> Resolution:
    """Close the ticket with what became of the pet; could_not_reach also records a polite
    call-in SMS, and "other" needs a note saying what."""
    if outcome not in ACCEPTED_OUTCOMES:
        raise TransitionError(f"unknown outcome {outcome!r}; one of {OUTCOMES}")
    if outcome in NOTE_REQUIRED and not note.strip():
        raise TransitionError("for Other, write in the note what became of the pet")
    ticket = _load(session, ticket_id)
    _require_claim(session, ticket, user, now)
    ticket.status, ticket.outcome = "resolved", outcome
    ticket.claim_expires_at = None
    ticket.updated_at = now
    event = record(
        session, ticket_id, actor_of(user), "resolved", now, outcome=outcome, note=note.strip()
    )
    message_id = None
    if outcome == "could_not_reach" and policy is not None:
        message_id = queue_sms(
            session,
            key=f"call-in:{ticket_id}:{event.id}",
            clinic_id=ticket.clinic_id,
            ticket_id=ticket_id,
            to=ticket.callback_number or ticket.caller,
            from_=policy.phone,
            body=call_in_text(ticket, policy),
            purpose="call_in",
        )
    return Resolution(ticket, message_id)


def call_in_text(ticket: Ticket, policy: Policy) -> str:
    pet = (ticket.patient or {}).get("name") or f"your {ticket.species or 'pet'}"
    return CALL_IN_SMS.format(
        clinic=policy.name,
        pet=pet,
        phone=policy.front_desk or policy.phone,
        er=policy.er.name,
        er_phone=policy.er.phone,
    )


def reopen(
    session: Session, ticket_id: int, user: StaffUser, now: datetime, *, note: str = ""
) -> Ticket:
    """Put a resolved ticket back in the queue."""
    ticket = _load(session, ticket_id)
    if ticket.status != "resolved":
        raise TransitionError(f"ticket {ticket_id} is not resolved")
    previous = ticket.outcome
    ticket.status, ticket.outcome, ticket.claimed_by = "open", None, None
    ticket.updated_at = now
    record(
        session, ticket_id, actor_of(user), "reopened", now, previous=previous, note=note.strip()
    )
    return ticket


def events(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(
        session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
    )


ACTIONS = ("claim", "release", "attempt", "note", "resolve", "reopen")


def apply(
    session: Session,
    ticket_id: int,
    user: StaffUser,
    now: datetime,
    action: str,
    fields: Mapping[str, Any],
    *,
    policy_of: Callable[[str], Policy | None],
    ttl: timedelta = CLAIM_TTL,
) -> int | None:
    """One named change with its fields (a form or a JSON body), for the dashboard and the API.

    Returns the id of an owner SMS to send after commit, if the change recorded one.
    """

    def field(name: str) -> str:
        return str(fields.get(name) or "")

    if action == "claim":
        claim(session, ticket_id, user, now, ttl=ttl)
    elif action == "release":
        release(session, ticket_id, user, now)
    elif action == "attempt":
        log_attempt(session, ticket_id, user, now, field("result"), note=field("note"), ttl=ttl)
    elif action == "note":
        add_note(session, ticket_id, user, now, field("text"))
    elif action == "resolve":
        policy = policy_of(_load(session, ticket_id).clinic_id)
        return resolve(
            session, ticket_id, user, now, field("outcome"), policy=policy, note=field("note")
        ).message_id
    elif action == "reopen":
        reopen(session, ticket_id, user, now, note=field("note"))
    else:
        raise LookupError(f"no action {action!r}; one of {ACTIONS}")
    return None
