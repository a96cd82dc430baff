"""Fixtures over real parts: SQLite and (when reachable) PostgreSQL, an embedded Redis server,
a real RQ worker, and a local HTTP server standing in for api.twilio.com."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import create_engine, select, text
from twilio.request_validator import RequestValidator

from config.policy import Policy, load_policy
from config.settings import DEFAULT_POLICY_DIR, Settings
from nightdesk.services import (
    Services,
    build_services,
    start_embedded_redis,
    stop_embedded_redis,
)
from tests import twilio_api as twilio_api_mod
from tickets import db as ticket_db
from tickets.models import Base, Ticket
from workers import context

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE = "https://nightdesk.example.test"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_up() -> bool:
    if os.environ.get("NIGHTDESK_TEST_NO_POSTGRES"):
        return False
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with eng.connect():
            pass
        eng.dispose()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


POSTGRES = _postgres_up()
DB_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES else [])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    server = start_embedded_redis(tmp_path_factory.mktemp("redis"))
    yield server
    stop_embedded_redis(server)


@pytest.fixture
def redis(redis_server: Redis) -> Iterator[Redis]:
    redis_server.flushall()
    yield redis_server
    redis_server.flushall()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    if not POSTGRES:
        yield None
        return
    name = f"nightdesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    eng = ticket_db.make_engine(url)
    ticket_db.upgrade(eng)
    eng.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=DB_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    if request.param == "postgresql":
        assert postgres_url
        return postgres_url
    url = f"sqlite:///{tmp_path / 'nightdesk.sqlite3'}"
    eng = ticket_db.make_engine(url)
    ticket_db.upgrade(eng)
    eng.dispose()
    return url


@pytest.fixture
def twilio_api() -> Iterator[twilio_api_mod.TwilioAPI]:
    api = twilio_api_mod.TwilioAPI()
    server = twilio_api_mod.start(api)
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def example() -> Policy:
    """The fictional example clinic of config/clinics/."""
    return load_policy(DEFAULT_POLICY_DIR / "example.yaml")


@pytest.fixture(scope="session")
def harbor() -> Policy:
    """A second clinic (New York, overnight hours, two ERs, a daily rotation)."""
    return load_policy(Path(__file__).parent / "data" / "policies" / "harbor.yaml")


@pytest.fixture
def policy_path() -> Path:
    return DEFAULT_POLICY_DIR


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, twilio_api: twilio_api_mod.TwilioAPI, policy_path: Path
) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        redis_url=None,
        policy_path=policy_path,
        public_base_url=PUBLIC_BASE,
        secret_key="test-secret",
        api_token="test-api-token",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=AUTH_TOKEN,
        twilio_api_base=twilio_api.url,
        twilio_timeout=5.0,
        dev=True,
    )


def _truncate(services: Services) -> None:
    with services.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def services(settings: Settings, redis: Redis) -> Iterator[Services]:
    svc = build_services(settings, redis=redis)
    context.install(svc)
    yield svc
    context.install(None)
    _truncate(svc)
    svc.engine.dispose()


@pytest.fixture
def app(services: Services) -> Flask:
    from ivr import create_app

    return create_app(services, test_config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def run_worker(services: Services) -> Callable[[], int]:
    """Drain the queue with a real RQ worker (in this process, burst mode); returns jobs run."""

    def run() -> int:
        worker = SimpleWorker(
            [services.queue], connection=services.redis, serializer=services.queue.serializer
        )
        worker.work(burst=True)
        return worker.successful_job_count + worker.failed_job_count

    return run


def sign(url: str, params: dict[str, Any], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


@pytest.fixture
def signed_post(client: FlaskClient) -> Callable[..., Any]:
    """POST form data to a webhook path, signed the way Twilio signs it."""

    def post(
        path: str,
        data: dict[str, Any],
        *,
        token: str = AUTH_TOKEN,
        headers: dict[str, str] | None = None,
    ) -> Any:
        all_headers = {"X-Twilio-Signature": sign(PUBLIC_BASE + path, data, token)}
        all_headers.update(headers or {})
        return client.post(path, data=data, headers=all_headers)

    return post


def tickets(services: Services) -> list[Ticket]:
    """Every ticket filed so far, in order, detached from the session (safe to read after)."""
    with services.session() as s:
        rows = list(s.scalars(select(Ticket).order_by(Ticket.id)))
        for t in rows:
            s.expunge(t)
    return rows
