"""`nightdesk serve`: the whole product on one machine (web, worker, embedded Redis, SQLite)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

import click

from config.hours import Hours
from config.logs import setup_logging
from config.policy import Policies
from config.settings import Settings, SettingsError
from nightdesk.services import Services, build_services, redis_url_of, stop_embedded_redis
from tickets import db

log = logging.getLogger("nightdesk.serve")


def _banner(settings: Settings, url: str, redis_url: str, admin: tuple[str, str] | None) -> str:
    lines = [
        "",
        f"Nightdesk is running at {url}",
        f"  database   {settings.sqlalchemy_url.split('@')[-1]}",
        f"  redis      {redis_url}" + ("  (embedded)" if not settings.redis_url else ""),
        f"  policy     {settings.policy_path}",
        "  twilio     "
        + (
            "live REST API"
            if settings.twilio_live
            else "no account: outgoing SMS/calls go to the outbox (`nightdesk outbox`)"
        ),
        "",
        f"  dashboard  {url}/login",
    ]
    if admin:
        lines.append(f"             first admin created: user {admin[0]!r}, password {admin[1]!r}")
    lines += [
        f"  webhooks   {url}/voice  (voice, status callback {url}/voice/status)",
        f"             {url}/sms    (messaging)",
        "",
        f"  try it     .venv/bin/nightdesk call --url {url}   (a phone call, typed)",
        f"             .venv/bin/nightdesk text --url {url}   (an SMS thread)",
        "             .venv/bin/nightdesk outbox                         (what was sent)",
        "",
    ]
    return "\n".join(lines)


def _first_admin(services: Services) -> tuple[str, str] | None:
    from tickets.users import ensure_first_admin

    with services.session() as session:
        return ensure_first_admin(session)


def run_worker_process(
    env: dict[str, str], *, after_hours: bool = False
) -> subprocess.Popen[bytes]:
    module = "nightdesk.cmd_serve" if after_hours else "workers"  # see after_hours_worker()
    return subprocess.Popen([sys.executable, "-m", module], env=env)


class WorkerSupervisor:
    """Keeps one worker process running: a worker that exits (kill -9, a crash) is started
    again, at once if it had run STEADY seconds, else with back-off up to MAX_DELAY."""

    STEADY = 10.0
    MAX_DELAY = 30.0

    def __init__(self, spawn: Callable[[], subprocess.Popen[bytes]]) -> None:
        self._spawn = spawn
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> WorkerSupervisor:
        with self._lock:
            self.process = self._spawn()
        self._thread.start()
        return self

    def _run(self) -> None:
        delay = 1.0
        while True:
            with self._lock:
                proc = self.process
            assert proc is not None
            started = time.monotonic()
            code = proc.wait()
            if self._stop.is_set():
                return
            delay = 1.0 if time.monotonic() - started > self.STEADY else delay
            log.warning("worker process %s exited (%s): restart in %.0f s", proc.pid, code, delay)
            if self._stop.wait(delay):
                return
            with self._lock:
                if self._stop.is_set():
                    return
                self.process = self._spawn()
                self.restarts += 1
            delay = min(delay * 2, self.MAX_DELAY)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop supervising and end the worker (SIGTERM, then SIGKILL after `timeout`)."""
        self._stop.set()
        with self._lock:
            proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--no-worker", is_flag=True, help="Do not start an RQ worker process.")
    @click.option(
        "--after-hours",
        is_flag=True,
        help="Treat every clinic as closed for this session (to try the triage line by day).",
    )
    def serve(host: str, port: int, no_worker: bool, after_hours: bool) -> None:
        """Run the web app, an RQ worker and an embedded Redis on SQLite, in one command."""
        setup_logging()  # numbers masked, the twilio library's request logging off
        try:
            settings = Settings.from_env()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        services = build_services(settings)
        if after_hours:
            services.policies = closed_all_session(services.policies)
        db.upgrade(services.engine)
        redis_url = redis_url_of(services.redis)
        admin = _first_admin(services)
        worker = None
        if not no_worker:
            env = dict(
                os.environ,
                REDIS_URL=redis_url,
                NIGHTDESK_DATA_DIR=str(Path(settings.data_dir).resolve()),
            )
            worker = WorkerSupervisor(
                lambda: run_worker_process(env, after_hours=after_hours)
            ).start()
        from werkzeug.serving import run_simple

        from ivr import create_app

        app = create_app(services)
        click.echo(_banner(settings, f"http://{host}:{port}", redis_url, admin))
        if after_hours:
            click.echo("  after hours: every clinic is closed for this session (--after-hours)\n")
        # SIGTERM (a process manager, `kill`) cleans up like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            if worker is not None:
                worker.stop(timeout=10)
            services.engine.dispose()
            if not settings.redis_url:
                stop_embedded_redis(services.redis)


# `serve --after-hours` ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ClosedNow(Hours):
    """A clinic's hours, except that it is not open at any moment of this session; deadlines
    still count from its real next opening."""

    def current(self, at: datetime) -> tuple[datetime, datetime] | None:
        return None


def closed_all_session(policies: Policies) -> Policies:
    """The same clinics, each closed for now: every call and text reaches the triage line."""
    closed = []
    for policy in policies.all:
        hours = policy.schedule
        if hours is not None:
            now_closed = _ClosedNow(**{f.name: getattr(hours, f.name) for f in fields(hours)})
            policy = replace(policy, schedule=now_closed)
        closed.append(policy)
    return Policies(closed)


def after_hours_worker() -> None:
    """`python -m nightdesk.cmd_serve`: the worker of `serve --after-hours` (`python -m workers`
    with the same closed clinics, so the jobs file, promise and page as the line answered)."""
    from workers import context
    from workers.__main__ import main

    services = build_services(Settings.from_env())
    services.policies = closed_all_session(services.policies)
    context.install(services)
    main(sys.argv[1:])  # `python -m workers`' options (--burst, --fork, --no-scheduler)


if __name__ == "__main__":
    after_hours_worker()
