"""`nightdesk bench faults`: the product under crashes, with real processes, and what was lost.

Starts a real redis-server (AOF everysec, noeviction), a migrated SQLite database, gunicorn
with the production settings (gunicorn.conf.py), `python -m workers` under the same supervisor
`nightdesk serve` uses, and a local stand-in for api.twilio.com that records every SMS it
accepts and lists them back (as Twilio's Messages list does). A clinic that never opens and
pages the on-call vet for every emergency. Then each scenario, and its figures:
- worker kill -9 at random points while calls hang up: calls without a ticket, messages and
  pages never sent (lost), the same SMS accepted twice (duplicates), seconds to recover;
- the commit-then-enqueue crash: the filing job is killed (SIGKILL) right after its commit,
  before it enqueues the ER SMS and the page: is the page delivered, and when;
- Twilio refusing every page to the on-call vet (HTTP 500, for good): the page row `failed`,
  a `send_failed` event on the ticket page, the backup paged, and when;
- Redis killed during calls: webhook latency (max), valid TwiML, and tickets once it is back.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

import click
from sqlalchemy import create_engine

from nightdesk.bench_voice import script_for
from nightdesk.fault_stack import (
    BACKUP,
    EMERGENCY,
    PRIMARY,
    Stack,
    call,
    settled,
    stack,
    wait_until,
)


def worker_kills(s: Stack, rounds: int, calls: int, *, seed: int = 1) -> list[str]:
    """Kill -9 the worker at a random moment while `calls` calls hang up, `rounds` times."""
    from redis import Redis
    from rq.job import Job
    from rq.serializers import JSONSerializer

    conn = Redis.from_url(s.redis.url)
    rng = random.Random(seed)
    recoveries: list[float] = []
    in_hand: list[str] = []
    abandoned: list[tuple[str, float]] = []
    placed = 0
    emergencies = 0
    ready_at = time.monotonic()
    for n in range(rounds):
        s.wait_worker_ready()
        # A worker that dies within 10 s of its start is restarted with back-off (a crash loop);
        # these kills come to a worker that has been up a while.
        time.sleep(max(0.0, 12 - (time.monotonic() - ready_at)))
        d = s.driver()  # new connections: gunicorn closes idle keep-alive ones after 30 s
        threads = []
        for i in range(calls):
            emergency = i % 3 == 0
            script = EMERGENCY if emergency else script_for(rng.randrange(10**6))
            emergencies += emergency
            threads.append(threading.Thread(target=call, args=(d, script), kwargs={"think": 0.3}))
        for t in threads:
            t.start()
        if n % 2:  # a random moment of the calls, filing and sending
            time.sleep(rng.uniform(0.5, 3.5))
        else:  # the moment a job is seen running (it takes tens of ms: rarely hit at random)
            wait_until(lambda: bool(conn.zcard("rq:wip:nightdesk")), timeout=8, step=0.002)
        restarts = s.supervisor.restarts
        running = [str(m, "utf-8").split(":")[0] for m in conn.zrange("rq:wip:nightdesk", 0, -1)]  # type: ignore[arg-type]
        waiting = conn.llen("rq:queue:nightdesk")
        os.kill(s.worker_pid(), signal.SIGKILL)
        killed = time.monotonic()
        in_hand.append(f"{len(running)}+{waiting}")
        abandoned += [(jid, killed) for jid in running]
        wait_until(lambda: bool(s.supervisor.restarts > restarts), timeout=60)  # noqa: B023
        ready_at = time.monotonic()
        for t in threads:
            t.join()
        placed += calls

        def recovered(n: int = placed) -> bool:
            return bool(
                s.scalar("select count(*) from contact where ticket_id is not null") >= n
                and settled(s)[1] == 0
                and len(s.twilio.sms_to(PRIMARY)) >= s.scalar("select count(*) from page")
            )

        took = wait_until(recovered, timeout=180)
        recoveries.append((time.monotonic() - killed) if took is not None else float("nan"))
        # The next kill only once the interrupted job has run again (else kills 14 s apart
        # keep interrupting the same retried job).
        for jid in running:
            job = Job.fetch(jid, connection=conn, serializer=JSONSerializer)
            wait_until(lambda j=job: j.get_status(refresh=True) == "finished", timeout=120)  # type: ignore[misc]
    reruns = []
    for jid, at in abandoned:  # the job the kill interrupted: when did it run to the end?
        job = Job.fetch(jid, connection=conn, serializer=JSONSerializer)

        def finished(j: Job = job) -> bool:
            return bool(j.get_status(refresh=True) == "finished")

        wait_until(finished, timeout=120)
        job.refresh()
        name = (job.func_name or "?").rsplit(".", 1)[-1]
        if job.get_status() != "finished" or job.ended_at is None:
            reruns.append(f"{name} {job.get_status()}")
            continue
        killed_at = time.time() - (time.monotonic() - at)
        reruns.append(f"{name} {job.ended_at.timestamp() - killed_at:.0f} s")
    filed = int(s.scalar("select count(*) from contact where ticket_id is not null"))
    total, open_ = settled(s)
    failed = int(s.scalar("select count(*) from outbound_message where status = 'failed'"))
    pages = int(s.scalar("select count(*) from page"))
    paged = len(s.twilio.sms_to(PRIMARY))
    lost = (placed - filed) + open_ + failed + max(0, pages - paged)
    return [
        f"worker kill -9: {rounds} kills during {placed} calls, every other one the moment a "
        f"job was running, the others at a random moment; the next kill once the work is done "
        f"({emergencies} emergencies, each an ER SMS and a page; the others a callback SMS; "
        "callers answer 0.3 s after each prompt)",
        "  jobs running+queued in Redis at each kill: " + ", ".join(in_hand),
        "  each interrupted job ran again and finished, after the kill: "
        + (", ".join(reruns) or "none interrupted")
        + " (target <= 60 s)",
        f"  calls filed {filed}/{placed}, messages sent {total - open_ - failed}/{total}, "
        f"pages delivered {paged}/{pages}; lost {lost}, duplicates {s.twilio.duplicates()}",
        "  recovery (kill -> every call filed, every message sent): "
        + ", ".join(f"{r:.0f} s" for r in recoveries)
        + f"; max {max(recoveries):.0f} s (target <= 90 s); worker restarts "
        f"{s.supervisor.restarts}",
    ]


def crash_after_commit(s: Stack) -> list[str]:
    """The filing job is killed right after its commit, before it enqueues anything."""
    s.wait_worker_ready()
    d = s.driver()
    caller = "+15555557001"
    call(d, EMERGENCY, caller)
    took = wait_until(lambda: bool(s.twilio.sms_to(PRIMARY)), timeout=180)
    wait_until(lambda: bool(s.twilio.sms_to(caller)), timeout=30)
    died = (s.tmp / "crashed").exists()
    er = bool(s.twilio.sms_to(caller))
    page_status = s.rows("select status from outbound_message where purpose = 'page'")
    return [
        "commit-then-enqueue crash: the filing job killed (SIGKILL) after its commit, before "
        f"its enqueues ({'crashed as planned' if died else 'DID NOT CRASH'})",
        f"  page delivered {'yes' if took is not None else 'NO'}"
        + (f" {took:.0f} s after the hang-up" if took is not None else "")
        + f" (target <= 90 s); ER SMS to the caller {'delivered' if er else 'NOT delivered'}; "
        f"page rows {[r[0] for r in page_status]}; worker restarts {s.supervisor.restarts}; "
        f"duplicates {s.twilio.duplicates()}",
    ]


def twilio_down_for_the_vet(s: Stack) -> list[str]:
    """Twilio answers 500 to every SMS to the on-call vet, for good."""
    s.twilio.refuse.add(PRIMARY)
    s.wait_worker_ready()
    d = s.driver()
    call(d, EMERGENCY, "+15555557002")
    took = wait_until(lambda: bool(s.twilio.sms_to(BACKUP)), timeout=300)
    status = s.rows(
        "select status, attempts from outbound_message where purpose = 'page' order by id"
    )
    events = s.rows("select kind from ticket_event order by id")
    kinds = [e[0] for e in events]
    visible = _ticket_page_shows(s, "send_failed")
    return [
        "Twilio failing for good (HTTP 500 to every SMS to the on-call vet):",
        f"  page rows (status, attempts) {[tuple(r) for r in status]}; ticket events "
        f"send_failed {kinds.count('send_failed')}, escalated_page {kinds.count('escalated_page')}",
        f"  backup paged {'yes' if took is not None else 'NO'}"
        + (f" {took:.0f} s after the hang-up" if took is not None else "")
        + f"; failure shown on the ticket page {'yes' if visible else 'NO'}; "
        f"refused sends {s.twilio.refused}",
    ]


def redis_outage(
    s: Stack, calls: int, down: float, *, seed: int = 2, freeze: bool = False
) -> list[str]:
    """Calls keep coming while redis-server is killed (or frozen: SIGSTOP) for `down` seconds,
    then restarted (SIGCONT)."""
    rng = random.Random(seed)
    d = s.driver()
    s.wait_worker_ready()
    bad: list[str] = []
    lock = threading.Lock()
    placed: list[str] = []

    def one(i: int) -> None:
        time.sleep(i * 0.4)  # a call starts every 0.4 s, before, during and after the outage
        script = EMERGENCY if i % 4 == 0 else script_for(rng.randrange(10**6))
        try:
            sid = call(d, script, think=0.3)
            with lock:
                placed.append(sid)
        except ET.ParseError:
            with lock:
                bad.append("invalid TwiML")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(calls)]
    for t in threads:
        t.start()
    time.sleep(calls * 0.4 * 0.3)
    if freeze:
        assert s.redis.proc is not None
        s.redis.proc.send_signal(signal.SIGSTOP)
        time.sleep(down)
        s.redis.proc.send_signal(signal.SIGCONT)
    else:
        s.redis.kill()
        time.sleep(down)
        s.redis.start()
    back = time.monotonic()
    for t in threads:
        t.join()
    # Up to 4 min: the reconciler files what Redis kept once a conversation is 2 min quiet.
    took = wait_until(
        lambda: s.scalar("select count(*) from contact where ticket_id is not null") >= calls,
        timeout=240,
    )
    after = time.monotonic() - back
    wait_until(lambda: settled(s)[1] == 0, timeout=60)
    filed = int(s.scalar("select count(*) from contact where ticket_id is not null"))
    emergencies = int(s.scalar("select count(*) from ticket where disposition = 'emergency'"))
    er_sms = int(s.scalar("select count(*) from outbound_message where purpose = 'er_details'"))
    total, open_ = settled(s)
    lat = sorted(d.latencies)
    return [
        f"Redis {'frozen (SIGSTOP)' if freeze else 'killed'} for {down:.0f} s while {calls} "
        "calls came in (one every 0.4 s, a caller "
        "answering 0.3 s after each prompt; every 4th an emergency):",
        f"  webhooks {len(lat)}: max {lat[-1] * 1000:.0f} ms (target <= 2000 ms), p99 "
        f"{lat[int(len(lat) * 0.99) - 1] * 1000:.0f} ms; non-200 {d.errors}; invalid TwiML "
        f"{len(bad)}",
        f"  calls filed {filed}/{calls}"
        + (f" (the last {after:.0f} s after Redis was back)" if took is not None else "")
        + f"; lost {calls - filed}; emergency tickets {emergencies}, ER SMS {er_sms}, "
        f"messages sent {total - open_}/{total}, duplicates {s.twilio.duplicates()}",
    ]


def _ticket_page_shows(s: Stack, word: str) -> bool:
    """Log in to the dashboard as a new admin and look for `word` on the failed page's ticket."""
    import http.cookiejar
    import re
    import urllib.request
    from urllib.parse import urlencode

    from sqlalchemy.orm import Session

    from tickets.users import create_user

    tid = s.scalar("select min(ticket_id) from outbound_message where status = 'failed'")
    if tid is None:
        return False
    engine = create_engine(s.db_url)
    with Session(engine) as session:
        create_user(session, "bench", "bench-password-123", role="admin")
        session.commit()
    engine.dispose()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    base = f"http://127.0.0.1:{s.port}"
    login = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    form = {"username": "bench", "password": "bench-password-123"}
    form["csrf_token"] = token.group(1) if token else ""
    opener.open(f"{base}/login", urlencode(form).encode()).read()
    html = opener.open(f"{base}/tickets/{tid}").read().decode()
    return word in html


