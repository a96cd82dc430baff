"""Twilio voice webhooks: POST /voice, /voice/turn/<n> (Gather actions), /voice/status.

Thin views: parse the form, run one conversation step, render TwiML. Every route is
signature-checked, idempotent on (CallSid, step) and never answers with a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from config.policy import Policy
from ivr import prompts, vet_callback
from ivr.app import services
from ivr.conversation import MAX_HEARD, new_conversation, step
from ivr.flow_model import HANGUP, SILENCE, START, Conversation, ConversationStore, Event, Reply
from ivr.step_store import UNCHECKED, Conflict, Peek
from ivr.twilio_sig import twilio_webhook, twiml_response
from nightdesk.services import Services
from tickets.outbound import mask
from tickets.saved import keep
from workers.queueing import enqueue
from workers.tickets import file_ticket

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__)
ATTEMPTS = 3  # reads of the conversation a step may need when concurrent webhooks move it on
STATUS_RANK = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2, "answered": 2}
TERMINAL = ("completed", "busy", "failed", "no-answer", "canceled")
MAX_HINTS = 400


def clock() -> datetime:
    """Now (UTC); tests and the bench set app.config["NIGHTDESK_CLOCK"] to control it."""
    fn: Callable[[], datetime] | None = current_app.config.get("NIGHTDESK_CLOCK")
    return fn() if fn else datetime.now(UTC)


def _store(svc: Services) -> ConversationStore:
    return ConversationStore(svc.redis, svc.settings.conversation_ttl)


def _hints() -> str:
    cached: str | None = current_app.config.get("_VOICE_HINTS")
    if cached is None:
        import nlp

        words = list(getattr(nlp, "speech_hints", lambda: [])())[:MAX_HINTS]
        cached = ",".join(prompts.clean(w, 100).replace(",", " ") for w in words)
        current_app.config["_VOICE_HINTS"] = cached
    return cached


def render(reply: Reply, policy: Policy) -> VoiceResponse:
    """A conversation Reply as TwiML: <Say> per sentence, one <Gather> + <Redirect>, <Dial>."""
    conv = reply.conversation
    lang = conv.language
    say_kw = {"voice": policy.voice, "language": lang}
    resp = VoiceResponse()
    for p in reply.say:
        resp.say(prompts.clean(prompts.render(p.key, p.params, language=lang)), **say_kw)
    if reply.ask is not None:
        action = f"/voice/turn/{conv.turn_no}"
        opts: dict[str, Any] = {
            "input": "speech dtmf",
            "action": action,
            "method": "POST",
            "speech_timeout": "auto",
            "language": lang,
            "timeout": 6,
        }
        if reply.expects == "digits":
            opts["num_digits"] = 1
        elif reply.expects == "number":
            opts.update(finish_on_key="#", timeout=8)
        else:
            opts["num_digits"] = 1  # a keypress (0: a person) ends the answer at once
            if hints := _hints():
                opts["hints"] = hints
        gather = resp.gather(**opts)
        gather.say(
            prompts.clean(prompts.render(reply.ask.key, reply.ask.params, language=lang)), **say_kw
        )
        resp.redirect(action, method="POST")  # no input: the next turn hears silence
    elif reply.dial:
        resp.dial(reply.dial, caller_id=policy.phone)
    else:
        resp.hangup()
    return resp


def _file(svc: Services, conv: Conversation, stage: str) -> None:
    enqueue(svc.queue, file_ticket, "voice", conv.id, key=f"{conv.source_key}:{stage}")


def _event(form: Mapping[str, str]) -> Event:
    digits = (form.get("Digits") or "").strip()
    if digits:
        return Event.digits(digits)
    speech = prompts.clean(form.get("SpeechResult") or "", limit=MAX_HEARD)  # triaged whole
    if speech:
        try:
            confidence: float | None = float(form.get("Confidence") or "")
        except ValueError:
            confidence = None
        return Event.speech(speech, confidence)
    return Event(SILENCE)


def _advance(
    svc: Services, step_name: str, conv: Conversation, policy: Policy, event: Event, version: str
) -> str:
    """One step, committed with its answer in one round trip; a duplicate gets the first answer."""
    now = clock()
    reply = step(
        conv,
        event,
        engine=svc.triage,
        policy=policy,
        now=now,
        pages_tonight=svc.pages_tonight(policy, now),
    )
    twiml = str(render(reply, policy))
    new = reply.conversation
    earlier = svc.steps.commit(new, step_name, twiml, version=version)
    if earlier is not None:  # another request answered this step first: nothing more to do
        return earlier
    if "send_er_sms" in reply.actions:
        _file(svc, new, "emergency")
    elif "page_on_call" in reply.actions:
        _file(svc, new, "person")  # "I'm paging the on-call vet now": the filing job pages
    if new.done:
        _file(svc, new, "end")
        _store(svc).remember_watch(new)
    return twiml


def _with_fresh_state(sid: str, step_name: str, run: Callable[[Peek], str]) -> str:
    """Run a step on the stored conversation; replay an earlier answer; recompute on Conflict."""
    svc = services()
    for _ in range(ATTEMPTS):
        peek = svc.steps.peek("voice", sid, step_name)
        if peek.answer is not None:
            return peek.answer
        try:
            return run(peek)
        except Conflict:
            continue  # a concurrent webhook of this call moved it on: read it again
    raise Conflict(f"call …{sid[-6:]} kept changing during {step_name}")


def _sound_urgent(svc: Services, policy: Policy, said: str) -> bool:
    """Words the failed step never weighed ("he ate chocolate"): the engine weighs them now;
    if it cannot, they count as urgent."""
    if not said.strip():
        return False
    try:
        verdict = svc.triage.analyze([prompts.clean(said)], now=policy.local(clock()))
    except Exception:  # noqa: BLE001 - the caller must still hear something
        return True
    return verdict.disposition != "routine"


def _fallback(svc: Services, sid: str, policy: Policy | None, exc: BaseException) -> str:
    """Log, then give the caller safe words and keep what they said (never a 500)."""
    log.error("voice flow failed for call …%s: %r", sid[-6:], exc, exc_info=exc)
    conv: Conversation | None = None
    saved = False  # "I've saved your call" only when it was (and its filing job queued)
    try:
        conv = _store(svc).load("voice", sid)
        if conv is None and policy is not None:
            conv = new_conversation(
                channel="voice",
                conv_id=sid,
                policy=policy,
                caller=request.form.get("From", ""),
                now=clock(),
            )
        if conv is not None:
            said = prompts.clean(request.form.get("SpeechResult") or "")
            if said:
                conv.add_turn("caller", said, clock())
            conv.done, conv.ended_reason = True, "error"
            _store(svc).save(conv)
            _file(svc, conv, "error")
            saved = True
    except Exception as again:  # noqa: BLE001 - the caller must still hear something
        log.error("could not save call …%s after the failure: %r", sid[-6:], again)
        if policy is not None:  # Redis cannot take it: the database keeps it (tickets/saved.py)
            saved = keep(
                svc.session,
                channel="voice",
                conv_id=sid,
                clinic_id=policy.clinic_id,
                caller=request.form.get("From", ""),
                turns=conv.turns if conv is not None else [],
                said=""
                if conv is not None
                else prompts.clean(request.form.get("SpeechResult") or ""),
                now=clock(),
            )
    resp = VoiceResponse()
    if policy is None:
        resp.say(prompts.render("unknown_number"))
    else:
        urgent = (
            not saved
            or _sound_urgent(svc, policy, request.form.get("SpeechResult") or "")
            or conv is None
            or conv.disposition != "routine"
            or conv.state == "emergency"
        )
        params = {
            "er_name": policy.er.name,
            "er_address": policy.er.address,
            "er_phone": prompts.spoken_phone(policy.er.phone),
        }
        key = "fallback_er" if urgent else "fallback_callback"
        resp.say(
            prompts.render(key, params, language=policy.language),
            voice=policy.voice,
            language=policy.language,
        )
    resp.hangup()
    return str(resp)


def _safely(sid: str, policy: Policy | None, run: Callable[[], str], step_name: str) -> Response:
    svc = services()
    try:
        twiml = run()
    except Exception as exc:  # noqa: BLE001 - a webhook never answers a caller with a 500
        twiml = _fallback(svc, sid, policy, exc)
        try:  # a retry of this step gets the same words, and nothing is filed twice
            svc.steps.remember("voice", sid, step_name, twiml)
        except Exception as again:  # noqa: BLE001
            log.error("could not remember the fallback for …%s: %r", sid[-6:], again)
    return twiml_response(twiml)


@bp.post("/voice")
@twilio_webhook
def incoming() -> Response:
    svc, form = services(), request.form
    sid, to, caller = form.get("CallSid", ""), form.get("To", ""), form.get("From", "")
    policy = svc.policies.for_number(to)
    if policy is None:
        log.warning("call to %s, which is no clinic's number; check the policy files", mask(to))
        resp = VoiceResponse()
        resp.say(prompts.render("unknown_number"))
        resp.hangup()
        return twiml_response(resp)

    def run() -> str:
        now = clock()
        if policy.is_open(now):
            resp = VoiceResponse()
            resp.dial(policy.front_desk or policy.phone)
            return str(resp)
        if (person := vet_callback.staff(policy, caller)) is not None:  # the clinic's own vet
            return _vet(policy, lambda line: vet_callback.start(line, sid, caller, person))
        conv = new_conversation(channel="voice", conv_id=sid, policy=policy, caller=caller, now=now)
        conv.watch = _store(svc).watch_of(policy.clinic_id, caller)  # told last time: "if …"
        return _advance(svc, "start", conv, policy, Event(START), UNCHECKED)

    return _safely(sid, policy, run, "start")


def _vet(policy: Policy | None, run: Callable[[vet_callback.Line], str]) -> str:
    """A step of the staff line (ivr/vet_callback.py); never a 500, never the owner script."""
    svc = services()
    try:
        if policy is None:
            raise LookupError("a staff call to no clinic's number")
        return run(vet_callback.Line(policy, svc.redis, svc.session, clock()))
    except Exception as exc:  # noqa: BLE001 - a webhook never answers a caller with a 500
        log.error("staff line failed for call …%s: %r", request.form.get("CallSid", "")[-6:], exc)
        return vet_callback.fallback(policy)


@bp.post("/voice/vet/<int:n>")
@twilio_webhook
def vet_step(n: int) -> Response:
    """A keypress, or the Dial's action, of a vet calling back an owner."""
    form = request.form
    policy = services().policies.for_number(form.get("To"))
    sid = form.get("CallSid", "")
    return twiml_response(_vet(policy, lambda line: vet_callback.advance(line, sid, n, form)))


