"""`nightdesk bench queue`: seed 100,000 tickets, time the queue page, the API list and the
night report.

On SQLite (a temporary file) and, when 127.0.0.1:5432 answers, PostgreSQL (a scratch database that
is created and dropped). The server time is measured around the WSGI call (Flask's test client:
the whole request, template rendering included, no network): the queue logged in as a CSR, first
page, default filters; the report logged in as an admin, last night and then a whole year (every
seeded ticket, with its contact, events, pages and ER texts).
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
from tickets.models import (
    DISPOSITIONS,
    Contact,
    OutboundMessage,
    Page,
    Ticket,
    TicketEvent,
    utcnow,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 100.0
REPORT_TARGET_MS = 300.0
PETS = ["Biscuit", "Luna", "Milo", "Bella", "Rocky", "Daisy", "Max", "Pepper", "Coco", "Nala"]
# (red flags, reasons) per disposition: what the report breaks down per flag and per rule id
FINDINGS: dict[str, list[tuple[list[str], list[str]]]] = {
    "emergency": [
        (["toxin"], ["emergency: 'ate chocolate' is toxin exposure [toxin.exposure]"]),
        (["trauma"], ["emergency: 'hit by a car' is trauma [trauma.injury]"]),
        (["breathing"], ["emergency: 'gasping' is trouble breathing [breathing.distress]"]),
    ],
    "urgent": [([], ["urgent: 'vomiting' is repeated or ongoing vomiting [urgent.vomiting]"])],
    "routine": [([], ["routine: 'itchy' is skin [routine.skin]"])],
}
OUTCOMES = ["er_that_night", "seen_today", "advice_given", "could_not_reach", "other"]


def _rows(i: int, count: int, active_share: float, rng: random.Random, now: Any) -> dict[str, Any]:
    """One ticket and what the line and the desk left around it: its contact, events, page and
    ER text (each table's rows under its own key)."""
    tid = i + 1
    active = i >= count * (1 - active_share)
    age = timedelta(minutes=rng.randint(0, 600)) if active else timedelta(days=rng.uniform(1, 365))
    created = now - age
    rank = rng.choices([0, 1, 2], weights=[6, 3, 1])[0]
    disposition = DISPOSITIONS[rank]
    flags, reasons = rng.choice(FINDINGS[disposition])
    pet = rng.choice(PETS)
    caller = f"+1555555{i % 10000:04d}"
    due = created + timedelta(hours=rng.randint(1, 14))
    key = f"call:B{i:06d}"
    ticket = dict(
        id=tid, clinic_id="maple-street", caller=caller, callback_number=caller,
        channel="voice", disposition=disposition, disposition_rank=rank, red_flags=flags,
        reasons=reasons, symptoms=[{"code": "vomiting", "text": "vomiting", "negated": False}],
        onset=None, species="dog", patient={"name": pet}, exposures=[], flags=[],
        intent="sick_pet", summary=f"{pet}, a dog, has been vomiting.",
        transcript=[{"role": "caller", "text": f"{pet} keeps throwing up"}],
        pet_key=f"dog:{pet.lower()}", status="open" if active else "resolved",
        outcome=None if active else rng.choice(OUTCOMES), due_at=due, created_at=created,
        updated_at=created,
    )  # fmt: skip
    ended = rng.choices(["completed", "hangup", "transfer"], weights=[80, 12, 8])[0]
    contact = dict(
        source_key=key, ticket_id=tid, channel=rng.choice(["voice", "voice", "sms"]),
        caller=caller, disposition=disposition, verdict={}, transcript=[], ended_reason=ended,
        created_at=created,
    )  # fmt: skip
    events = [dict(ticket_id=tid, at=created, actor="system", kind="filed", detail={})]
    if not active:
        done = due + timedelta(minutes=rng.randint(-300, 90))
        done = max(done, created + timedelta(minutes=5))
        events += [
            dict(ticket_id=tid, at=done, actor="user:1", kind=kind, detail={})
            for kind in ("claimed", "attempt", "resolved")
        ]
    out: dict[str, Any] = {"ticket": ticket, "contact": contact, "events": events}
    if disposition == "emergency":
        status = rng.choices(["acked", "escalated", "sent"], weights=[7, 2, 1])[0]
        acked = created + timedelta(minutes=rng.randint(1, 30)) if status == "acked" else None
        out["page"] = dict(
            key=f"page:{tid}:primary", ticket_id=tid, clinic_id="maple-street", person="reyes",
            phone="+15555550142", level="primary", status=status, sent_at=created,
            acked_at=acked,
        )  # fmt: skip
        out["text"] = dict(
            key=f"{key}:er_details", clinic_id="maple-street", ticket_id=tid, kind="sms",
            purpose="er_details", to=caller, from_number="+15555550100", body="ER details",
            status="sent", attempts=1, created_at=created,
        )  # fmt: skip
    return out


def seed(url: str, count: int, *, active_share: float = 0.02, chunk: int = 5000) -> float:
    """Bulk-insert `count` tickets over the past year (recent ones still open), each with its
    contact and events, and a page and an ER text for each emergency. Returns seconds."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    rng = random.Random(7)
    now = utcnow()
    start = time.perf_counter()
    tables: list[tuple[str, Any]] = [
        ("ticket", Ticket), ("contact", Contact), ("events", TicketEvent), ("page", Page),
        ("text", OutboundMessage),
    ]  # fmt: skip
    with engine.begin() as conn:
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in tables}

        def flush() -> None:
            for name, model in tables:
                if batch[name]:
                    conn.execute(insert(model), batch[name])
                    batch[name] = []

        for i in range(count):
            for name, value in _rows(i, count, active_share, rng, now).items():
                batch[name].extend(value if name == "events" else [value])
            if (i + 1) % chunk == 0:
                flush()
        flush()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))"))
            conn.execute(text("ANALYZE"))
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


def _login(client: Any, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    client.post(
        "/login", data={"username": username, "password": password, "csrf_token": m.group(1)}
    )


def measure(url: str, data_dir: Path, runs: int) -> dict[str, tuple[float, float, float | None]]:
    """Server time of the queue page, the API list and the report against one seeded database:
    label -> (median, p95, target) in milliseconds (target None: for information)."""
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
            create_user(s, "bench-admin", "bench-password-1", "admin")
            s.commit()
        app = create_app(services)
        client, admin = app.test_client(), app.test_client()
        _login(client, "bench", "bench-password-1")
        _login(admin, "bench-admin", "bench-password-1")
        today = utcnow().date()
        week = f"/report?from={today - timedelta(days=7)}&to={today - timedelta(days=1)}"
        year = f"/report?from={today - timedelta(days=366)}&to={today}"

        def queue_page() -> None:
            r = client.get("/")
            assert r.status_code == 200 and b"data-id=" in r.data

        def api_list() -> None:
            r = client.get("/api/tickets", headers={"Authorization": "Bearer bench-token"})
            assert r.status_code == 200 and len(r.get_json()["tickets"]) == 50

        def all_statuses() -> None:
            r = client.get("/?status=all&page=3")
            assert r.status_code == 200 and b"data-id=" in r.data

        def report_last_night() -> None:
            r = admin.get("/report")
            assert r.status_code == 200 and b'id="fig-calls"' in r.data

        def report_week() -> None:
            r = admin.get(week)
            assert r.status_code == 200 and b"toxin.exposure" in r.data

        def report_year() -> None:
            r = admin.get(year)
            assert r.status_code == 200 and b"toxin.exposure" in r.data

        return {
            "queue page  GET /": (*timed(queue_page, runs), TARGET_MS),
            "API list    GET /api/tickets": (*timed(api_list, runs), TARGET_MS),
            "all 100k    GET /?status=all&page=3": (*timed(all_statuses, runs), TARGET_MS),
            "report      GET /report (last night)": (
                *timed(report_last_night, runs),
                REPORT_TARGET_MS,
            ),
            "report      GET /report (the last 7 nights)": (
                *timed(report_week, runs),
                REPORT_TARGET_MS,
            ),
            "report      GET /report (a year: all 100k)": (*timed(report_year, 3), None),
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
    """Seed tickets; time the queue page and the API list (target <= 100 ms) and the night
    report (<= 300 ms)."""
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
                for label, (p50, p95, target) in measure(url, data_dir, runs).items():
                    ok = target is None or p95 <= target
                    failed |= not ok
                    verdict = (
                        "(for information)"
                        if target is None
                        else f"{'OK' if ok else 'OVER'} (target {target:.0f} ms)"
                    )
                    click.echo(
                        f"  {label:<44} median {p50:6.1f} ms   p95 {p95:6.1f} ms   {verdict}"
                    )
    if failed:
        raise SystemExit(1)


@contextmanager
def _sqlite(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'bench.sqlite3'}"