@click.command("faults")
@click.option("--rounds", default=5, show_default=True, help="worker kills")
@click.option("--calls", default=12, show_default=True, help="calls per kill")
@click.option(
    "--only",
    type=click.Choice(["kill", "commit", "twilio", "redis", "freeze"]),
    multiple=True,
    help="run only these scenarios (default: all)",
)
def faults(rounds: int, calls: int, only: tuple[str, ...]) -> None:
    """Crash the product with real processes and print what was lost, duplicated, and when."""
    want = set(only) or {"kill", "commit", "twilio", "redis", "freeze"}
    out = [
        f"nightdesk bench faults: redis-server, gunicorn (1 x 4), python -m workers under "
        f"nightdesk serve's supervisor, a local Twilio API; {os.cpu_count()} CPUs"
    ]
    if "kill" in want:
        with stack() as s:
            out += worker_kills(s, rounds, calls)
    if "commit" in want:
        with stack(worker=False) as s:
            s.start_worker("nightdesk.bench_faults")
            out += crash_after_commit(s)
    if "twilio" in want:
        with stack() as s:
            out += twilio_down_for_the_vet(s)
    if "redis" in want:
        with stack() as s:
            out += redis_outage(s, calls=30, down=6)
    if "freeze" in want:
        with stack() as s:
            out += redis_outage(s, calls=30, down=6, freeze=True)
    click.echo("\n".join(out))


def crashing_worker() -> None:
    """`python -m nightdesk.bench_faults`: `python -m workers` whose first filing job kills
    its own process (SIGKILL) right after its commit, before it enqueues the sends."""
    from config.settings import Settings

    marker = Settings.from_env().data_dir / "crashed"
    if not marker.exists():
        from workers import tickets

        def die(*args: Any, **kwargs: Any) -> None:
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)

        tickets.enqueue_outbound = die  # type: ignore[assignment]
        from workers import paging

        paging.dispatch = die  # type: ignore[assignment]
    from workers.__main__ import main

    main([])


if __name__ == "__main__":
    crashing_worker()
