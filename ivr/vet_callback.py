"""The staff line: an on-call vet calls the clinic's number to call an owner back, privately.

A call to a clinic's number, while it is closed, from a number of that clinic's on-call plan
(its people, shifts, backup, manager) comes here instead of the owner conversation (the voice
webhook routes it). The vet keys the PIN if the policy sets `on_call.callback_pin`, picks a
ticket (pages sent to them, then the clinic's open emergencies: "press 1 for Biscuit", or a
ticket number), hears its summary and presses 1: `<Dial callerId=clinic number>` to the owner's
callback number, so the owner sees the clinic's number, never the vet's. The ticket records
both ends as events: `vet_callback` (who, when) and, from the Dial's action, `vet_callback_ended`
(how it went, how long).

Flask-free: the view passes the form, now, Redis and a session factory. Step n of a call is
POST /voice/vet/<n>; its state and the once-only commit of each step are in ivr/vet_call.py.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from config.oncall import Person
from config.policy import Policy
from ivr import prompts
from ivr.vet_call import Line, Outcome, VetCall, commit, pin_failures, seen, text_of
from tickets import paging
from tickets.models import Ticket
from tickets.outbound import mask

log = logging.getLogger(__name__)
PIN_TRIES = 3  # per call
PIN_FAILURES = 10  # per number and clinic within PIN_LOCK: then the staff line hangs up at once
QUIET_TURNS = 3  # no key pressed this many times in a row: the line hangs up
MENU_MAX = 8  # keys 1-8 pick a ticket; 0 is "other calls"
DIAL_TIMEOUT = 25  # seconds the owner's phone rings


def staff(policy: Policy, caller: str | None) -> Person | None:
    """The clinic's on-call person (or backup, or manager) calling from `caller`, if any."""
    return policy.on_call_person(caller.strip()) if caller else None


# TwiML -----------------------------------------------------------------------------------------


def _say(resp: VoiceResponse | Any, policy: Policy, key: str, /, **params: Any) -> None:
    text = prompts.render(f"vet_callback.{key}", params, language=policy.language)
    resp.say(prompts.clean(text, 600), voice=policy.voice, language=policy.language)


def _listen(
    resp: VoiceResponse, line: Line, call: VetCall, asks: list[tuple[str, dict[str, Any]]]
) -> None:
    """A keypad <Gather> posting to the next step, and the same step again on no input."""
    action = f"/voice/vet/{call.step}"
    kw: dict[str, Any] = {"input": "dtmf", "action": action, "method": "POST", "timeout": 6}
    if call.stage == "ticket":
        kw["num_digits"] = 1
    else:
        kw["finish_on_key"] = "#"
    gather = resp.gather(**kw)
    for key, params in asks:
        _say(gather, line.policy, key, **params)
    resp.redirect(action, method="POST")


def _pet(ticket: Ticket) -> str:
    name = str((ticket.patient or {}).get("name") or "")
    species = f"a {ticket.species}" if ticket.species else ""
    return ", ".join(x for x in (name, species) if x) or "a pet"


def _ask_connect(line: Line, call: VetCall, resp: VoiceResponse, ticket: Ticket) -> None:
    call.stage, call.ticket_id = "ticket", ticket.id
    at = line.policy.local(ticket.created_at).strftime("%I:%M %p").lstrip("0")
    summary = ticket.summary or "; ".join(str(r) for r in (ticket.reasons or [])[:2])
    params = {
        "ticket": ticket.id,
        "disposition": ticket.disposition,
        "pet": _pet(ticket),
        "time": at,
        "summary": prompts.clean(summary, 400),
    }
    _listen(resp, line, call, [("summary", params), ("ask_connect", {})])


