"""`python -m workers`: an RQ worker with the triage engine and every job module preloaded.

Our jobs are short (tens of milliseconds) and idempotent, so by default they run in the worker
process itself (RQ's SimpleWorker), with no fork per job. RQ 3's `Worker` does not fork a copy
of the preloaded process: it starts a fresh interpreter per job (posix_spawn), which would load
spaCy again for every job; a fork-per-job copy of the ~200 MB process cost 100–300 ms of CPU a
job under RQ 1.x. `--fork` still selects RQ's `Worker` (crash isolation for a job that could take
the process down). RQ's scheduler is a forked child either way.

A worker that dies mid-job (kill -9) leaves its job in the started registry for the job's
timeout plus HEARTBEAT_MARGIN (40 s, not RQ's 180 + 60 s for a SimpleWorker); the next
maintenance pass (every MAINTENANCE s) of any worker retries it. When Redis goes away RQ's loop
quits; this one waits (back-off up to BACKOFF_MAX) and starts a new worker on the same
preloaded process instead of exiting. `nightdesk serve` restarts the process if it dies.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from config.logs import setup_logging
from workers import context
from workers.queueing import HEARTBEAT_MARGIN, JOB_TIMEOUT

log = logging.getLogger("workers")

# Every module whose functions are enqueued: imported once here, not per job.
JOB_MODULES = (
    "workers.tickets",
    "workers.messages",
    "workers.paging",
    "workers.media",
    "workers.overdue",
    "workers.outbox",
    "workers.reconcile",
)
WORKER_TTL = 20  # RQ blocks on the queue WORKER_TTL - 15 s at a time, then runs maintenance
MAINTENANCE = 10  # seconds between passes that retry the jobs of dead workers
BACKOFF_MAX = 30.0
STEADY = 60.0  # a worker that ran this long before quitting starts the back-off afresh
_AT_FORK = False


class _Stoppable:
    """Remembers a SIGTERM/SIGINT (RQ raises StopRequested when idle and forgets it)."""

    stop_requested = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)  # type: ignore[misc]

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # A job is killed at its timeout (SIGALRM), so its entry need not outlive it by more.
        timeout = job.timeout if job.timeout and job.timeout > 0 else JOB_TIMEOUT
        return int(timeout) + HEARTBEAT_MARGIN


class NightdeskWorker(_Stoppable, SimpleWorker):
    """RQ's SimpleWorker with heartbeats sized to our short jobs."""


class NightdeskForkingWorker(_Stoppable, Worker):
    """RQ's Worker (a new process per job), same heartbeats."""


def _die_with_parent() -> None:
    """In a forked child (RQ's scheduler): die with the worker, not linger holding its lock."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux; elsewhere a no-op)
    except (OSError, AttributeError):
        pass


def release_dead_schedulers(redis: Redis, queue_names: list[str]) -> list[str]:
    """Free scheduler locks held by a scheduler process of this host that is gone (a killed
    worker's), so a restarted worker schedules at once instead of after the lock's 61 s."""
    from rq.scheduler import SCHEDULER_KEY_TEMPLATE, SCHEDULER_LOCKING_KEY_TEMPLATE

    freed = []
    host = socket.gethostname()
    for name in queue_names:
        lock_key = SCHEDULER_LOCKING_KEY_TEMPLATE % name
        owner = _text(redis.get(lock_key))
        if owner is None:
            continue
        hostname, pid = (
            _text(v) for v in redis.hmget(SCHEDULER_KEY_TEMPLATE % owner, "hostname", "pid")
        )
        if hostname != host or not pid or _alive(int(pid)):
            continue
        # Delete only if still the same owner (a live scheduler may have taken it meanwhile).
        redis.eval(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
            " return 0",
            1,
            lock_key,
            owner,
        )
        freed.append(name)
        log.warning("freed the scheduler lock of %s held by a dead process", name)
    return freed


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _alive(pid: int) -> bool:
    """Whether process `pid` runs; a zombie (killed, not yet reaped: a dead worker's
    scheduler whose new parent is slow to reap) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # Linux: the state after the command name in /proc/<pid>/stat
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def work_until_stopped(
    make_worker: Callable[[], NightdeskWorker | NightdeskForkingWorker],
    redis: Redis,
    *,
    burst: bool = False,
    with_scheduler: bool = True,
    on_start: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run workers until a stop signal (or an empty queue in burst mode); returns the restarts.

    RQ's work loop quits on a Redis timeout or any error outside a job; we wait for Redis with
    back-off and start a new worker in this (preloaded) process.
    """
    restarts = 0
    delay = 1.0
    while True:
        worker = make_worker()
        started = time.monotonic()
        try:
            on_start()
            worker.work(burst=burst, with_scheduler=with_scheduler)
        except RedisError as exc:  # its birth or death could not be registered
            log.warning("worker stopped on a Redis error: %s", type(exc).__name__)
        if burst or worker.stop_requested:
            return restarts
        if time.monotonic() - started > STEADY:
            delay = 1.0  # it had been working: this is a new outage, not the same one
        if _wait_for_redis(redis, delay, sleep):
            return restarts
        restarts += 1
        delay = min(delay * 2, BACKOFF_MAX)
        log.warning("Redis is reachable again: starting a new worker (restart %d)", restarts)


def _wait_for_redis(redis: Redis, delay: float, sleep: Callable[[float], None]) -> bool:
    """Sleep `delay`, then until Redis answers a PING (back-off); True when asked to stop."""
    stopped: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        stopped.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopped:
            log.warning("worker lost Redis: reconnecting in %.0f s", delay)
            sleep(delay)
            if stopped:
                break
            try:
                redis.ping()
                return False
            except RedisError:
                delay = min(delay * 2, BACKOFF_MAX)
        return True
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run RQ's scheduler (delayed jobs, Retry intervals)",
    )
    parser.add_argument(
        "--fork", action="store_true", help="run each job in a new process (RQ's Worker)"
    )
    args = parser.parse_args(argv)
    setup_logging()  # numbers masked, the twilio library's request logging off
    svc = context.services()
    svc.triage  # noqa: B018 - preload spaCy once, before any job (and before any fork)
    for name in JOB_MODULES:
        importlib.import_module(name)
    # Close pooled DB connections before forking (RELIABILITY.md: none across fork; the
    # scheduler is a forked process even when jobs are not).
    svc.engine.dispose()
    gc.collect()
    gc.freeze()  # the preloaded heap is permanent: keep it out of every GC pass (and COW pages)
    global _AT_FORK
    if not _AT_FORK:
        os.register_at_fork(after_in_child=_die_with_parent)
        _AT_FORK = True
    worker_class = NightdeskForkingWorker if args.fork else NightdeskWorker
    queue: Queue = svc.queue

    def make_worker() -> NightdeskWorker | NightdeskForkingWorker:
        return worker_class(
            [queue],
            connection=svc.redis,
            serializer=queue.serializer,
            worker_ttl=WORKER_TTL,
            maintenance_interval=MAINTENANCE,
        )

    def start_chains() -> None:
        """The self-rescheduling checks (overdue tickets, the outbox sweep), at every (re)start
        of the worker: a chain broken while Redis was away starts again (idempotent)."""
        from workers import outbox, overdue

        if not args.no_scheduler:
            release_dead_schedulers(svc.redis, [queue.name])
            overdue.start(queue)
            outbox.start(queue)

    work_until_stopped(
        make_worker,
        svc.redis,
        burst=args.burst,
        with_scheduler=not args.no_scheduler,
        on_start=start_chains,
    )


if __name__ == "__main__":
    main()
