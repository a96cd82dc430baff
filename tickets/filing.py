"""Filing a contact (a call, an SMS thread) as a ticket: once per source_key, merged per pet."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.policy import Policy
from tickets.models import LEVEL, Contact, Ticket, TicketEvent
from tickets.outbound import insert_ignore, mask

log = logging.getLogger(__name__)
MERGE_WINDOW = timedelta(hours=12)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def higher(a: str, b: str) -> str:
    return a if LEVEL.get(a, 0) >= LEVEL.get(b, 0) else b


def pet_of(verdict: dict[str, Any]) -> tuple[str, str]:
    """(species, lower-case name), '' where unknown."""
    name = ((verdict.get("patient") or {}).get("name") or "").strip().lower()
    return (verdict.get("species") or "", name)


def pet_key(verdict: dict[str, Any]) -> str:
    species, name = pet_of(verdict)
    return f"{species}:{name}" if species or name else ""


def same_pet(key_a: str, key_b: str) -> bool:
    """Two pet keys may be one pet: each part equal, or unknown on either side."""
    if not key_a or not key_b:
        return True
    (sa, na), (sb, nb) = key_a.split(":", 1), key_b.split(":", 1)
    return (not sa or not sb or sa == sb) and (not na or not nb or na == nb)


def summary_of(verdict: dict[str, Any]) -> str:
    if verdict.get("summary"):
        return str(verdict["summary"])
    codes = [s.get("code", "") for s in verdict.get("symptoms") or [] if not s.get("negated")]
    flags = verdict.get("red_flags") or []
    species, name = pet_of(verdict)
    who = " ".join(x for x in (name.title(), f"({species})" if species else "") if x) or "Pet"
    what = ", ".join(dict.fromkeys(flags + codes)) or verdict.get("intent") or "no details"
    return f"{who}: {what}".replace("_", " ")


def _union(a: list[Any], b: list[Any]) -> list[Any]:
    out = list(a)
    for item in b:
        if item not in out:
            out.append(item)
    return out


def _find_open(
    session: Session, clinic_id: str, caller: str, key: str, now: datetime, window: timedelta
) -> Ticket | None:
    """The caller's open ticket about the same pet, if any (newest first).

    Reads only ids and pet keys: a number that calls often (a shelter, a test phone) may have
    many open tickets, and loading each whole row would decode all its JSON columns.
    """
    rows = session.execute(
        select(Ticket.id, Ticket.pet_key)
        .where(
            Ticket.clinic_id == clinic_id,
            Ticket.caller == caller,
            Ticket.status != "resolved",
            Ticket.created_at >= now - window,
        )
        .order_by(Ticket.created_at.desc())
    )
    found = next((tid for tid, pet in rows if same_pet(pet, key)), None)
    return session.get(Ticket, found) if found is not None else None


def _apply(
    ticket: Ticket, verdict: dict[str, Any], transcript: list[Any], policy: Policy, now: datetime
) -> bool:
    """Fold one contact's verdict into the ticket; True when the disposition went up."""
    new = verdict.get("disposition", "routine")
    raised = LEVEL.get(new, 0) > LEVEL.get(ticket.disposition, -1)
    ticket.disposition = higher(ticket.disposition or "routine", new)
    ticket.disposition_rank = LEVEL[ticket.disposition]
    if raised:
        ticket.due_at = _utc(policy.callback_due(ticket.disposition, now))
    ticket.red_flags = _union(ticket.red_flags or [], verdict.get("red_flags") or [])
    ticket.reasons = _union(ticket.reasons or [], verdict.get("reasons") or [])
    ticket.symptoms = _union(ticket.symptoms or [], verdict.get("symptoms") or [])
    ticket.exposures = _union(ticket.exposures or [], verdict.get("exposures") or [])
    ticket.flags = _union(ticket.flags or [], verdict.get("flags") or [])
    ticket.onset = ticket.onset or verdict.get("onset")
    ticket.species = ticket.species or verdict.get("species")
    patient = dict(ticket.patient or {})
    for k, v in (verdict.get("patient") or {}).items():
        if v is not None and patient.get(k) is None:
            patient[k] = v
    ticket.patient = patient
    ticket.pet_key = ticket.pet_key or pet_key(verdict)
    if verdict.get("intent") and (ticket.intent in (None, "", "other") or raised):
        ticket.intent = verdict["intent"]
    ticket.summary = summary_of({**verdict, "disposition": ticket.disposition})
    ticket.transcript = list(ticket.transcript or []) + list(transcript)
    ticket.updated_at = now
    return raised


