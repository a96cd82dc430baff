"""Paging the on-call vet about a ticket, the vet's "1" acknowledgement, and the backup page.

A page is a `Page` row with a unique key (one primary and at most one backup page per ticket),
an SMS recorded with `queue_sms` and a `TicketEvent`, all in the caller's transaction. After
commit, `workers.paging.dispatch(queue, result)` sends the SMS and schedules the escalation.
The vet's personal number goes only into the page row and the SMS to the vet: never into a
caller's message, never into a log line or an audit event (masked to the last four digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from config.oncall import Person
from config.policy import Policies, Policy
from tickets.lifecycle import record
from tickets.models import Page, Ticket
from tickets.outbound import insert_ignore, mask, queue_sms

ACK = re.compile(r"^\s*1\s*[.!]?\s*$")
ACK_WINDOW = timedelta(hours=12)  # a "1" acknowledges pages sent to that number this long ago


@dataclass(frozen=True)
class PageResult:
    page_id: int
    message_id: int | None  # None when the page already existed (nothing new to send)
    escalate_after: timedelta | None  # schedule the backup page after this; None: no backup


@dataclass(frozen=True)
class AckResult:
    page_ids: list[int]
    ticket_ids: list[int]
    reply: str  # the SMS answer to the vet


@dataclass(frozen=True)
class Bridge:
    """A vet's call back to an owner through Twilio: dial `dial`, show `caller_id`."""

    dial: str
    caller_id: str
    ticket_id: int


def pages_tonight(session: Session, policy: Policy, now: datetime) -> int:
    """Primary pages of this clinic since it last closed."""
    since = policy.night_start(now)
    return (
        session.scalar(
            select(func.count(Page.id)).where(
                Page.clinic_id == policy.clinic_id, Page.level == "primary", Page.sent_at >= since
            )
        )
        or 0
    )


def page_text(policy: Policy, ticket: Ticket, *, backup_for: str | None = None) -> str:
    """The SMS to the vet: the summary, how to acknowledge, how to call back; no phone numbers
    but the clinic's."""
    pet = (ticket.patient or {}).get("name") or ticket.species or "a pet"
    what = ticket.summary or "; ".join(str(r) for r in ticket.reasons[:2]) or "no summary"
    head = f"{policy.name} page: {ticket.disposition.upper()} #{ticket.id} ({pet})"
    if backup_for:
        head = f"BACKUP {head} — {backup_for} has not answered"
    pin = " and key your PIN" if policy.callback_pin else ""
    return (
        f"{head}. {what[:320]} Reply 1 to acknowledge. To call the owner back, call "
        f"{policy.phone} from this phone{pin} and pick #{ticket.id}: the owner sees the "
        "clinic's number, not yours."
    )


def _send(
    session: Session,
    policy: Policy,
    ticket: Ticket,
    person: Person,
    level: str,
    now: datetime,
    *,
    reason: str,
    backup_for: str | None = None,
) -> PageResult | None:
    key = f"page:{ticket.id}:{level}"
    values = dict(
        key=key,
        ticket_id=ticket.id,
        clinic_id=policy.clinic_id,
        person=person.name[:64],
        phone=person.phone,
        level=level,
        status="sent",
        sent_at=now,
    )
    inserted = insert_ignore(session, Page, values)
    page_id = session.scalar(select(Page.id).where(Page.key == key))
    assert page_id is not None
    if not inserted:
        return PageResult(page_id, None, None)  # a duplicate: the first one already paged
    message_id = queue_sms(
        session,
        key=f"page-sms:{page_id}",
        clinic_id=policy.clinic_id,
        to=person.phone,
        from_=policy.phone,
        body=page_text(policy, ticket, backup_for=backup_for),
        purpose="page",
        ticket_id=ticket.id,
    )
    record(
        session,
        ticket.id,
        "system",
        "paged" if level == "primary" else "escalated_page",
        now,
        page_id=page_id,
        level=level,
        person=person.name,
        phone=mask(person.phone),
        reason=reason,
    )
    backup = policy.on_call(now).backup
    escalate = level == "primary" and backup is not None and backup.phone != person.phone
    return PageResult(
        page_id, message_id, timedelta(minutes=policy.ack_minutes) if escalate else None
    )


def page_for_ticket(
    session: Session, policy: Policy, ticket: Ticket, now: datetime
) -> PageResult | None:
    """Page the on-call vet if the policy says so (once per ticket); None when not paged."""
    existing = session.scalar(select(Page.id).where(Page.key == f"page:{ticket.id}:primary"))
    if existing is not None:
        return PageResult(existing, None, None)
    decision = policy.page_decision(
        ticket.disposition,
        ticket.flags or [],
        ticket.caller,
        now,
        pages_tonight(session, policy, now),
    )
    if not decision.page:
        record(session, ticket.id, "system", "not_paged", now, reason=decision.reason)
        return None
    primary = policy.on_call(now).primary
    return _send(session, policy, ticket, primary, "primary", now, reason=decision.reason)


