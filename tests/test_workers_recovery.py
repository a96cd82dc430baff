"""Workers that come back: real `python -m workers` processes against a real redis-server.

A worker outlives a Redis outage, a killed worker's job runs again within a minute, and
`nightdesk serve`'s supervisor starts a worker that died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Retry, Worker
from rq.serializers import JSONSerializer

from nightdesk.cmd_serve import WorkerSupervisor
from nightdesk.fault_stack import RedisServer
from tickets import db
from workers.__main__ import work_until_stopped


def wait_for(cond: Callable[[], bool], timeout: float) -> float:
    """Seconds until cond() holds; fails the test at the timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if cond():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - Redis may be coming back
            pass
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def start_worker(
    tmp_path: Path, redis_server: RedisServer
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    url = f"sqlite:///{tmp_path / 'nightdesk.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "NIGHTDESK_DATA_DIR": str(tmp_path),
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "NIGHTDESK_ENV": "development",
    }
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "NIGHTDESK_QUEUE"):
        env.pop(name, None)
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "worker.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        procs.append(proc)
        conn = Redis.from_url(redis_server.url)
        wait_for(lambda: any(w.pid == proc.pid for w in Worker.all(connection=conn)), 60)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
    log.close()


def queue(server: RedisServer) -> Queue:
    return Queue("nightdesk", connection=Redis.from_url(server.url), serializer=JSONSerializer)


def test_a_worker_outlives_a_redis_outage(
    redis_server: RedisServer, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    worker = start_worker()
    redis_server.kill()
    time.sleep(8)  # RQ's loop gives up on a Redis error; ours waits for Redis
    assert worker.poll() is None, "the worker process exited while Redis was down"
    redis_server.start()  # same port, same append-only file
    job = queue(redis_server).enqueue("os.getpid")
    wait_for(lambda: job.get_status(refresh=True) == "finished", 40)
    assert job.return_value() == worker.pid


def test_a_killed_workers_job_runs_again_within_a_minute(
    redis_server: RedisServer, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    worker = start_worker()
    # A job of 3 s with a 5 s timeout: its registry entry lives 5 + 10 s (40 s for ours).
    job = queue(redis_server).enqueue(
        "time.sleep", 3, job_timeout=5, retry=Retry(max=2, interval=1)
    )
    wait_for(lambda: job.get_status(refresh=True) == "started", 20)
    os.kill(worker.pid, signal.SIGKILL)
    killed = time.monotonic()
    worker.wait()
    start_worker()  # what the supervisor does; its scheduler takes the dead one's lock at once
    wait_for(lambda: job.get_status(refresh=True) == "finished", 60)
    took = time.monotonic() - killed
    # Entry 15 s + a maintenance pass (10 s) + the 1 s retry + the 3 s job, not 240 + 61 s.
    assert took < 40, took


def test_the_supervisor_starts_a_worker_that_died() -> None:
    spawned: list[subprocess.Popen[bytes]] = []

    def spawn() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        spawned.append(proc)
        return proc

    supervisor = WorkerSupervisor(spawn).start()
    os.kill(spawned[0].pid, signal.SIGKILL)
    wait_for(lambda: len(spawned) == 2, 5)
    assert supervisor.restarts == 1 and spawned[1].poll() is None
    supervisor.stop(timeout=5)
    assert spawned[1].poll() is not None
    time.sleep(1.5)
    assert len(spawned) == 2  # stopped means stopped: no restart


class _Worker:
    """Stands in for an RQ worker whose work loop quits (a Redis error) or is stopped."""

    def __init__(self, stop: bool) -> None:
        self.stop_requested = stop

    def work(self, **kwargs: object) -> None:
        pass


class _Redis:
    def __init__(self, down_for: int) -> None:
        self.pings = 0
        self.down_for = down_for

    def ping(self) -> bool:
        from redis.exceptions import ConnectionError as RedisConnectionError

        self.pings += 1
        if self.pings <= self.down_for:
            raise RedisConnectionError("down")
        return True


def test_the_work_loop_waits_for_redis_with_back_off_then_starts_a_new_worker() -> None:
    made: list[_Worker] = []
    sleeps: list[float] = []

    def make() -> _Worker:
        made.append(_Worker(stop=len(made) == 1))  # quits once, then is stopped
        return made[-1]

    redis = _Redis(down_for=3)
    restarts = work_until_stopped(make, redis, sleep=sleeps.append)  # type: ignore[arg-type]
    assert restarts == 1 and len(made) == 2
    assert sleeps == [1.0, 2.0, 4.0, 8.0]  # pinged after each: down, down, down, up
