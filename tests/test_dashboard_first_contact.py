"""First contact: the login page's stylesheet and script need no login; `nightdesk serve
--after-hours` sends every call to the triage line, in the web app and in its worker alike."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from config.policy import Policies
from config.settings import Settings
from nightdesk import cmd_serve
from nightdesk.services import Services, redis_url_of
from tests.test_voice_calls import Twiml

DAY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 10:00 in Chicago: the clinic is open
ROOT = Path(__file__).resolve().parents[1]


def test_the_login_page_and_its_assets_need_no_login(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', page)
    assert sorted(assets) == ["/static/dashboard.css", "/static/dashboard.js"]
    for url in assets:
        with client.get(url) as r:  # a file response: closed after reading
            assert r.status_code == 200, url
            assert r.mimetype in ("text/css", "text/javascript", "application/javascript")
            assert len(r.get_data()) > 500
    with client.get("/static/dashboard.css") as r:
        assert b".login {" in r.get_data()
    with client.get("/static/nothing.css") as r:
        assert r.status_code == 404
    # the pages themselves still need a login
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def _serve(settings: Settings, redis_url: str, *args: str) -> tuple[Flask, str]:
    """Run `nightdesk serve ARGS --no-worker` up to the web server; return its app and output."""
    served: dict[str, Any] = {}

    def run_simple(host: str, port: int, app: Flask, **_: Any) -> None:
        served["app"] = app

    cli = click.Group()
    cmd_serve.register(cli)
    runner = CliRunner(
        env={
            "DATABASE_URL": settings.database_url,
            "NIGHTDESK_DATA_DIR": str(settings.data_dir),
            "REDIS_URL": redis_url,
            "TWILIO_AUTH_TOKEN": None,
            "TWILIO_ACCOUNT_SID": None,
            "NIGHTDESK_ENV": None,
        }
    )
    sigterm = signal.getsignal(signal.SIGTERM)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("werkzeug.serving.run_simple", run_simple)
        try:
            result = runner.invoke(cli, ["serve", "--no-worker", *args])
        finally:
            signal.signal(signal.SIGTERM, sigterm)
    assert result.exit_code == 0, result.output
    return served["app"], result.output


def _incoming_call(app: Flask) -> Twiml:
    app.config["NIGHTDESK_CLOCK"] = lambda: DAY
    form = {
        "CallSid": "CA" + "4" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": "+15555550123",
        "To": "+15555550100",
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    r = app.test_client().post("/voice", data=form)
    return Twiml(r.status_code, r.content_type, r.get_data(as_text=True))


def test_serve_after_hours_answers_a_daytime_call_with_the_triage_line(
    settings: Settings, services: Services
) -> None:
    redis_url = redis_url_of(services.redis)
    app, _ = _serve(settings, redis_url)
    open_hours = _incoming_call(app)
    assert open_hours.dialled == "+15555550101" and open_hours.gather is None  # the front desk

    app, output = _serve(settings, redis_url, "--after-hours")
    assert "every clinic is closed for this session" in output
    reply = _incoming_call(app)
    assert reply.status == 200 and reply.dial is None and reply.gather is not None
    policy = app.extensions["nightdesk"].policies.default
    assert not policy.is_open(DAY)
    # deadlines still count from the clinic's real next opening (Wednesday 08:00)
    assert policy.callback_due("urgent", DAY) == datetime(2026, 11, 25, 8, 30, tzinfo=policy.tz)


def test_the_after_hours_worker_sees_the_same_closed_clinics(
    settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    with monkeypatch.context() as mp:
        mp.setattr(cmd_serve.subprocess, "Popen", lambda args, env: started.append(args))
        cmd_serve.run_worker_process({}, after_hours=True)
        cmd_serve.run_worker_process({})
    assert started == [
        [sys.executable, "-m", "nightdesk.cmd_serve"],
        [sys.executable, "-m", "workers"],
    ]
    # the module run that way: a worker (burst mode here) over the closed clinics
    env = dict(
        os.environ,
        DATABASE_URL=settings.database_url or "",
        NIGHTDESK_DATA_DIR=str(settings.data_dir),
        REDIS_URL=redis_url_of(services.redis),
        PYTHONPATH=str(ROOT),
    )
    probe = (
        "import sys, workers.__main__ as w\n"
        "from workers import context\n"
        "from datetime import datetime, UTC\n"
        "def main(argv):\n"
        "    policies = context.services().policies\n"
        f"    print('open:', policies.default.is_open(datetime({DAY.year}, {DAY.month}, "
        f"{DAY.day}, {DAY.hour}, tzinfo=UTC)), argv)\n"
        "w.main = main\n"
        "from nightdesk.cmd_serve import after_hours_worker\n"
        "after_hours_worker()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "open: False []"


def test_closing_keeps_every_clinic_and_its_real_openings(services: Services) -> None:
    policies = services.policies
    closed = cmd_serve.closed_all_session(policies)
    assert isinstance(closed, Policies)
    assert [p.clinic_id for p in closed.all] == [p.clinic_id for p in policies.all]
    real, now_closed = policies.default, closed.default
    assert real.is_open(DAY) and not now_closed.is_open(DAY)
    assert now_closed.closes_at(DAY) is None
    assert now_closed.next_open(DAY) == real.next_open(DAY)
    assert now_closed.on_call(DAY) == real.on_call(DAY)
