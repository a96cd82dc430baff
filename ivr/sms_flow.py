"""One inbound text, end to end: keywords, page acks, the thread's conversation step, photos,
limits, what to file — and the words of the reply. Flask-free; the view only parses and renders.

The conversation engine (ivr/conversation.py) asks the questions; this module feeds it an SMS
thread (a conversation per owner + clinic number that stays open `sms_thread_hours`).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import DBAPIError

from config.policy import Policy
from ivr import prompts
from ivr.conversation import new_conversation, question_of, step
from ivr.flow_model import START, Conversation, ConversationStore, Event, Prompt, Reply
from ivr.sms_guard import SmsGuard, textable
from ivr.sms_segments import fits
from nightdesk.services import Services
from tickets.media import record_inbound
from tickets.models import utcnow
from tickets.optout import is_opted_out, keyword, set_opted_out
from tickets.outbound import mask
from tickets.saved import briefly
from workers.media import enqueue_fetch, record_inbound_later
from workers.queueing import enqueue
from workers.tickets import file_ticket

log = logging.getLogger(__name__)

MAX_STORED = 16_000  # characters of one text kept in the transcript
MAX_ANALYSED = MAX_STORED  # every word of a text is triaged (a long story included)
MAX_ANALYSED_TOTAL = 64_000  # characters of a whole thread the engine reads (first + latest)
MAX_TURNS = 200  # caller turns kept per thread (a flood is counted, not stored forever)
IDLE_FILING = timedelta(minutes=15)  # an owner who stops answering is filed after this
_HAS_PAGING = importlib.util.find_spec("tickets.paging") is not None


@dataclass(frozen=True)
class Inbound:
    """The parts of Twilio's SMS webhook the line uses."""

    sid: str
    caller: str
    to: str
    body: str
    media: list[tuple[str, str]] = field(default_factory=list)


class BoundedEngine:
    """The triage engine reading at most MAX_ANALYSED chars a text, MAX_ANALYSED_TOTAL a thread."""

    def __init__(self, engine: Any):
        self.engine = engine

    def analyze(
        self, turns: list[str], *, now: datetime, denied: Mapping[str, int] | None = None
    ) -> Any:
        texts = [t[:MAX_ANALYSED] for t in turns]
        kept: list[str] = []
        budget = MAX_ANALYSED_TOTAL - len(texts[0]) if texts else 0
        for text in reversed(texts[1:]):  # the first text (what happened) and the latest ones
            if len(text) > budget:
                break
            kept.insert(0, text)
            budget -= len(text)
        return self.engine.analyze(texts[:1] + kept, now=now, denied=denied)


def guard_for(svc: Services) -> SmsGuard:
    s = svc.settings
    return SmsGuard(
        svc.redis,
        s.sms_thread_hours * 3600,
        s.sms_rate_limit,
        s.sms_replies_per_day,
        s.sms_clinic_replies_per_hour,
    )


def _text(key: str, params: dict[str, Any], language: str) -> str:
    return prompts.render(key, params, channel="sms", language=language)


def maps_link(policy: Policy) -> str:
    """The clinic's configured map link for the ER, else a Google Maps search of its address."""
    return policy.er.maps_url or "https://maps.google.com/?q=" + quote(policy.er.address, safe="")


def compose(prompt_list: list[Prompt], policy: Policy, language: str) -> str:
    """The SMS text of a reply: its sentences, with a map link after the ER guidance."""
    parts = []
    for p in prompt_list:
        parts.append(_text(p.key, p.params, language))
        if p.key == "er_guidance":
            parts.append(_text("sms_maps", {"maps": maps_link(policy)}, language))
    return prompts.clean(" ".join(parts), limit=1600)


