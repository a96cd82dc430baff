"""`python -m workers`: jobs run in the worker process itself, with no fork per job."""

from __future__ import annotations

import gc
import logging
import os

from rq.job import Job

from nightdesk.services import Services
from workers.__main__ import main


def test_burst_worker_runs_jobs_without_forking(services: Services) -> None:
    job = services.queue.enqueue("os.getpid")
    handlers = list(logging.root.handlers)
    try:
        main(["--burst", "--no-scheduler"])
    finally:
        gc.unfreeze()
        logging.root.handlers[:] = handlers
    done = Job.fetch(job.id, connection=services.redis, serializer=services.queue.serializer)
    assert done.get_status() == "finished"
    assert done.return_value() == os.getpid()  # ran here, not in a forked work-horse