def escalate(session: Session, policies: Policies, page_id: int, now: datetime) -> PageResult | str:
    """Page the backup if the primary page is still unacknowledged; fires once per page."""
    won = session.execute(
        update(Page).where(Page.id == page_id, Page.status == "sent").values(status="escalated")
    ).rowcount  # type: ignore[attr-defined]
    page = session.get(Page, page_id)
    if page is None:
        return "missing"
    if not won:
        return page.status  # acked (stop) or escalated already (fire once)
    policy = policies.by_id(page.clinic_id)
    ticket = session.get(Ticket, page.ticket_id)
    if policy is None or ticket is None:
        return "no_policy"
    backup = policy.on_call(now).backup
    if backup is None or backup.phone == page.phone:
        record(
            session,
            ticket.id,
            "system",
            "escalation_failed",
            now,
            page_id=page_id,
            reason="no backup on call",
        )
        return "no_backup"
    minutes = policy.ack_minutes
    result = _send(
        session,
        policy,
        ticket,
        backup,
        "backup",
        now,
        reason=f"{page.person} did not acknowledge within {minutes} min",
        backup_for=page.person,
    )
    return result if result is not None else "duplicate"


def acknowledge(
    session: Session, from_number: str, body: str, now: datetime, *, clinic_id: str | None = None
) -> AckResult | None:
    """A vet's reply "1": acknowledge that number's open pages; None if not an ack or no page."""
    if not ACK.match(body or ""):
        return None
    query = select(Page).where(
        Page.phone == from_number,
        Page.status.in_(("sent", "escalated")),
        Page.sent_at >= now - ACK_WINDOW,
    )
    if clinic_id is not None:
        query = query.where(Page.clinic_id == clinic_id)
    pages = session.scalars(query.order_by(Page.id)).all()
    acked: list[Page] = []
    for page in pages:
        done = session.execute(
            update(Page)
            .where(Page.id == page.id, Page.acked_at.is_(None))
            .values(status="acked", acked_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if done:
            acked.append(page)
            record(
                session,
                page.ticket_id,
                f"vet:{mask(from_number)}",
                "page_acked",
                now,
                page_id=page.id,
                level=page.level,
                person=page.person,
            )
    if not acked:
        return None
    tickets = sorted({p.ticket_id for p in acked})
    listed = ", ".join(f"#{t}" for t in tickets)
    return AckResult(
        [p.id for p in acked],
        tickets,
        f"Thanks, acknowledged {listed}. Nobody else will be paged for it.",
    )


def _may_call(policy: Policy, from_number: str, ticket: Ticket, paged: bool) -> bool:
    return (
        ticket.clinic_id == policy.clinic_id
        and policy.on_call_person(from_number) is not None
        and (paged or (ticket.disposition == "emergency" and ticket.status != "resolved"))
    )


def callable_tickets(
    session: Session, policy: Policy, from_number: str, now: datetime, *, limit: int = 8
) -> list[Ticket]:
    """The tickets a vet calling in may call back, for the keypad menu: those paged to this
    number, then the clinic's other open emergencies, each most recent first (last 12 hours)."""
    if policy.on_call_person(from_number) is None:
        return []
    since = now - ACK_WINDOW
    mine = select(Page.ticket_id).where(
        Page.clinic_id == policy.clinic_id, Page.phone == from_number, Page.sent_at >= since
    )
    paged = set(session.scalars(mine))
    rows = session.scalars(
        select(Ticket)
        .where(
            Ticket.clinic_id == policy.clinic_id,
            Ticket.status != "resolved",
            or_(
                Ticket.id.in_(paged),
                and_(Ticket.disposition == "emergency", Ticket.created_at >= since),
            ),
        )
        .order_by(Ticket.id.desc())
        .limit(limit + len(paged))
    ).all()
    return sorted(rows, key=lambda t: (t.id not in paged, -t.id))[:limit]


def bridge_target(
    session: Session, policy: Policy, from_number: str, ticket_id: int
) -> Bridge | None:
    """For the voice line: a vet calling the clinic number to reach an owner. Allowed when the
    caller is one of the clinic's on-call people and was paged about that ticket, or it is one
    of the clinic's emergencies still open."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    paged = session.scalar(
        select(Page.id).where(Page.ticket_id == ticket_id, Page.phone == from_number).limit(1)
    )
    if not _may_call(policy, from_number, ticket, paged is not None):
        return None
    return Bridge(dial=ticket.callback_number, caller_id=policy.phone, ticket_id=ticket_id)
