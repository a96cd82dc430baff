"""Jobs that send what tickets.outbound recorded, and what happens when a send fails for good."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from rq import Queue, Retry
from rq.job import Job

from tickets.models import OutboundMessage, utcnow
from tickets.outbound import deliver, mark_failed, page_id_of
from workers import context
from workers.queueing import JOB_TIMEOUT, RETRY, enqueue

log = logging.getLogger(__name__)
# A page that Twilio will not take is retried for about a minute, then the backup is paged.
PAGE_RETRY = Retry(max=3, interval=[5, 15, 30])


def send_outbound(message_id: int) -> str:
    """Send one outbound SMS/call (idempotent; errors propagate for RQ's Retry)."""
    svc = context.services()
    # The lock keeps two workers (a duplicate job) from sending the same message at once; it
    # expires with the job's timeout, so a killed worker's lock does not hold up the retry.
    lock = svc.redis.lock(f"nd:lock:out:{message_id}", timeout=JOB_TIMEOUT, blocking_timeout=5)
    with lock, svc.session() as session:
        msg = deliver(session, message_id, svc.twilio)
        status, page_id = msg.status, page_id_of(msg)
    if status == "failed" and page_id is not None:
        escalate_now(page_id)  # a permanent error (a bad number): nobody will see this page
    return status


def enqueue_outbound(queue: Queue, message_id: int, *, page: bool = False) -> None:
    """Call after the transaction that recorded the message has committed."""
    enqueue(
        queue,
        send_outbound,
        message_id,
        key=f"out{message_id}",
        retry=PAGE_RETRY if page else RETRY,
        on_failure=send_gave_up,
    )


def send_gave_up(
    job: Job,
    connection: Any,
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> None:
    """RQ's failure callback of send_outbound: on the last failure, give up on the message."""
    if job.should_retry:
        return
    give_up(int(job.args[0]), f"gave up: {exc_type.__name__ if exc_type else 'job lost'}")


def give_up(message_id: int, error: str) -> bool:
    """Mark a message failed for good (a ticket event shows it); page the backup if it was a
    page. Idempotent: True only the first time."""
    svc = context.services()
    with svc.session() as session:
        msg = session.get(OutboundMessage, message_id, with_for_update=True)
        if msg is None or not mark_failed(session, msg, error, utcnow()):
            return False
        page_id = page_id_of(msg)
        session.commit()
    if page_id is not None:
        escalate_now(page_id)
    return True


def escalate_now(page_id: int) -> None:
    """The page's SMS cannot be sent: page the backup now, not after the ack window."""
    from workers.paging import escalate_page

    log.warning("page %s could not be sent: paging the backup now", page_id)
    escalate_page(page_id)
