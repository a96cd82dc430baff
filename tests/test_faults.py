"""The short fault suite (`nightdesk bench faults` is the full one): real processes crash.

The filing job of an emergency call is killed (SIGKILL, its whole worker process) right after
its commit, before it enqueues the ER SMS and the page. The supervisor of `nightdesk serve`
starts a new worker; the retried job and the outbox sweep deliver both, once, within 90 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from config.settings import Settings
from nightdesk.cmd_serve import WorkerSupervisor
from nightdesk.fault_stack import BACKUP, CLINIC, EMERGENCY, POLICY, PRIMARY, RedisServer
from nightdesk.services import build_services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE, sign
from tests.twilio_api import TwilioAPI
from tickets import db

CALLER = "+15555557001"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


def settings_for(tmp_path: Path, redis: RedisServer, twilio_api: TwilioAPI) -> Settings:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    url = f"sqlite:///{tmp_path / 'nightdesk.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    return Settings(
        data_dir=tmp_path,
        database_url=url,
        redis_url=redis.url,
        policy_path=policy,
        public_base_url=PUBLIC_BASE,
        secret_key="test-secret",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=twilio_api.url,
        twilio_timeout=5.0,
        dev=True,
    )


def worker_env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "NIGHTDESK_DATA_DIR": str(settings.data_dir),
        "NIGHTDESK_CONFIG": str(settings.policy_path),
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "TWILIO_ACCOUNT_SID": str(settings.twilio_account_sid),
        "TWILIO_AUTH_TOKEN": str(settings.twilio_auth_token),
        "TWILIO_API_BASE": str(settings.twilio_api_base),
        "NIGHTDESK_ENV": "development",
    }
    env.pop("NIGHTDESK_QUEUE", None)
    return env


def place_call(client: FlaskClient, script: list[str]) -> None:
    """An emergency call through the real voice webhooks, signed as Twilio signs them."""
    base = {"CallSid": "CA" + uuid.uuid4().hex, "From": CALLER, "To": CLINIC}

    def post(path: str, data: dict[str, str]) -> str:
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE + path, data)}
        resp = client.post(path, data=data, headers=headers)
        assert resp.status_code == 200
        return resp.get_data(as_text=True)

    body = post("/voice", {**base, "CallStatus": "ringing"})
    for line in script:
        gather = ET.fromstring(body).find("Gather")
        if gather is None:
            break
        key = "Digits" if line.isdigit() else "SpeechResult"
        body = post(gather.get("action") or "/voice", {**base, key: line, "Confidence": "0.9"})
    post("/voice/status", {**base, "CallStatus": "completed"})


def test_a_job_killed_between_its_commit_and_its_enqueue_still_pages_the_vet(
    tmp_path: Path, redis_server: RedisServer, twilio_api: TwilioAPI
) -> None:
    from ivr import create_app

    settings = settings_for(tmp_path, redis_server, twilio_api)
    log = (tmp_path / "worker.log").open("ab")
    env = worker_env(settings)
    supervisor = WorkerSupervisor(
        lambda: subprocess.Popen(
            [sys.executable, "-m", "nightdesk.bench_faults"],  # dies after its first commit
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    ).start()
    services = build_services(settings)
    try:
        client = create_app(services, test_config={"TESTING": True}).test_client()
        place_call(client, EMERGENCY)
        hung_up = time.monotonic()
        while time.monotonic() - hung_up < 90:
            sent = [m["To"] for m in twilio_api.messages()]
            if PRIMARY in sent and CALLER in sent:
                break
            time.sleep(0.5)
        took = time.monotonic() - hung_up
    finally:
        supervisor.stop(timeout=20)
        services.engine.dispose()
        log.close()
    assert (tmp_path / "crashed").exists(), "the worker did not crash where planned"
    assert supervisor.restarts == 1
    sent = [m["To"] for m in twilio_api.messages()]
    assert sent.count(PRIMARY) == 1, (sent, (tmp_path / "worker.log").read_text()[-3000:])
    assert sent.count(CALLER) == 1  # the ER details, once
    assert BACKUP not in sent
    assert took < 90, took
