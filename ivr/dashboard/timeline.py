"""The ticket page's transcript: both sides of every contact, in order, and what the line sent.

What the owner said and what the line said come from the ticket's transcript (each contact's
turns, `role` "caller" or "line", as the conversation recorded them). Next to them go the things
the line did that are not words of the conversation: the transfer to the ER (a contact that ended
with `transfer`) and every SMS or call sent to the owner about this ticket (the outbox rows).
Messages to staff (pages) are left out: they carry the vet's personal number, and the history
below the transcript already says who was paged.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.policy import Policy
from ivr.prompts import display_phone
from tickets.models import Contact, OutboundMessage, Ticket

# How a turn's `kind` reads on the page (other kinds show with their own name).
KIND_LABELS = {
    "speech": "",
    "prompt": "",
    "digits": "keypad",
    "media": "photos",
}
# The words an outbox row's purpose stands for.
PURPOSE_LABELS = {
    "er_details": "ER details",
    "callback_promise": "callback promise",
    "resolution": "after the callback",
}
MESSAGE_KINDS = {"sms": "SMS to the owner", "call": "Call to the owner"}


@dataclass(frozen=True)
class Entry:
    """One line of the transcript as the desk reads it."""

    at: datetime | None
    side: str  # "caller" | "line" | "action" | "message" (the CSS class)
    label: str  # who, and what kind of thing ("Line · ER guidance", "SMS to the owner · sent")
    text: str


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str) and value:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _turn(turn: dict[str, Any]) -> Entry:
    role = str(turn.get("role") or "")
    kind = str(turn.get("kind") or "")
    who = {"caller": "Owner", "line": "Line"}.get(role, role.replace("_", " ").capitalize())
    extra = KIND_LABELS.get(kind, kind.replace("_", " "))
    channel = str(turn.get("channel") or "")
    label = " · ".join(x for x in (who, extra, channel) if x)
    side = role if role in ("caller", "line") else "action"
    return Entry(_when(turn.get("at")), side, label, str(turn.get("text") or ""))


def _spoken(twiml: str) -> str:
    """The words of a call's TwiML (what the owner heard), or a placeholder."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return "(voice call)"
    words = " ".join((el.text or "").strip() for el in root.iter("Say") if el.text)
    return words or "(voice call)"


def _message(m: OutboundMessage) -> Entry:
    kind = MESSAGE_KINDS.get(m.kind, m.kind)
    purpose = PURPOSE_LABELS.get(m.purpose, m.purpose.replace("_", " "))
    label = f"{kind} · {purpose} · {m.status}"
    text = m.body if m.kind == "sms" else _spoken(m.body)
    if m.error:
        text += f" ({m.error})"
    return Entry(m.sent_at or m.created_at, "message", label, text)


def _transfer(contact: Contact, policy: Policy | None) -> Entry:
    turns = contact.transcript or []
    at = _when(turns[-1].get("at")) if turns else contact.created_at
    er = (
        f"{policy.er.name}, {display_phone(policy.er.phone, policy.region)}" if policy else "the ER"
    )
    return Entry(at, "action", "Line · transfer", f"Dialled {er}, to connect the caller.")


def messages_of(
    session: Session, ticket: Ticket, contacts: Iterable[Contact]
) -> list[OutboundMessage]:
    """The outbox rows of this ticket: by ticket id, and by its contacts' keys (the SMS line
    records its ER reply as `sms:<thread>:er_details` before any ticket exists)."""
    clauses = [OutboundMessage.ticket_id == ticket.id]
    clauses += [
        OutboundMessage.key.startswith(f"{c.source_key}:", autoescape=True) for c in contacts
    ]
    stmt = select(OutboundMessage).where(or_(*clauses)).order_by(OutboundMessage.id)
    return list(session.scalars(stmt))


def timeline(
    ticket: Ticket,
    contacts: Iterable[Contact],
    messages: Iterable[OutboundMessage],
    policy: Policy | None,
) -> list[Entry]:
    """Every turn of the ticket, the transfers and the messages to the owner, oldest first."""
    contacts = list(contacts)
    entries = [_turn(t) for t in ticket.transcript or [] if isinstance(t, dict)]
    recorded = {t.get("kind") for t in ticket.transcript or [] if isinstance(t, dict)}
    for c in contacts:
        if c.ended_reason == "transfer" and "transfer" not in recorded:
            entries.append(_transfer(c, policy))
    owner = {ticket.caller, ticket.callback_number}
    seen: set[int] = set()
    for m in messages:
        if m.id in seen or m.to not in owner:
            continue
        seen.add(m.id)
        entries.append(_message(m))
    # Stable: turns keep their recorded order; a turn without a time sorts with the one before.
    keyed: list[tuple[datetime, int, Entry]] = []
    last = datetime.min.replace(tzinfo=UTC)
    for i, e in enumerate(entries):
        last = e.at or last
        keyed.append((last, i, e))
    return [e for _, _, e in sorted(keyed, key=lambda k: (k[0], k[1]))]
