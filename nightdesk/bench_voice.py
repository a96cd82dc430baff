"""`nightdesk bench voice`: scripted calls against gunicorn on loopback, next to a bare endpoint.

Starts an embedded Redis, a temporary SQLite database and a `python -m workers` process, then, under
the same gunicorn settings, (1) a bare Flask app answering a fixed TwiML and (2) the Nightdesk app;
plays the same scripted calls against each with N keep-alive connections, and reports throughput,
p50/p99 webhook latency, and how long a hang-up takes to become a stored ticket (p95).
"""

from __future__ import annotations

import http.client
import os
import queue
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import click
from twilio.request_validator import RequestValidator

TOKEN = "bench-auth-token-0123456789abcdef"
CLINIC = "+15555550100"
# Night-time routine calls of five answers: the open question (which says the animal, its name
# and when it started), then the engine's remaining questions, then the callback confirmation.
# Every call is worded differently, as real callers are: no cache can answer from an earlier call.
PETS = [("dog", "he", n) for n in ("Max", "Cooper", "Rocky", "Buddy", "Duke", "Milo", "Tucker")] + [
    ("cat", "she", n) for n in ("Luna", "Bella", "Daisy", "Chloe", "Cleo", "Nala", "Zoe", "Ivy")
]
COMPLAINTS = [
    "scratching {pos} ears and shaking {pos} head",
    "scratching at {pos} ears",
    "licking {pos} paws and {pos} skin is itchy",
    "a bit itchy with some dandruff on {pos} back",
    "chewing at a small lump on {pos} side",
]
ONSETS = ["since Tuesday", "for three days", "since last week", "for about a week", "for 2 days"]
FINE = ["fine", "normally", "like usual", "as always", "okay"]
ACTING = ["normal, just itchy", "like {pro}self, playful", "fine, a bit annoyed", "normal"]
NO_SURGERY = ["no surgery", "no, no surgery", "no surgery or procedures", "nope, no surgery"]
NO = ["no", "nope", "no, nothing like that", "no, none of that", "not at all"]
SCRIPT = [  # one of them, for `--help` and the docs
    "my dog Max has been scratching his ears and shaking his head since Tuesday",
    "no",
    "nope",
    "no, nothing like that",
    "no",
    "not at all",
    "he is eating and drinking fine, and acting normal, just itchy",
    "1",
]


def script_for(i: int) -> list[str]:
    """The i-th caller's answers (seeded by i, so runs are comparable): the story, a no to each
    of the five red-flag screens, the appetite, the callback number."""
    rng = random.Random(i)
    species, pro, name = rng.choice(PETS)
    pos, self_ = ("his", "him") if pro == "he" else ("her", "her")
    return [
        f"my {species} {name} has been {rng.choice(COMPLAINTS).format(pos=pos)} "
        f"{rng.choice(ONSETS)}",
        *(rng.choice(NO) for _ in range(5)),
        f"{pro} is eating and drinking {rng.choice(FINE)}, and acting "
        f"{rng.choice(ACTING).format(pro=self_)}",
        "1",
    ]


GUNICORN_CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
BARE_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/turn/1" '
    'input="speech dtmf" method="POST" speechTimeout="auto"><Say>Tell me more.</Say>'
    '</Gather><Redirect method="POST">/voice/turn/1</Redirect></Response>'
)


def bare_app() -> object:
    """The baseline: Flask answering a fixed TwiML on the same paths."""
    from flask import Flask, Response

    app = Flask("bare")

    @app.post("/voice")
    @app.post("/voice/turn/<int:n>")
    @app.post("/voice/status")
    def fixed(n: int = 0) -> Response:
        return Response(BARE_TWIML, mimetype="text/xml")

    return app


