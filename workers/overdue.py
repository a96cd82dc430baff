"""Overdue escalation: a periodic job texts the clinic's manager once per ticket past its due time.

The job re-enqueues itself with RQ's scheduler (`enqueue_in`, so the worker runs with
`--with-scheduler`); the job id is derived from the time slot, so any number of chains collapse
into one run per slot. `Ticket.escalated_at` is set by a conditional UPDATE: once per ticket.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from rq import Queue
from rq.job import Job
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.policy import Policies, Policy
from tickets.lifecycle import record
from tickets.models import Ticket, utcnow
from tickets.outbound import mask, queue_sms
from workers import context
from workers.messages import enqueue_outbound
from workers.queueing import enqueue

log = logging.getLogger(__name__)
INTERVAL = timedelta(minutes=1)
BATCH = 200


def manager_phone(policy: Policy) -> str:
    """Who hears about overdue tickets: clinic.manager_phone, else the on-call number."""
    return policy.manager_phone or policy.on_call_phone


def overdue_text(ticket: Ticket, policy: Policy) -> str:
    pet = (ticket.patient or {}).get("name") or ticket.species or "a pet"
    due = policy.local(ticket.due_at).strftime("%H:%M")
    return (
        f"Nightdesk: {ticket.disposition} callback #{ticket.id} ({pet}, "
        f"owner {mask(ticket.caller)}) was due at {due} and nobody has called back yet."
    )


def escalate_overdue(session: Session, policies: Policies, now: datetime) -> list[int]:
    """Record one manager SMS per newly overdue ticket; returns the message ids (commits)."""
    ids = session.scalars(
        select(Ticket.id)
        .where(
            Ticket.status.in_(("open", "claimed")),
            Ticket.due_at < now,
            Ticket.escalated_at.is_(None),
        )
        .order_by(Ticket.due_at)
        .limit(BATCH)
    ).all()
    message_ids: list[int] = []
    for tid in ids:
        won = session.execute(
            update(Ticket)
            .where(Ticket.id == tid, Ticket.escalated_at.is_(None))
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not won:
            continue
        ticket = session.get(Ticket, tid, populate_existing=True)
        assert ticket is not None
        policy = policies.by_id(ticket.clinic_id)
        if policy is None:
            log.warning("overdue ticket %s of unknown clinic %s", tid, ticket.clinic_id)
            record(session, tid, "system", "escalated", now, to=None, error="unknown clinic")
            continue
        to = manager_phone(policy)
        message_ids.append(
            queue_sms(
                session,
                key=f"overdue:{tid}",
                clinic_id=ticket.clinic_id,
                ticket_id=tid,
                to=to,
                from_=policy.phone,
                body=overdue_text(ticket, policy),
                purpose="overdue",
            )
        )
        record(session, tid, "system", "escalated", now, to=mask(to))
        session.commit()  # one ticket per transaction: a crash re-sends nothing
    session.commit()
    return message_ids


def check_overdue() -> int:
    """The periodic job: escalate what is overdue, send after commit, schedule the next run."""
    svc = context.services()
    with svc.session() as session:
        message_ids = escalate_overdue(session, svc.policies, utcnow())
    for mid in message_ids:
        enqueue_outbound(svc.queue, mid)
    schedule_next(svc.queue)
    return len(message_ids)


def schedule_next(queue: Queue, *, now: datetime | None = None) -> Job:
    """Enqueue the next check in one interval; one job per time slot, however often called."""
    now = now or utcnow()
    slot = int(now.timestamp() // INTERVAL.total_seconds()) + 1
    return enqueue(queue, check_overdue, key=f"slot{slot}", delay=INTERVAL)


def start(queue: Queue) -> Job:
    """Start the chain (idempotent): call when a worker (re)starts. Keyed by the current time
    slot, so a chain broken while Redis was away starts again."""
    now = utcnow()
    slot = int(now.timestamp() // INTERVAL.total_seconds())
    return enqueue(queue, check_overdue, key=f"start{slot}", delay=timedelta(seconds=1))
