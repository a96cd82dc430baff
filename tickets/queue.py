"""Queue queries: the callback queue sorted by disposition then due time, filtered and paged.

Within one disposition and due time, tickets with more red flags come first, then the earliest
filed (the ticket id only breaks what is still tied).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, load_only

from tickets.models import DISPOSITIONS, Ticket

STATUSES = ("active", "open", "claimed", "resolved", "all")
PER_PAGE = 50
MAX_PER_PAGE = 500
LIST_COLUMNS = (
    Ticket.id,
    Ticket.clinic_id,
    Ticket.caller,
    Ticket.callback_number,
    Ticket.disposition,
    Ticket.disposition_rank,
    Ticket.status,
    Ticket.outcome,
    Ticket.claimed_by,
    Ticket.claim_expires_at,
    Ticket.due_at,
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.escalated_at,
    Ticket.summary,
    Ticket.patient,
    Ticket.species,
    Ticket.red_flags,
    Ticket.channel,
)


@dataclass(frozen=True)
class Filters:
    """What the CSR asked to see. `clinic_ids` None means every clinic the user may see."""

    status: str = "active"
    clinic: str | None = None
    disposition: str | None = None
    since: datetime | None = None  # created at or after (UTC)
    until: datetime | None = None  # created before (UTC)
    page: int = 1
    per_page: int = PER_PAGE

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if self.disposition is not None and self.disposition not in DISPOSITIONS:
            raise ValueError(f"disposition must be one of {DISPOSITIONS}")
        if self.page < 1 or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"page starts at 1; per_page is 1..{MAX_PER_PAGE}")


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    page: int
    per_page: int
    has_next: bool


def _status_clause(status: str, now: datetime):  # type: ignore[no-untyped-def]
    live_claim = and_(Ticket.status == "claimed", Ticket.claim_expires_at > now)
    if status == "active":
        return Ticket.status.in_(("open", "claimed"))
    if status == "open":
        return or_(
            Ticket.status == "open",
            and_(Ticket.status == "claimed", Ticket.claim_expires_at <= now),
        )
    if status == "claimed":
        return live_claim
    if status == "resolved":
        return Ticket.status == "resolved"
    return None


def red_flag_count() -> Any:
    """How many red flags a ticket has, in SQL (json_array_length: SQLite and PostgreSQL's json)."""
    return func.json_array_length(Ticket.red_flags)


def query(filters: Filters, *, allowed_clinics: Collection[str] | None, now: datetime) -> Select:
    """The SELECT for a queue page (light columns only; the transcript stays in the row)."""
    stmt = select(Ticket).options(load_only(*LIST_COLUMNS))
    clause = _status_clause(filters.status, now)
    if clause is not None:
        stmt = stmt.where(clause)
    if allowed_clinics is not None:
        stmt = stmt.where(Ticket.clinic_id.in_(list(allowed_clinics)))
    if filters.clinic:
        stmt = stmt.where(Ticket.clinic_id == filters.clinic)
    if filters.disposition:
        stmt = stmt.where(Ticket.disposition_rank == DISPOSITIONS.index(filters.disposition))
    if filters.since:
        stmt = stmt.where(Ticket.created_at >= filters.since)
    if filters.until:
        stmt = stmt.where(Ticket.created_at < filters.until)
    offset = (filters.page - 1) * filters.per_page
    rank: Any = Ticket.disposition_rank
    if filters.status in ("active", "open", "claimed"):
        # The few live tickets come from ix_ticket_queue and are sorted; "+ 0" keeps the planner
        # from walking ix_ticket_order through a year of resolved tickets to find them.
        rank = Ticket.disposition_rank + 0
    return (
        stmt.order_by(
            rank.desc(), Ticket.due_at, red_flag_count().desc(), Ticket.created_at, Ticket.id
        )
        .offset(offset)
        .limit(filters.per_page + 1)
    )


def queue_page(
    session: Session, filters: Filters, *, allowed_clinics: Collection[str] | None, now: datetime
) -> Page:
    """One page of the queue, most urgent and most overdue first."""
    rows = list(session.scalars(query(filters, allowed_clinics=allowed_clinics, now=now)))
    return Page(
        rows[: filters.per_page], filters.page, filters.per_page, len(rows) > filters.per_page
    )


def visible(ticket: Ticket, allowed_clinics: Collection[str] | None) -> bool:
    """May a user limited to these clinics (None: all) see this ticket?"""
    return allowed_clinics is None or ticket.clinic_id in allowed_clinics
