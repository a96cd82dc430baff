"""Enqueueing jobs the way RELIABILITY.md asks: after commit, with Retry, ids as job ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rq import Queue, Retry
from rq.job import Job

RETRY = Retry(max=5, interval=[5, 15, 60, 300, 900])
FAILURE_TTL = 7 * 24 * 3600  # keep failed jobs a week, not a year; they hold only ids


def job_id(*parts: object) -> str:
    return "nd-" + "-".join(str(p).replace(":", "_") for p in parts)


def enqueue(
    queue: Queue, func: Callable[..., Any], *args: Any, key: str, delay: timedelta | None = None
) -> Job:
    """Enqueue func(*args) once per key: an existing job with that id is left alone."""
    jid = job_id(func.__name__, key)
    existing = Job.fetch_many([jid], connection=queue.connection, serializer=queue.serializer)[0]
    if existing is not None and existing.get_status(refresh=True) not in (
        "failed",
        "stopped",
        "canceled",
    ):
        return existing
    opts: dict[str, Any] = dict(job_id=jid, retry=RETRY, failure_ttl=FAILURE_TTL, result_ttl=3600)
    if delay is not None:
        return queue.enqueue_in(delay, func, *args, **opts)
    return queue.enqueue(func, *args, **opts)
