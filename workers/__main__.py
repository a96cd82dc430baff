"""`python -m workers`: an RQ worker that loads the triage engine before forking work-horses."""

from __future__ import annotations

import argparse
import logging

from rq import Worker

from workers import context


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not run RQ's scheduler (delayed jobs, Retry intervals)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    svc = context.services()
    svc.triage  # noqa: B018 - preload spaCy in the parent so forks share it
    # Close pooled DB connections before forking (RELIABILITY.md: none across fork).
    svc.engine.dispose()
    # RELIABILITY.md: a dead worker's job is noticed in ~90 s with these, not ~800 s.
    worker = Worker(
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
