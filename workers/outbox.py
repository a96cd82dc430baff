"""The outbox sweep: a periodic job that finishes what a crash or a lost job left undone.

The SQL rows are the source of truth (RELIABILITY.md). Every SWEEP_INTERVAL the sweep
- re-enqueues each message still `pending`/`sending` STALE_AFTER after it was recorded whose
  send job is gone (the job that recorded it crashed before enqueueing, Redis lost it) or
  finished without settling it; `deliver` looks for a send that did go out before sending again;
- gives up on a message whose job RQ gave up on (if the failure callback did not run);
- escalates a primary page left unacknowledged past the clinic's ack window plus ESC_GRACE
  after its SMS reached Twilio, whose escalation job was lost (a conditional UPDATE: once).
The chain re-enqueues itself first, one job per time slot, like workers.overdue. Once a minute
it also runs workers.reconcile (conversations Redis kept that no job filed).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from rq import Queue
from rq.job import Job
from sqlalchemy import String, cast, select

from tickets.models import OutboundMessage, Page, utcnow
from tickets.outbound import stale_messages
from workers import context
from workers.messages import enqueue_outbound, give_up, send_outbound
from workers.queueing import enqueue, job_id

log = logging.getLogger(__name__)
SWEEP_INTERVAL = timedelta(seconds=10)
STALE_AFTER = timedelta(seconds=20)
ESC_GRACE = timedelta(minutes=1)
RECONCILE_EVERY = 6  # sweeps: once a minute
ACTIVE = ("queued", "started", "scheduled", "deferred")


def sweep_outbox() -> dict[str, int]:
    """The periodic job: schedule the next sweep, then resend, give up and escalate; once a
    minute, file the conversations Redis kept without a ticket (workers.reconcile)."""
    svc = context.services()
    now = utcnow()
    schedule_next(svc.queue, now=now)
    counts = sweep(svc.queue, now)
    from workers.reconcile import file_saved, reconcile

    counts["saved_filed"] = file_saved(now)
    if _slot(now) % RECONCILE_EVERY == 0:
        counts["reconciled"] = reconcile(svc.queue, now)
    return counts


def sweep(queue: Queue, now: datetime) -> dict[str, int]:
    """One pass; returns how many messages were resent and given up, and pages escalated."""
    svc = context.services()
    counts = {"resent": 0, "given_up": 0, "escalated": 0}
    with svc.session() as session:
        stale = stale_messages(session, now - STALE_AFTER)
        # Unacknowledged primary pages, with when their SMS reached Twilio (the vet's clock).
        pages = list(
            session.execute(
                select(Page.id, Page.clinic_id, OutboundMessage.sent_at)
                .join(OutboundMessage, OutboundMessage.key == "page-sms:" + cast(Page.id, String))
                .where(
                    Page.status == "sent",
                    Page.level == "primary",
                    OutboundMessage.status == "sent",
                    OutboundMessage.sent_at < now - ESC_GRACE,
                )
            )
        )
        purposes = dict(
            session.execute(
                select(OutboundMessage.id, OutboundMessage.purpose).where(
                    OutboundMessage.id.in_(stale)
                )
            ).all()
        )
    for mid in stale:
        job = _job(queue, job_id(send_outbound.__name__, f"out{mid}"))
        status = job.get_status(refresh=False) if job is not None else None
        if status in ACTIVE:
            continue  # RQ is on it (running, or a retry waits)
        if status == "failed":
            counts["given_up"] += give_up(mid, "gave up: the send job failed")
            continue
        if job is not None:  # finished/stopped without settling the row: a fresh job
            job.delete()
        log.warning("outbox: message %s has no send job; enqueueing it", mid)
        enqueue_outbound(queue, mid, page=purposes.get(mid) == "page")
        counts["resent"] += 1
    for page_id, clinic_id, sent_at in pages:
        policy = svc.policies.by_id(clinic_id)
        due = now - timedelta(minutes=policy.ack_minutes) - ESC_GRACE if policy else None
        if due is None or sent_at is None or sent_at > due:
            continue
        from workers.paging import escalate_page

        log.warning("outbox: page %s was never escalated; escalating it now", page_id)
        counts["escalated"] += escalate_page(page_id) == "escalated"
    if any(counts.values()):
        log.info("outbox sweep: %s", counts)
    return counts


def _job(queue: Queue, jid: str) -> Job | None:
    return Job.fetch_many([jid], connection=queue.connection, serializer=queue.serializer)[0]


def schedule_next(queue: Queue, *, now: datetime | None = None) -> Job:
    """Enqueue the next sweep in one interval; one job per time slot, however often called."""
    return enqueue(
        queue, sweep_outbox, key=f"slot{_slot(now or utcnow()) + 1}", delay=SWEEP_INTERVAL
    )


def _slot(now: datetime) -> int:
    return int(now.timestamp() // SWEEP_INTERVAL.total_seconds())


def start(queue: Queue) -> Job:
    """Start (or re-start) the chain: call when a worker starts; idempotent per slot."""
    return schedule_next(queue)
