"""`nightdesk bench queue`: seed 100,000 tickets, time the queue page and the API list.

On SQLite (a temporary file) and, when 127.0.0.1:5432 answers, PostgreSQL (a scratch database that
is created and dropped). The server time is measured around the WSGI call (Flask's test client:
the whole request, template rendering included, no network), logged in as a CSR, first page,
default filters.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import create_engine, insert, text

from config.settings import DEFAULT_POLICY_DIR, Settings
from tickets import db
from tickets.models import DISPOSITIONS, Ticket, utcnow

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 100.0
PETS = ["Biscuit", "Luna", "Milo", "Bella", "Rocky", "Daisy", "Max", "Pepper", "Coco", "Nala"]


def seed(url: str, count: int, *, active_share: float = 0.02, chunk: int = 5000) -> float:
    """Bulk-insert `count` tickets over the past year; recent ones still open. Returns seconds."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(7)
    now = utcnow()
    start = time.perf_counter()
    with engine.begin() as conn:
        rows: list[dict[str, Any]] = []
        for i in range(count):
            active = i >= count * (1 - active_share)
            age = (
                timedelta(minutes=rng.randint(0, 600))
                if active
                else timedelta(days=rng.uniform(1, 365))
            )
            created = now - age
            rank = rng.choices([0, 1, 2], weights=[6, 3, 1])[0]
            pet = rng.choice(PETS)
            rows.append(
                dict(
                    clinic_id="maple-street",
                    caller=f"+1555555{i % 10000:04d}",
                    callback_number=f"+1555555{i % 10000:04d}",
                    channel="voice",
                    disposition=DISPOSITIONS[rank],
                    disposition_rank=rank,
                    red_flags=[],
                    reasons=[],
                    symptoms=[{"code": "vomiting", "text": "vomiting", "negated": False}],
                    onset=None,
                    species="dog",
                    patient={"name": pet},
                    exposures=[],
                    flags=[],
                    intent="sick_pet",
                    summary=f"{pet}, a dog, has been vomiting.",
                    transcript=[{"role": "caller", "text": f"{pet} keeps throwing up"}],
                    pet_key=f"dog:{pet.lower()}",
                    status="open" if active else "resolved",
                    outcome=None if active else "advice_given",
                    due_at=created + timedelta(hours=rng.randint(1, 14)),
                    created_at=created,
                    updated_at=created,
                )
            )
            if len(rows) == chunk:
                conn.execute(insert(Ticket), rows)
                rows = []
        if rows:
            conn.execute(insert(Ticket), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - start


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    """(median, p95) in milliseconds, after two warm-up calls."""
    for _ in range(2):
        call()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(url: str, data_dir: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Server time of the queue page and the API list against one seeded database."""
    from ivr import create_app
    from nightdesk.services import build_services, start_embedded_redis
    from tickets.users import create_user

    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        policy_path=DEFAULT_POLICY_DIR,
        secret_key="bench",
        api_token="bench-token",
        dev=True,
    )
    redis = start_embedded_redis(data_dir / "redis")
    services = build_services(settings, redis=redis)
    try:
        with services.session() as s:
            create_user(s, "bench", "bench-password-1", "csr")
            s.commit()
        app = create_app(services)
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        m = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert m
        client.post(
            "/login",
            data={"username": "bench", "password": "bench-password-1", "csrf_token": m.group(1)},
        )

        def queue_page() -> None:
            r = client.get("/")
            assert r.status_code == 200 and b"data-id=" in r.data

        def api_list() -> None:
            r = client.get("/api/tickets", headers={"Authorization": "Bearer bench-token"})
            assert r.status_code == 200 and len(r.get_json()["tickets"]) == 50

        def all_statuses() -> None:
            r = client.get("/?status=all&page=3")
            assert r.status_code == 200 and b"data-id=" in r.data

        return {
            "queue page  GET /": timed(queue_page, runs),
            "API list    GET /api/tickets": timed(api_list, runs),
            "all 100k    GET /?status=all&page=3": timed(all_statuses, runs),
        }
    finally:
        services.engine.dispose()
        redis.shutdown()


@contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """A scratch PostgreSQL database (dropped afterwards), or None when no server answers."""
    try:
        admin = create_engine(
            PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2}
        )
        with admin.connect():
            pass
    except Exception:  # noqa: BLE001 - any failure means "not available"
        yield None
        return
    name = f"nightdesk_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@click.command("queue")
@click.option("--tickets", "count", default=100_000, show_default=True)
@click.option("--runs", default=30, show_default=True, help="Timed requests per endpoint.")
@click.option("--postgres/--no-postgres", default=True, show_default=True)
def queue(count: int, runs: int, postgres: bool) -> None:
    """Seed tickets and time the queue page and the API list (target <= 100 ms)."""
    failed = False
    with tempfile.TemporaryDirectory(prefix="nightdesk-bench-") as tmp:
        backends: list[tuple[str, Any]] = [("sqlite", lambda: _sqlite(Path(tmp)))]
        if postgres:
            backends.append(("postgresql", scratch_postgres))
        for name, make in backends:
            with make() as url:
                if url is None:
                    click.echo(f"{name}: no server on 127.0.0.1:5432, skipped")
                    continue
                secs = seed(url, count)
                click.echo(f"{name}: seeded {count:,} tickets in {secs:.1f} s")
                data_dir = Path(tmp) / name
                for label, (p50, p95) in measure(url, data_dir, runs).items():
                    ok = p95 <= TARGET_MS
                    failed |= not ok
                    click.echo(
                        f"  {label:<36} median {p50:6.1f} ms   p95 {p95:6.1f} ms   "
                        f"{'OK' if ok else 'OVER'} (target {TARGET_MS:.0f} ms)"
                    )
    if failed:
        raise SystemExit(1)


@contextmanager
def _sqlite(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'bench.sqlite3'}"