def _menu(
    line: Line, session: Session, call: VetCall, resp: VoiceResponse, *, direct: bool = False
) -> None:
    """The tickets waiting for this vet, by keypad; with `direct`, one alone is read at once."""
    waiting = paging.callable_tickets(session, line.policy, call.phone, line.now, limit=MENU_MAX)
    call.offered, call.stage, call.ticket_id = [t.id for t in waiting], "menu", None
    if direct and len(waiting) == 1:
        _ask_connect(line, call, resp, waiting[0])
        return
    if not waiting:
        _say(resp, line.policy, "none_waiting")
        _listen(resp, line, call, [("ask_number_only", {})])
        return
    asks: list[tuple[str, dict[str, Any]]] = [("waiting", {"count": len(waiting)})]
    for key, t in enumerate(waiting, start=1):
        item = {"pet": _pet(t), "disposition": t.disposition, "ticket": t.id, "press": key}
        asks.append(("menu_item", item))
    _listen(resp, line, call, [*asks, ("ask_number", {})])


def _hang_up(line: Line, call: VetCall, resp: VoiceResponse, key: str) -> None:
    _say(resp, line.policy, key)
    resp.hangup()
    call.stage = "done"


# The stages: each reads the keys pressed and says what comes next -------------------------------


def _pin(line: Line, session: Session, call: VetCall, form: Mapping[str, str]) -> Outcome:
    resp, digits = VoiceResponse(), (form.get("Digits") or "").strip()
    pin = line.policy.callback_pin or ""
    if pin and hmac.compare_digest(digits.encode(), pin.encode()):
        _menu(line, session, call, resp, direct=True)
        return Outcome(resp, call)
    call.pin_tries += 1
    failures = pin_failures(line, call.phone, add=True)
    if call.pin_tries >= PIN_TRIES or failures >= PIN_FAILURES:
        log.warning("staff line: wrong PIN %d times from …%s", call.pin_tries, call.phone[-4:])
        _hang_up(line, call, resp, "locked")
    else:
        _say(resp, line.policy, "wrong_pin")
        _listen(resp, line, call, [("ask_pin", {"clinic": line.policy.name})])
    return Outcome(resp, call)


def _pick(line: Line, session: Session, call: VetCall, form: Mapping[str, str]) -> Outcome:
    resp, digits = VoiceResponse(), (form.get("Digits") or "").strip()
    if not digits.isdigit():
        _menu(line, session, call, resp)
        return Outcome(resp, call)
    n = int(digits)
    # a key of the menu, as read; any other number is a ticket number
    chosen = call.offered[n - 1] if len(digits) == 1 and 1 <= n <= len(call.offered) else n
    bridge = paging.bridge_target(session, line.policy, call.phone, chosen)
    ticket = session.get(Ticket, chosen) if bridge else None
    if ticket is None:
        _say(resp, line.policy, "no_ticket", ticket=chosen)
        _menu(line, session, call, resp)
    else:
        _ask_connect(line, call, resp, ticket)
    return Outcome(resp, call)


def _ticket(line: Line, session: Session, call: VetCall, form: Mapping[str, str]) -> Outcome:
    resp, digits = VoiceResponse(), (form.get("Digits") or "").strip()
    assert call.ticket_id is not None
    if digits == "0":
        _menu(line, session, call, resp)
        return Outcome(resp, call)
    bridge = paging.bridge_target(session, line.policy, call.phone, call.ticket_id)
    ticket = session.get(Ticket, call.ticket_id) if bridge else None
    if bridge is None or ticket is None:
        _say(resp, line.policy, "no_ticket", ticket=call.ticket_id)
        _menu(line, session, call, resp)
        return Outcome(resp, call)
    if digits != "1":  # 2, another key or nothing: read it again
        _ask_connect(line, call, resp, ticket)
        return Outcome(resp, call)
    _say(resp, line.policy, "connecting", pet=_pet(ticket))
    resp.dial(
        bridge.dial,
        caller_id=bridge.caller_id,
        action=f"/voice/vet/{call.step}",
        method="POST",
        timeout=DIAL_TIMEOUT,
    )
    call.stage = "dialled"
    text = f"{call.person} called the owner back through the line, showing the clinic's number"
    detail = {"person": call.person, "phone": mask(call.phone), "call": call.sid, "text": text}
    return Outcome(resp, call, [(ticket.id, "vet_callback", detail)])


