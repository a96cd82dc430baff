"""Jobs of paging: send the page after commit, and page the backup when nobody acknowledged.

`dispatch` is called after the transaction of `tickets.paging.page_for_ticket` committed; it
enqueues the SMS and schedules `escalate_page(page_id)` with RQ's scheduler (`enqueue_in`, so a
worker runs with the scheduler). The job id comes from the page id and the escalation is a
conditional UPDATE, so it fires once however often it runs.
"""

from __future__ import annotations

import logging

from rq import Queue

from tickets import paging
from tickets.models import utcnow
from workers import context
from workers.messages import enqueue_outbound
from workers.queueing import enqueue

log = logging.getLogger(__name__)


def dispatch(queue: Queue, result: paging.PageResult | None) -> None:
    """Send a new page and schedule its escalation (after commit; a no-op for duplicates)."""
    if result is None or result.message_id is None:
        return
    enqueue_outbound(queue, result.message_id, page=True)
    if result.escalate_after is not None:
        enqueue(
            queue,
            escalate_page,
            result.page_id,
            key=f"esc{result.page_id}",
            delay=result.escalate_after,
        )


def escalate_page(page_id: int) -> str:
    """Page the backup if page `page_id` is still unacknowledged; returns what happened."""
    svc = context.services()
    with svc.session() as session:
        outcome = paging.escalate(session, svc.policies, page_id, utcnow())
        session.commit()
    if isinstance(outcome, paging.PageResult):
        dispatch(svc.queue, outcome)
        log.info("page %s not acknowledged: backup paged (page %s)", page_id, outcome.page_id)
        return "escalated"
    log.info("page %s: no escalation (%s)", page_id, outcome)
    return outcome
