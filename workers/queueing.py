"""Enqueueing jobs the way RELIABILITY.md asks: after commit, with Retry, ids as job ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rq import Callback, Queue, Retry
from rq.job import Job

# The first retry at once: a job of a killed worker, or one a Redis blip failed, runs again
# as soon as it is found (its jobs are idempotent).
RETRY = Retry(max=5, interval=[1, 15, 60, 300, 900])
FAILURE_TTL = 7 * 24 * 3600  # keep failed jobs a week, not a year; they hold only ids
# Our jobs take tens of milliseconds; the slowest waits on one Twilio request (TWILIO_TIMEOUT,
# 10 s). A job's registry entry lives its timeout plus HEARTBEAT_MARGIN (workers/__main__.py),
# so a job whose worker was killed is retried about this long after it started, not 240 s.
JOB_TIMEOUT = 30
HEARTBEAT_MARGIN = 10


def job_id(*parts: object) -> str:
    return "nd-" + "-".join(str(p).replace(":", "_") for p in parts)


def enqueue(
    queue: Queue,
    func: Callable[..., Any],
    *args: Any,
    key: str,
    delay: timedelta | None = None,
    retry: Retry = RETRY,
    on_failure: Callable[..., Any] | None = None,
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
    opts: dict[str, Any] = dict(
        job_id=jid,
        retry=retry,
        failure_ttl=FAILURE_TTL,
        result_ttl=3600,
        job_timeout=JOB_TIMEOUT,
    )
    if on_failure is not None:
        opts["on_failure"] = Callback(on_failure)
    if delay is not None:
        return queue.enqueue_in(delay, func, *args, **opts)
    return queue.enqueue(func, *args, **opts)
