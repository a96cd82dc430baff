"""Call scenarios played through the real line: a `nightdesk serve` of its own, signed webhooks.

The harness starts the whole product on embedded defaults in a temporary data dir (web app, RQ
worker, embedded Redis, SQLite), with a webhook auth token (every request is signature-checked)
and the clinic's policy closed for the days of the run. Each scenario is one call (or SMS
thread) from its own number, answered by nightdesk.sim_owner; its ticket is then read from the
database. Scenario format: ../shared/triage/SCENARIOS.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.policy import Policy, PolicyError, load_policy
from config.settings import DEFAULT_POLICY_DIR, Settings
from nightdesk.cmd_text import SmsPhone
from nightdesk.devphone import DevPhone, requests_post
from nightdesk.sim_owner import FACT_KEYS, SimOwner, asks_something
from tickets import db
from tickets.models import LEVEL, Contact, Ticket

TOKEN = "eval-calls-auth-token-0123456789abcdef"
MAX_TURNS = 30  # caller turns; a call asking more is a runaway
TICKET_TIMEOUT = 30.0  # seconds from the end of a call until its ticket must be stored
CLOSED_DAYS = 3  # the policy is closed from yesterday to this many days after today
EXAMPLE_POLICY = DEFAULT_POLICY_DIR / "example.yaml"
CALLERS = 7_000_000  # callers are +1 555 700 0000, +1 555 700 0001 ... (one per scenario)
# Nothing of the calling shell may point the served line at a real database, Redis or Twilio.
_CLEARED = ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "SECRET_KEY", "CONVERSATION_TTL")
_SMS_LIMITS = {
    "SMS_RATE_LIMIT": "1000",  # a scenario may text up to MAX_TURNS times in a minute
    "SMS_REPLIES_PER_DAY": "100000",
    "SMS_CLINIC_REPLIES_PER_HOUR": "100000000",  # every scenario texts the one clinic number
}


class HarnessError(RuntimeError):
    """The harness itself failed (bad scenario file, server did not start): not the product."""


REQUIRED = ("id", "opening", "facts", "disposition", "kind")


@dataclass(frozen=True)
class Scenario:
    id: str
    opening: str
    facts: dict[str, str | None]
    disposition: str  # gold
    kind: str
    why: str = ""


def _scenario(raw: str, where: str) -> Scenario:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{where}: not JSON ({exc.msg})") from None
    if missing := [k for k in REQUIRED if k not in data]:
        raise HarnessError(f"{where}: missing {', '.join(missing)}")
    if data["disposition"] not in LEVEL or not isinstance(data["facts"], dict):
        raise HarnessError(f"{where}: disposition is not one of {', '.join(LEVEL)}, or no facts")
    facts = {k: data["facts"].get(k) for k in FACT_KEYS}
    return Scenario(
        str(data["id"]),
        data["opening"],
        facts,
        data["disposition"],
        data["kind"],
        data.get("why", ""),
    )


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    """Every scenario of these JSONL files, checked; errors name the file and line."""
    return [
        _scenario(raw, f"{path}:{no}")
        for path in paths
        for no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raw.strip()
    ]


def closed_policy(source: Path, dest: Path, now: datetime) -> Policy:
    """`source` with special_days closed from yesterday to CLOSED_DAYS after today, at `dest`."""
    try:
        today = load_policy(source).local(now).date()
    except PolicyError as exc:
        raise HarnessError(str(exc)) from None
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    clinic = data["clinic"]
    special: dict[date, Any] = dict(clinic.get("special_days") or {})
    for days in range(-1, CLOSED_DAYS + 1):
        special[today + timedelta(days=days)] = "closed"
    clinic["special_days"] = special
    dest.write_text(
        f"# {source}, closed for `nightdesk eval calls`\n" + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    policy = load_policy(dest)
    if policy.is_open(now):
        raise HarnessError(f"{dest}: the clinic is still open at {now.isoformat()}")
    return policy


@dataclass
class Line:
    """The running line: where to call, how to sign, and its database."""

    url: str
    policy: Policy
    sessions: sessionmaker[Session]
    log: Path
    pid: int
    token: str = TOKEN

    @property
    def er_names(self) -> list[str]:
        return [er.name for er in (self.policy.ers or (self.policy.er,))]

    @property
    def er_phones(self) -> list[str]:
        return [er.phone for er in (self.policy.ers or (self.policy.er,))]

    def check(self) -> None:
        """Raise HarnessError when the server or its RQ worker has exited (nothing gets filed)."""
        import psutil

        def worker(proc: psutil.Process) -> bool:
            try:
                return proc.status() != psutil.STATUS_ZOMBIE and "workers" in proc.cmdline()
            except psutil.Error:
                return False

        try:
            alive = any(worker(c) for c in psutil.Process(self.pid).children(recursive=True))
        except psutil.Error:
            alive = False
        if not alive:
            raise HarnessError(f"nightdesk serve or its worker exited:\n{_tail(self.log)}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextmanager
def running_line(workdir: Path, *, policy_source: Path = EXAMPLE_POLICY) -> Iterator[Line]:
    """`nightdesk serve` on a free port in `workdir` (data, policy, log), stopped afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = workdir / "data"
    policy = closed_policy(policy_source, workdir / "policy.yaml", datetime.now(UTC))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NIGHTDESK_", "TWILIO_", "SMS_")) and k not in _CLEARED
    }
    env.update(
        NIGHTDESK_DATA_DIR=str(data_dir),
        NIGHTDESK_CONFIG=str(workdir / "policy.yaml"),
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=url,
        **_SMS_LIMITS,
    )
    log = workdir / "server.log"
    serve = [sys.executable, "-c", "from nightdesk.cli import main; main()", "serve"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*serve, "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    engine = db.make_engine(Settings(data_dir=data_dir).sqlalchemy_url)
    try:
        _wait_ready(proc, url, log)
        line = Line(url, policy, db.make_sessionmaker(engine), log, proc.pid)
        line.check()
        yield line
    finally:
        proc.send_signal(signal.SIGTERM)  # serve stops its worker and Redis on SIGTERM
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        engine.dispose()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"nightdesk serve exited ({proc.returncode}):\n{_tail(log)}")
        try:
            requests.get(url + "/login", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise HarnessError(f"nightdesk serve did not answer at {url} in {timeout:.0f} s:\n{_tail(log)}")


@dataclass
class CallResult:
    """One scenario as played: the words, the ticket and what went wrong."""

    scenario: Scenario
    channel: str
    caller: str
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (line|owner|event, text)
    turns: int = 0
    not_sure: int = 0
    runaway: bool = False
    er_heard: bool = False
    http_errors: int = 0
    ticket_id: int | None = None
    got: str | None = None  # the ticket's disposition; None: no ticket (lost)
    error: str | None = None  # an exception in the harness while playing

    @property
    def lost(self) -> bool:
        return self.got is None

    @property
    def under_triage(self) -> bool:
        gold = self.scenario.disposition
        low = self.got is not None and LEVEL[self.got] < LEVEL[gold]
        return low or (gold == "emergency" and not self.er_heard)

    @property
    def wrong(self) -> bool:
        s = self.scenario
        er_wrong = (s.disposition == "emergency") != self.er_heard
        bad = self.runaway or self.http_errors or self.error
        return self.got != s.disposition or er_wrong or bool(bad)

    def to_dict(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "id": s.id,
            "kind": s.kind,
            "channel": self.channel,
            "gold": s.disposition,
            "got": self.got,
            "er_heard": self.er_heard,
            "turns": self.turns,
            "not_sure": self.not_sure,
            "runaway": self.runaway,
            "lost": self.lost,
            "under_triage": self.under_triage,
            "http_errors": self.http_errors,
            "error": self.error,
            "ticket_id": self.ticket_id,
            "wrong": self.wrong,
            "transcript": [list(t) for t in self.transcript],
        }


_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_CONDITIONAL = re.compile(r"\b(?:if|unless|in case)\b", re.I)


def heard_er(line_texts: Iterable[str], er_names: Iterable[str]) -> bool:
    """Whether the line sent the owner to the ER: a sentence naming it that is no "if ..."
    (the closing of every call names the ER conditionally: "if she gets worse, go to ...")."""
    names = [n.lower() for n in er_names]
    for text in line_texts:
        for sentence in _SENTENCE.split(text):
            low = sentence.lower()
            if any(n in low for n in names) and not _CONDITIONAL.search(low):
                return True
    return False


_DEV_LINE = re.compile(r"^(?:line|clinic \(\d+ seg\)): (.*)$", re.S)


def _entries(raw: list[str]) -> list[tuple[str, str]]:
    """The dev phones' printed transcript as (role, text)."""
    out = []
    for entry in raw:
        line = _DEV_LINE.match(entry)
        if line:
            out.append(("line", line.group(1)))
        elif entry.startswith("you: "):
            out.append(("owner", entry[5:]))
        else:
            out.append(("event", entry))
    return out


def _quiet(_: str) -> None:
    pass


def play_voice(line: Line, scenario: Scenario, caller: str) -> CallResult:
    """One signed phone call; the owner answers each <Gather>'s question."""
    result = CallResult(scenario, "voice", caller)
    owner = SimOwner(scenario.opening, scenario.facts)
    with requests.Session() as http:
        phone = DevPhone(
            requests_post(http, timeout=30),
            url=line.url,
            caller=caller,
            to=line.policy.phone,
            token=line.token,
            public_base=line.url,
            out=_quiet,
        )

        def answers() -> Iterator[str]:
            while True:
                if owner.turns >= MAX_TURNS:
                    result.runaway = True
                    return  # the owner hangs up
                asked = [text for role, text in _entries(phone.transcript) if role == "line"]
                yield owner.answer(asked[-1] if asked else "").text

        phone.run(answers())
    _finish(result, owner, phone.transcript, line)
    return _with_ticket(result, line, Contact.source_key == f"call:{phone.sid}")


def play_sms(line: Line, scenario: Scenario, caller: str) -> CallResult:
    """One signed SMS thread: the opening, then an answer to each reply that asks something."""
    result = CallResult(scenario, "sms", caller)
    owner = SimOwner(scenario.opening, scenario.facts)
    with requests.Session() as http:
        phone = SmsPhone(
            requests_post(http, timeout=30),
            url=line.url,
            caller=caller,
            to=line.policy.phone,
            token=line.token,
            public_base=line.url,
            out=_quiet,
        )
        text = owner.answer("").text
        while True:
            reply = " ".join(phone.text(text))
            if not reply or not asks_something(reply):
                break
            if owner.turns >= MAX_TURNS:
                result.runaway = True
                break
            text = owner.answer(reply).text
    _finish(result, owner, phone.transcript, line)
    found = Contact.caller == caller, Contact.source_key.startswith("sms:")
    return _with_ticket(result, line, *found)


def _finish(result: CallResult, owner: SimOwner, raw: list[str], line: Line) -> None:
    result.transcript = _entries(raw)
    result.turns, result.not_sure = owner.turns, owner.not_sure
    result.http_errors = sum(1 for r, t in result.transcript if r == "event" and t[:6] == "[HTTP ")
    said = [t for r, t in result.transcript if r == "line"]
    dials = [t for r, t in result.transcript if r == "event" and t.startswith("[dial ")]
    put_through = any(phone in t for t in dials for phone in line.er_phones)
    result.er_heard = heard_er(said, line.er_names) or put_through


def _with_ticket(result: CallResult, line: Line, *where: Any) -> CallResult:
    """Wait (up to TICKET_TIMEOUT) for the contact's ticket; none: the call is lost."""
    start = time.monotonic()
    while True:
        with line.sessions() as session:
            contact = session.scalars(select(Contact).where(*where).order_by(Contact.id)).first()
            if contact is not None and contact.ticket_id is not None:
                result.ticket_id = contact.ticket_id
                result.got = _disposition(session, contact.ticket_id)
                return result
        waited = time.monotonic() - start
        if waited > TICKET_TIMEOUT:
            return result
        if waited > 2:  # slow: is anyone still filing?
            line.check()
        time.sleep(0.1)


def _disposition(session: Session, ticket_id: int) -> str | None:
    ticket = session.get(Ticket, ticket_id)
    return ticket.disposition if ticket is not None else None


def play_all(
    line: Line,
    scenarios: list[Scenario],
    *,
    sms: bool = False,
    jobs: int = 4,
    done: Callable[[CallResult], None] = lambda _: None,
) -> list[CallResult]:
    """Play every scenario (`jobs` at once), each from its own number; results in input order."""
    play = play_sms if sms else play_voice
    results: list[CallResult | None] = [None] * len(scenarios)

    def run(i: int) -> CallResult:
        caller = f"+1555{CALLERS + i:07d}"
        try:
            return play(line, scenarios[i], caller)
        except HarnessError:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken call must not stop the night
            failed = CallResult(scenarios[i], "sms" if sms else "voice", caller)
            failed.error = f"{type(exc).__name__}: {exc}"
            return failed

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run, i): i for i in range(len(scenarios))}
        try:
            for future in as_completed(futures):
                results[futures[future]] = result = future.result()
                done(result)
        except HarnessError:
            pool.shutdown(cancel_futures=True)
            raise
    final = [r for r in results if r is not None]
    with line.sessions() as session:  # a ticket may have gone up after it was first seen
        for r in final:
            if r.ticket_id is not None:
                r.got = _disposition(session, r.ticket_id)
    return final