@bp.post("/voice/turn/<int:n>")
@twilio_webhook
def turn(n: int) -> Response:
    svc, form = services(), request.form
    sid, step_name = form.get("CallSid", ""), f"turn{n}"
    policy = svc.policies.for_number(form.get("To"))

    def run(peek: Peek) -> str:
        nonlocal policy
        conv = peek.conversation
        policy = (svc.policies.by_id(conv.clinic_id) if conv else None) or policy
        if conv is None or policy is None:
            raise LookupError(f"no conversation for call …{sid[-6:]} (expired or unknown)")
        return _advance(svc, step_name, conv, policy, _event(form), peek.version)

    return _safely(sid, policy, lambda: _with_fresh_state(sid, step_name, run), step_name)


@bp.post("/voice/status")
@twilio_webhook
def status() -> Response:
    svc, form = services(), request.form
    sid, call_status = form.get("CallSid", ""), form.get("CallStatus", "")
    policy = svc.policies.for_number(form.get("To"))

    step_name = f"status:{call_status}"

    def run(peek: Peek) -> str:
        answer, conv = str(VoiceResponse()), peek.conversation
        if conv is None:  # open hours (dialled through) or an unknown number
            svc.steps.remember("voice", sid, step_name, answer)
            return answer
        refile = False
        rank = 3 if call_status in TERMINAL else STATUS_RANK.get(call_status, 0)
        old = 3 if conv.call_status in TERMINAL else STATUS_RANK.get(conv.call_status, -1)
        if rank > old:  # monotonic: a late 'ringing' never undoes 'completed'
            if call_status in TERMINAL and not conv.done:  # hung up mid-conversation
                at = svc.policies.by_id(conv.clinic_id) or policy
                assert at is not None
                reply = step(conv, Event(HANGUP), engine=svc.triage, policy=at, now=clock())
                conv, refile = reply.conversation, True
            conv.call_status = call_status
        earlier = svc.steps.commit(conv, step_name, answer, version=peek.version)
        if earlier is None and refile:  # a finished call was filed at its closing already
            _file(svc, conv, "status")
        return earlier or answer

    return _safely(sid, policy, lambda: _with_fresh_state(sid, step_name, run), step_name)