def nightdesk_app() -> object:
    """The real app as gunicorn.conf.py builds it (engine preloaded), on a fixed night clock."""
    from datetime import UTC, datetime

    from ivr import create_app

    app = create_app(warm=True)
    night = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # a Monday night in the example clinic
    app.config["NIGHTDESK_CLOCK"] = lambda: night
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(
    proc: subprocess.Popen[bytes], port: int, exited: str, limit: float = 120
) -> None:
    """Wait until `proc` accepts connections on `port` (RuntimeError(exited) if it dies first;
    gives up quietly after `limit` seconds, as the first request will then say why)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(exited) from None
            time.sleep(0.1)


@contextmanager
def _gunicorn(
    target: str, env: dict[str, str], port: int, workers: int, threads: int
) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),  # the production settings, for both servers
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        target,
    ]
    proc = subprocess.Popen(cmd, env=env)
    try:
        wait_listening(proc, port, f"gunicorn exited: {' '.join(cmd)}")
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Driver:
    """Plays scripted calls over keep-alive HTTP connections, like Twilio's webhook requests."""

    port: int
    sign: bool
    check: bool = False  # each call must reach the closing (a fallback or a stuck call is an error)
    think: float = 0.0  # seconds a caller takes before each webhook (0: back to back, saturating)
    latencies: list[float] = field(default_factory=list)
    hangups: dict[str, float] = field(default_factory=dict)  # CallSid -> time of the hang-up
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Keep-alive connections shared by all calls: each webhook takes whichever is free, so a
    # call's webhooks land on any web process, as behind a load balancer (a per-process cache
    # gets no help from a call staying on one connection).
    pool: queue.SimpleQueue[http.client.HTTPConnection] = field(default_factory=queue.SimpleQueue)

    def post(self, path: str, form: dict[str, str]) -> str:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.sign:
            url = f"http://127.0.0.1:{self.port}{path}"
            headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(url, form)
        if self.think:
            time.sleep(self.think)
        conn = self.pool.get()
        try:
            t0 = time.perf_counter()
            conn.request("POST", path, body=urlencode(form), headers=headers)
            resp = conn.getresponse()
            body = resp.read().decode()
            elapsed = time.perf_counter() - t0
        finally:
            self.pool.put(conn)
        with self.lock:
            self.latencies.append(elapsed)
            if resp.status != 200:
                self.errors += 1
        return body

    def call(self, script: list[str]) -> None:
        """One call: the start, each answer to the <Gather> it was asked for, the hang-up."""
        sid = "CA" + uuid.uuid4().hex
        caller = f"+1555{uuid.UUID(sid[2:]).int % 10**7:07d}"  # a night of different callers
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": CLINIC}
        body = self.post("/voice", {**base, "CallStatus": "ringing"})
        for line in script:
            gather = ET.fromstring(body).find("Gather")
            if gather is None:
                break
            key = "Digits" if line.isdigit() else "SpeechResult"
            body = self.post(
                gather.get("action") or "/voice",
                {**base, "CallStatus": "in-progress", key: line, "Confidence": "0.93"},
            )
        if self.check and len(script) == 5 and not _closed(body):
            with self.lock:
                self.errors += 1
        with self.lock:
            self.hangups[sid] = time.perf_counter()
        self.post("/voice/status", {**base, "CallStatus": "completed"})

    def run(self, calls: range, concurrency: int, answers: int = 99) -> float:
        """Play the calls numbered `calls` (their first `answers` answers) on `concurrency`
        connections; returns the wall time."""
        todo = iter(calls)
        take = threading.Lock()
        conns = [http.client.HTTPConnection("127.0.0.1", self.port, 30) for _ in range(concurrency)]
        for conn in conns:
            self.pool.put(conn)

        def worker() -> None:
            while True:
                with take:
                    i = next(todo, None)
                if i is None:
                    return
                self.call(script_for(i)[:answers])

        threads = [threading.Thread(target=worker) for _ in range(concurrency)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        for conn in conns:
            conn.close()
        return wall


class CpuMeter:
    """CPU seconds (user + system) used by processes: a server with its children (gunicorn's
    workers), the driver (this process) alone, since it is also the others' parent."""

    def __init__(self, **groups: int) -> None:
        self.groups = groups
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        import psutil

        out: dict[str, float] = {}
        for name, pid in self.groups.items():
            total = 0.0
            try:
                root = psutil.Process(pid)
                kids = root.children(recursive=True) if pid != os.getpid() else []
                for proc in [root, *kids]:
                    with suppress(psutil.NoSuchProcess):
                        t = proc.cpu_times()
                        total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
            out[name] = total
        return out

    def per_request(self, requests: int) -> str:
        """'web 1.23 ms, driver 0.40 ms, ...': CPU per request since the meter started."""
        end = self._read()
        used = {k: (end[k] - self.start[k]) * 1000 / max(requests, 1) for k in self.groups}
        parts = [f"{k} {v:.2f} ms" for k, v in used.items()]
        return f"CPU per webhook: {', '.join(parts)} (total {sum(used.values()):.2f} ms)"


def _closed(twiml: str) -> bool:
    """The call ended with the callback promise and goodbye (not a fallback, not a question)."""
    from ivr import prompts

    root = ET.fromstring(twiml)
    said = [el.text for el in root.iter("Say")]
    return root.find("Gather") is None and prompts.render("goodbye") in said


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _line(name: str, d: Driver, wall: float) -> tuple[str, float]:
    rps = len(d.latencies) / wall
    return (
        f"{name:<24} {len(d.latencies):6d} webhooks  {rps:8.1f} req/s  "
        f"p50 {_pct(d.latencies, 50) * 1000:6.1f} ms  p99 {_pct(d.latencies, 99) * 1000:6.1f} ms"
        f"  errors {d.errors}"
    ), rps


def _drain(
    redis: object, worker: subprocess.Popen[bytes], timeout: float = 300.0
) -> tuple[int, float]:
    """Wait for the worker to finish the queued jobs: (jobs seen, seconds)."""
    from rq import Queue

    queue = Queue("nightdesk", connection=redis)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    jobs = queue.count + queue.started_job_registry.count
    while time.perf_counter() - t0 < timeout:
        if queue.count == 0 and queue.started_job_registry.count == 0:
            break
        if worker.poll() is not None:
            raise RuntimeError(f"the RQ worker exited ({worker.returncode}); see its log")
        time.sleep(0.05)
    return jobs, time.perf_counter() - t0


def _hangup_latency(
    db_path: Path, port: int, calls: int, first: int, timeout: float = 10.0
) -> list[float]:
    """Seconds from a hang-up (status callback sent) to its contact row in the DB, call by call."""
    conn = sqlite3.connect(db_path, timeout=15)
    out: list[float] = []
    try:
        for _ in range(calls):
            d = Driver(port, sign=True)
            d.run(range(first, first + 1), 1, answers=1)  # hangs up after the first answer
            first += 1
            [(sid, hung_up)] = d.hangups.items()
            while time.perf_counter() - hung_up < timeout:
                row = conn.execute("SELECT 1 FROM contact WHERE source_key = ?", (f"call:{sid}",))
                if row.fetchone():
                    break
                time.sleep(0.005)
            out.append(time.perf_counter() - hung_up)
    finally:
        conn.close()
    return out


@click.command("voice")
@click.option("--calls", default=150, show_default=True, help="Scripted calls per server.")
@click.option("--concurrency", default=32, show_default=True, help="Keep-alive connections.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="gunicorn threads per worker.")
@click.option("--hangups", default=40, show_default=True, help="Calls timed hang-up → ticket.")
@click.option(
    "--think",
    default=0.5,
    show_default=True,
    help="Seconds before each webhook in the paced run (0 skips it).",
)
@click.option(
    "--worker-during-load/--worker-after-load",
    default=True,
    show_default=True,
    help="Run the RQ worker during the webhook load (it shares the CPUs) or after it.",
)
def voice(
    calls: int,
    concurrency: int,
    workers: int,
    threads: int,
    hangups: int,
    think: float,
    worker_during_load: bool,
) -> None:
    """Load-test the voice webhooks against a bare TwiML endpoint (targets: ≥0.5×, p99 ≤ 50 ms)."""
    from nightdesk.services import redis_url_of, start_embedded_redis
    from tickets import db

    tmp = Path(tempfile.mkdtemp(prefix="nightdesk-bench-"))
    redis = start_embedded_redis(tmp / "redis")
    db_path = tmp / "nightdesk.sqlite3"
    engine = db.make_engine(f"sqlite:///{db_path}")
    db.upgrade(engine)
    engine.dispose()
    env = {
        **os.environ,
        "NIGHTDESK_DATA_DIR": str(tmp),
        "REDIS_URL": redis_url_of(redis),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "NIGHTDESK_ENV": "development",
    }
    env.pop("PUBLIC_BASE_URL", None)
    env.pop("TWILIO_ACCOUNT_SID", None)  # no credentials: messages go to the local outbox
    worker_log = (tmp / "worker.log").open("wb")
    procs: list[subprocess.Popen[bytes]] = []

    def start_worker() -> None:
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "workers"],  # exactly the Procfile's worker
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        )

    if worker_during_load:
        start_worker()
    out: list[str] = [
        f"nightdesk bench voice: {calls} scripted calls per server ({len(SCRIPT)} answers + "
        f"start + status), {concurrency} connections, gunicorn.conf.py with {workers} workers "
        f"x {threads} threads, {os.cpu_count()} CPUs, loopback, RQ worker "
        f"{'running during' if worker_during_load else 'started after'} the load"
    ]
    redis_pid = int(redis.info("server")["process_id"])
    worker_pids = {"RQ worker": procs[0].pid} if procs else {}
    try:
        port = _free_port()
        with _gunicorn("nightdesk.bench_voice:bare_app()", env, port, workers, threads) as web:
            Driver(port, sign=False).run(range(concurrency), concurrency)  # warm-up
            bare = Driver(port, sign=False)
            meter = CpuMeter(web=web.pid, driver=os.getpid())
            bare_line, bare_rps = _line(
                "bare TwiML endpoint", bare, bare.run(range(calls), concurrency)
            )
            bare_cpu = meter.per_request(len(bare.latencies))
        out += [bare_line, "  " + bare_cpu]
        port = _free_port()
        with _gunicorn("nightdesk.bench_voice:nightdesk_app()", env, port, workers, threads) as web:
            Driver(port, sign=True).run(range(calls, calls + concurrency), concurrency)  # warm-up
            ours = Driver(port, sign=True, check=True)
            meter = CpuMeter(web=web.pid, driver=os.getpid(), redis=redis_pid, **worker_pids)
            first = calls + concurrency
            ours_line, ours_rps = _line(
                "nightdesk voice line", ours, ours.run(range(first, first + calls), concurrency)
            )
            out += [ours_line, "  " + meter.per_request(len(ours.latencies))]
            p99 = _pct(ours.latencies, 99) * 1000
            out.append(
                f"throughput ratio {ours_rps / bare_rps:.2f}x bare (target >= 0.5x); "
                f"p99 {p99:.1f} ms (target <= 50 ms)"
            )
            if not procs:
                start_worker()
            jobs, secs = _drain(redis, procs[0])
            out.append(f"worker backlog after the load: {jobs} jobs, drained in {secs:.1f} s")
            first += calls
            if think > 0:  # the same connections, each a caller who takes a moment to answer
                paced = Driver(port, sign=True, check=True, think=think)
                wall = paced.run(range(first, first + 2 * concurrency), concurrency)
                first += 2 * concurrency
                out.append(
                    f"{concurrency} calls at a caller's pace ({think:g} s before each webhook): "
                    f"{len(paced.latencies) / wall:.0f} req/s, p50 "
                    f"{_pct(paced.latencies, 50) * 1000:.1f} ms, p99 "
                    f"{_pct(paced.latencies, 99) * 1000:.1f} ms, errors {paced.errors}"
                )
            lat = _hangup_latency(db_path, port, hangups, first)
            out.append(
                f"hang-up -> ticket stored (calls one at a time): {len(lat)} calls, p50 "
                f"{statistics.median(lat) * 1000:.0f} ms, p95 {_pct(lat, 95) * 1000:.0f} ms"
                " (target <= 1000 ms)"
            )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        worker_log.close()
        if any("Traceback" in line for line in (tmp / "worker.log").open(errors="replace")):
            out.append(f"worker errors: see {tmp / 'worker.log'}")
            tmp = Path("/nonexistent")  # keep the log for reading
        redis.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    click.echo("\n".join(out))
