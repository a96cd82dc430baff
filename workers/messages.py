"""Jobs that send what tickets.outbound recorded."""

from __future__ import annotations

from rq import Queue

from tickets.outbound import deliver
from workers import context
from workers.queueing import enqueue


def send_outbound(message_id: int) -> str:
    """Send one outbound SMS/call (idempotent; errors propagate for RQ's Retry)."""
    svc = context.services()
    # The lock keeps two workers (a duplicate job) from sending the same message at once.
    lock = svc.redis.lock(f"nd:lock:out:{message_id}", timeout=120, blocking_timeout=60)
    with lock, svc.session() as session:
        return deliver(session, message_id, svc.twilio).status


def enqueue_outbound(queue: Queue, message_id: int) -> None:
    """Call after the transaction that recorded the message has committed."""
    enqueue(queue, send_outbound, message_id, key=f"out{message_id}")