def file_contact(
    session: Session,
    *,
    source_key: str,
    clinic_id: str,
    channel: str,
    caller: str,
    callback_number: str,
    verdict: dict[str, Any],
    transcript: list[Any],
    ended_reason: str,
    now: datetime,
    policy: Policy,
    merge_window: timedelta = MERGE_WINDOW,
) -> Ticket:
    """The ticket for this contact: filed once, joined to the same pet's open ticket if any."""
    now = _utc(now)
    disposition = verdict.get("disposition", "routine")
    inserted = insert_ignore(
        session,
        Contact,
        dict(
            source_key=source_key,
            ticket_id=None,
            channel=channel,
            caller=caller,
            disposition=disposition,
            verdict=verdict,
            transcript=transcript,
            ended_reason=ended_reason,
            created_at=now,
        ),
    )
    contact = session.scalars(
        select(Contact).where(Contact.source_key == source_key).with_for_update()
    ).one()
    if not inserted:
        assert contact.ticket_id is not None, f"contact {source_key} has no ticket"
        ticket = session.get(Ticket, contact.ticket_id, with_for_update=True)
        assert ticket is not None
        if len(transcript) > len(contact.transcript or []):
            _update_contact(ticket, contact, verdict, transcript, ended_reason, policy, now)
        return ticket
    key = pet_key(verdict)
    ticket = _find_open(session, clinic_id, caller, key, now, merge_window)
    kind = "merged"
    if ticket is None:
        kind = "filed"
        ticket = Ticket(
            clinic_id=clinic_id,
            caller=caller,
            callback_number=callback_number,
            channel=channel,
            disposition=disposition,
            disposition_rank=LEVEL.get(disposition, 0),
            due_at=_utc(policy.callback_due(disposition, now)),
            pet_key=key,
            red_flags=[],
            reasons=[],
            symptoms=[],
            exposures=[],
            flags=[],
            patient={},
            transcript=[],
            status="open",
            created_at=now,
        )
        session.add(ticket)
    _apply(ticket, verdict, transcript, policy, now)
    if callback_number:
        ticket.callback_number = callback_number
    session.flush()
    contact.ticket_id = ticket.id
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor="system",
            kind=kind,
            detail={
                "source_key": source_key,
                "channel": channel,
                "disposition": disposition,
                "ended_reason": ended_reason,
            },
        )
    )
    session.flush()
    log.info(
        "%s %s contact %s from %s as ticket %s (%s)",
        kind,
        channel,
        source_key,
        mask(caller),
        ticket.id,
        ticket.disposition,
    )
    return ticket


def _update_contact(
    ticket: Ticket,
    contact: Contact,
    verdict: dict[str, Any],
    transcript: list[Any],
    ended_reason: str,
    policy: Policy,
    now: datetime,
) -> None:
    """A later, longer copy of a filed contact (e.g. the status callback after the closing)."""
    old = contact.transcript or []
    added = transcript[len(old) :]
    contact.transcript, contact.verdict = transcript, verdict
    contact.disposition = higher(contact.disposition, verdict.get("disposition", "routine"))
    contact.ended_reason = ended_reason or contact.ended_reason
    before = ticket.disposition
    _apply(ticket, verdict, added, policy, now)
    ticket.disposition = higher(before, ticket.disposition)
    if ticket.disposition != before:
        ticket.events.append(
            TicketEvent(
                at=now,
                actor="system",
                kind="escalated",
                detail={"source_key": contact.source_key, "from": before, "to": ticket.disposition},
            )
        )
