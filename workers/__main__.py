"""`python -m workers`: an RQ worker with the triage engine and every job module preloaded.

Our jobs are short (tens of milliseconds) and idempotent, so by default they run in the worker
process itself (RQ's SimpleWorker): forking a copy of the ~200 MB preloaded process per job cost
100–300 ms of CPU a job, taken from the web processes on the same machine. `--fork` restores
RQ's fork-per-job work-horse (crash isolation for a job that could take the process down).
"""

from __future__ import annotations

import argparse
import gc
import importlib

from rq import SimpleWorker, Worker

from config.logs import setup_logging
from workers import context

# Every module whose functions are enqueued: imported once here, not per job.
JOB_MODULES = (
    "workers.tickets",
    "workers.messages",
    "workers.paging",
    "workers.media",
    "workers.overdue",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run RQ's scheduler (delayed jobs, Retry intervals)",
    )
    parser.add_argument(
        "--fork", action="store_true", help="run each job in a forked work-horse (RQ's default)"
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
    worker_class = Worker if args.fork else SimpleWorker
    # RELIABILITY.md: a dead worker's job is noticed in ~90 s with these, not ~800 s.
    worker = worker_class(
        [svc.queue],
        connection=svc.redis,
        serializer=svc.queue.serializer,
        worker_ttl=60,
        maintenance_interval=30,
    )
    if not args.no_scheduler:
        from workers import overdue

        overdue.start(svc.queue)  # the self-rescheduling overdue-ticket check
    worker.work(burst=args.burst, with_scheduler=not args.no_scheduler)


if __name__ == "__main__":
    main()