def handle(svc: Services, policy: Policy, msg: Inbound, now: datetime) -> str | None:
    """Process one (not duplicate) inbound text; returns the reply, None for no reply."""
    lang = policy.language
    word = keyword(msg.body)
    if word is not None and not msg.media:
        return _keyword(svc, policy, msg, word, now)
    if _HAS_PAGING and policy.on_call_person(msg.caller) is not None:
        from tickets import paging

        if paging.ACK.match(msg.body):
            with svc.session() as session:
                ack = paging.acknowledge(
                    session, msg.caller, msg.body, now, clinic_id=policy.clinic_id
                )
                session.commit()
            return ack.reply if ack else _text("sms_no_page", {}, lang)
    guard = guard_for(svc)
    flooding = guard.flooding(policy.phone, msg.caller)
    with svc.session() as session:
        opted_out = is_opted_out(session, msg.caller, policy.phone)
    thread_id = guard.thread(policy.phone, msg.caller, msg.sid, now.timestamp())
    store = ConversationStore(svc.redis, svc.settings.conversation_ttl)
    with svc.redis.lock(f"nd:lock:sms:{thread_id}", timeout=30, blocking_timeout=10):
        conv = store.load("sms", thread_id)
        greeting: list[Prompt] = []
        if conv is None:
            conv, greeting = _start(svc, policy, msg.caller, thread_id, now)
        talking = not opted_out and not flooding and textable(msg.caller, policy.phone)
        reply = _advance(svc, conv, policy, msg, now, talking=talking)
        new = reply.conversation
        store.save(new)
        if new.done:
            store.remember_watch(new)
    emergency = "send_er_sms" in reply.actions
    text = compose(reply.prompts, policy, lang)
    if greeting and not emergency:
        with_greeting = compose(greeting + reply.prompts, policy, lang)
        text = with_greeting if fits(with_greeting) else text
    send = talking and bool(text)
    if emergency and not opted_out:  # the ER details: once per thread, past every limit
        send = guard.first_er_reply(thread_id) or (talking and not flooding)
    elif send:
        send = guard.reply_allowed(policy.phone, msg.caller)
    _save(svc, policy, new, msg, er_text=text if send and emergency else None, now=now)
    refile = "file_ticket" in reply.actions or not talking or new.done
    if refile:
        enqueue(svc.queue, file_ticket, "sms", thread_id, key=f"{new.source_key}:{msg.sid}")
    else:  # an owner who stops answering still becomes a ticket
        enqueue(
            svc.queue,
            file_ticket,
            "sms",
            thread_id,
            key=f"{new.source_key}:idle:{msg.sid}",
            delay=IDLE_FILING,
        )
    if not send:
        why = "opted out" if opted_out else "flooding" if flooding else "no reply due"
        log.info("sms from %s stored without a reply (%s)", mask(msg.caller), why)
    return text if send else None


def _keyword(svc: Services, policy: Policy, msg: Inbound, word: str, now: datetime) -> str | None:
    """STOP / START / HELP (carrier keywords): stored per owner + clinic number."""
    lang = policy.language
    if word in ("stop", "start"):
        with svc.session() as session:
            set_opted_out(session, msg.caller, policy.phone, active=word == "stop", now=now)
            session.commit()
        log.info(
            "%s opted %s at %s",
            mask(msg.caller),
            "out" if word == "stop" else "in",
            policy.clinic_id,
        )
    if word == "stop":
        return None  # Twilio sends the carrier's own confirmation; anything more is blocked
    if word == "start":
        return _text("sms_start", {"clinic": policy.name}, lang)
    params = {
        "clinic": policy.name,
        "clinic_phone": prompts.display_phone(policy.phone, policy.region),
        "er_name": policy.er.name,
        "er_phone": prompts.display_phone(policy.er.phone, policy.region),
    }
    return _text("sms_help", params, lang)


def _start(
    svc: Services, policy: Policy, caller: str, thread_id: str, now: datetime
) -> tuple[Conversation, list[Prompt]]:
    """A new thread: the engine's opening; the owner's first text answers its open question."""
    conv = new_conversation(channel="sms", conv_id=thread_id, policy=policy, caller=caller, now=now)
    store = ConversationStore(svc.redis, svc.settings.conversation_ttl)
    conv.watch = store.watch_of(policy.clinic_id, caller)  # what a last contact was told
    opening = step(conv, Event(START), engine=BoundedEngine(svc.triage), policy=policy, now=now)
    conv = opening.conversation
    conv.turns = [t for t in conv.turns if t["role"] != "line"]  # the opening went unsent
    return conv, opening.say