def _dialled(line: Line, session: Session, call: VetCall, form: Mapping[str, str]) -> Outcome:
    """The Dial's action: how the call with the owner went."""
    resp, status = VoiceResponse(), form.get("DialCallStatus") or "completed"
    try:
        seconds = max(0, int(form.get("DialCallDuration") or 0))
    except ValueError:
        seconds = 0
    assert call.ticket_id is not None
    talked = status == "completed" and seconds > 0
    how = f"{seconds // 60} min {seconds % 60:02d} s" if talked else status.replace("-", " ")
    detail = {
        "person": call.person,
        "status": status,
        "duration_s": seconds,
        "call": call.sid,
        "text": f"{call.person}'s call with the owner: {how}",
    }
    event = (call.ticket_id, "vet_callback_ended", detail)
    if status == "completed":
        _hang_up(line, call, resp, "ended")
        return Outcome(resp, call, [event])
    ticket = session.get(Ticket, call.ticket_id)
    assert ticket is not None
    _say(resp, line.policy, "not_answered")
    _ask_connect(line, call, resp, ticket)
    return Outcome(resp, call, [event])


STAGES: dict[str, Callable[[Line, Session, VetCall, Mapping[str, str]], Outcome]] = {
    "pin": _pin,
    "menu": _pick,
    "ticket": _ticket,
    "dialled": _dialled,
}


# Steps -----------------------------------------------------------------------------------------


def start(line: Line, sid: str, caller: str, person: Person) -> str:
    """The first answer to a staff call: the PIN question, the one ticket, or the menu."""
    earlier = line.redis.get(seen(sid, 0))
    if earlier is not None:
        return text_of(earlier)
    call = VetCall(sid, line.policy.clinic_id, caller.strip(), person.name, step=1)
    resp = VoiceResponse()
    with line.session() as session:
        if line.policy.callback_pin and pin_failures(line, call.phone) >= PIN_FAILURES:
            _hang_up(line, call, resp, "locked")
        elif line.policy.callback_pin:
            call.stage = "pin"
            _listen(resp, line, call, [("ask_pin", {"clinic": line.policy.name})])
        else:
            _menu(line, session, call, resp, direct=True)
        return commit(line, session, 0, Outcome(resp, call))


def advance(line: Line, sid: str, n: int, form: Mapping[str, str]) -> str:
    """Step n of a staff call (a keypress, no input, or the Dial's action)."""
    earlier = line.redis.get(seen(sid, n))
    if earlier is not None:
        return text_of(earlier)
    call = VetCall.load(line.redis, sid)
    caller = (form.get("From") or "").strip()
    if (
        call is None
        or call.step != n
        or call.stage not in STAGES
        or call.clinic_id != line.policy.clinic_id
        or call.phone != caller
        or staff(line.policy, caller) is None
    ):
        resp = VoiceResponse()
        _say(resp, line.policy, "expired")
        resp.hangup()
        return str(resp)
    was = call.stage
    quiet = not (form.get("Digits") or "").strip() and was != "dialled"
    call.quiet = call.quiet + 1 if quiet else 0
    call.step = n + 1
    with line.session() as session:
        if call.quiet >= QUIET_TURNS:
            resp = VoiceResponse()
            _hang_up(line, call, resp, "expired")
            return commit(line, session, n, Outcome(resp, call))
        return commit(line, session, n, STAGES[was](line, session, call, form))


def fallback(policy: Policy | None) -> str:
    """What a staff caller hears when a step fails (never a 500)."""
    resp = VoiceResponse()
    if policy is None:
        resp.say(prompts.render("unknown_number"))
    else:
        _say(resp, policy, "fallback")
    resp.hangup()
    return str(resp)
