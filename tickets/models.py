"""SQLAlchemy models of the callback queue. Datetimes are stored as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

DISPOSITIONS = ("routine", "urgent", "emergency")
LEVEL = {name: i for i, name in enumerate(DISPOSITIONS)}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC (SQLite keeps no zone); returned aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Ticket(Base):
    """One queue item: a pet's problem, possibly reported over several contacts."""

    __tablename__ = "ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), index=True)
    caller: Mapped[str] = mapped_column(String(32))  # E.164 of the owner
    callback_number: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))  # channel of the first contact
    disposition: Mapped[str] = mapped_column(String(16))
    red_flags: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    symptoms: Mapped[list[Any]] = mapped_column(default=list)
    onset: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    species: Mapped[str | None] = mapped_column(String(16), nullable=True)
    patient: Mapped[dict[str, Any]] = mapped_column(default=dict)
    exposures: Mapped[list[Any]] = mapped_column(default=list)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    intent: Mapped[str] = mapped_column(String(24), default="sick_pet")
    summary: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[list[Any]] = mapped_column(default=list)  # [{at, role, channel, text}]
    pet_key: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|claimed|resolved
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    due_at: Mapped[datetime] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    disposition_rank: Mapped[int] = mapped_column(Integer, default=0)  # 2 emergency .. 0 routine

    contacts: Mapped[list[Contact]] = relationship(back_populates="ticket", order_by="Contact.id")
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )

    __table_args__ = (
        Index("ix_ticket_queue", "status", "disposition_rank", "due_at"),
        Index("ix_ticket_caller", "clinic_id", "caller", "created_at"),
    )


# The queue's sort order (most urgent, then soonest due) as an index: pages of the whole queue
# read it in order instead of sorting every row.
Index("ix_ticket_order", Ticket.disposition_rank.desc(), Ticket.due_at, Ticket.id)


class Contact(Base):
    """One call or one SMS thread; `source_key` makes filing idempotent."""

    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(96), unique=True)  # call:CA… / sms:…
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    caller: Mapped[str] = mapped_column(String(32))
    disposition: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[dict[str, Any]] = mapped_column(default=dict)
    transcript: Mapped[list[Any]] = mapped_column(default=list)
    ended_reason: Mapped[str] = mapped_column(String(32), default="")  # completed|hangup|error
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="contacts")


class TicketEvent(Base):
    """The audit trail: every change to a ticket, who made it and when."""

    __tablename__ = "ticket_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # "user:3", "system", "vet:…0142"
    kind: Mapped[str] = mapped_column(String(32))  # filed, merged, claimed, attempt, resolved …
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class OutboundMessage(Base):
    """An SMS or call we intend to send; recorded before sending, so nothing is sent twice."""

    __tablename__ = "outbound_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(8), default="sms")  # sms | call
    purpose: Mapped[str] = mapped_column(String(32))  # er_details, page, callback_promise …
    to: Mapped[str] = mapped_column(String(32))
    from_: Mapped[str] = mapped_column("from_number", String(32))
    body: Mapped[str] = mapped_column(Text)  # SMS text, or TwiML for a call
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # pending -> sending -> sent | outbox | failed | blocked
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Page(Base):
    """A page of the on-call vet (or the backup) about a ticket, and its acknowledgement."""

    __tablename__ = "page"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    clinic_id: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="primary")  # primary | backup
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent|acked|escalated
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class StaffUser(Base):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # csr | vet | admin
    clinic_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: all clinics
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(Base):
    """A number that texted STOP to one of our clinic numbers."""

    __tablename__ = "opt_out"
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    clinic_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Media(Base):
    """A photo an owner sent by MMS, copied off Twilio before it expires."""

    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # MessageSid:index
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    source_key: Mapped[str] = mapped_column(String(96), index=True)  # the contact it came with
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|stored|rejected
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The night report (tickets/report.py) reads these by clinic and time (migration 0003).
Index("ix_ticket_clinic_created", Ticket.clinic_id, Ticket.created_at)
Index("ix_contact_created", Contact.created_at)
Index("ix_page_clinic_sent", Page.clinic_id, Page.sent_at)
Index("ix_ticket_event_done", TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at)
Index(
    "ix_outbound_clinic_purpose",
    OutboundMessage.clinic_id,
    OutboundMessage.purpose,
    OutboundMessage.created_at,
)