def _advance(
    svc: Services,
    conv: Conversation,
    policy: Policy,
    msg: Inbound,
    now: datetime,
    *,
    talking: bool,
) -> Reply:
    """One conversation step for this text (or, when we cannot answer, only its analysis)."""
    engine = BoundedEngine(svc.triage)
    full = prompts.clean(msg.body, limit=MAX_STORED)
    callers = sum(1 for t in conv.turns if t["role"] == "caller")
    if not full:  # a photo alone (or an empty text): keep it, and repeat the open question
        ask = question_of(conv, policy)
        if not msg.media:
            return Reply(conv, [], ask=ask)
        conv.add_turn("caller", f"[sent {len(msg.media)} photo(s)]", now, kind="media")
        return Reply(conv, [Prompt("sms_photo")], ask=ask)
    if callers >= MAX_TURNS:
        return Reply(conv, [], actions=[])
    was_done, was_state = conv.done, conv.state
    if was_done:  # a text after the closing joins the same contact: the engine hears it anew
        conv.done, conv.state, conv.ended_reason = False, "open", ""
    n = len(conv.turns)
    reply = step(
        conv,
        Event.speech(full),
        engine=engine,
        policy=policy,
        now=now,
        pages_tonight=svc.pages_tonight(policy, now),
    )
    new = reply.conversation
    for turn in new.turns[n:]:  # the engine trims what it echoes; the transcript keeps it all
        if turn["role"] == "caller":
            turn["text"] = full
    if msg.media:
        new.add_turn("caller", f"[sent {len(msg.media)} photo(s)]", now, kind="media")
    emergency = "send_er_sms" in reply.actions
    if talking or emergency:
        return reply
    # Not answering (opted out, flooding): keep the text and the analysis, not the questioning.
    conv.add_turn("caller", full, now)
    conv.verdict, conv.unknowns, conv.summary = new.verdict, new.unknowns, new.summary
    conv.floor, conv.floor_reasons = new.floor, new.floor_reasons
    conv.done, conv.state = was_done, was_state
    return Reply(conv, [], actions=["file_ticket"])


def _save(
    svc: Services,
    policy: Policy,
    conv: Conversation,
    msg: Inbound,
    *,
    er_text: str | None,
    now: datetime,
) -> None:
    """Photos as Media rows; an ER reply sent here recorded as the thread's ER message. The
    owner's reply does not wait on a locked database: after WAIT_MS the rows go to a job."""
    # The same key as the file_ticket job's ER SMS: the reply already carried it, so the job's
    # copy is a no-op. Not recorded when opted out: the job then calls instead.
    er_reply = (
        dict(
            key=f"{conv.source_key}:er_details",
            clinic_id=policy.clinic_id,
            kind="sms",
            purpose="er_details",
            to=msg.caller,
            from_=policy.phone,
            body=er_text,
            status="sent",
            attempts=1,
            created_at=utcnow(),
            sent_at=now,
        )
        if er_text
        else None
    )
    try:
        with svc.session() as session:
            with briefly(session):
                media_ids = record_inbound(
                    session,
                    message_sid=msg.sid,
                    source_key=conv.source_key,
                    media=msg.media,
                    er_reply=er_reply,
                )
            session.commit()  # (the lock is taken by the INSERT; WAL's commit waits not)
    except DBAPIError as exc:
        log.warning("database busy: an inbound text's rows go to a job (%s)", type(exc).__name__)
        later = (
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in er_reply.items()}
            if er_reply
            else None
        )
        enqueue(
            svc.queue,
            record_inbound_later,
            msg.sid,
            conv.source_key,
            [list(m) for m in msg.media],
            later,
            key=f"inbound:{msg.sid}",
        )
        return
    for media_id in media_ids:
        enqueue_fetch(svc.queue, media_id)
