"""The SMS webhook (POST /sms) and the staff-only route serving stored MMS photos.

Thin views: check the signature, drop duplicates by MessageSid (a retry gets the same reply),
hand the text to ivr.sms_flow, answer with TwiML <Message>. Never a 500: on any internal error
the owner gets a safe reply and the text is still saved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from config.policy import Policy
from ivr import prompts
from ivr.app import services
from ivr.conversation import new_conversation
from ivr.flow_model import ConversationStore
from ivr.sms_flow import Inbound, guard_for, handle, maps_link
from ivr.sms_guard import SEEN_TTL
from ivr.twilio_sig import twilio_webhook, twiml_response
from nightdesk.services import Services
from tickets import media as media_store
from tickets.media import media_items
from tickets.models import Media, Ticket
from tickets.outbound import mask
from tickets.saved import keep
from workers.queueing import enqueue
from workers.tickets import file_ticket

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, template_folder="templates")


def clock() -> datetime:
    """Now (UTC); tests set app.config["NIGHTDESK_CLOCK"] to control it."""
    fn: Callable[[], datetime] | None = current_app.config.get("NIGHTDESK_CLOCK")
    return fn() if fn else datetime.now(UTC)


def twiml(text: str | None) -> str:
    resp = MessagingResponse()
    if text:
        resp.message(prompts.clean(text, limit=1600))
    return str(resp)


def _once(svc: Services, sid: str, build: Callable[[], str]) -> str:
    """Run build() once per MessageSid; a duplicate (Twilio's retry) gets the same TwiML back."""
    key = f"nd:seen:sms:{sid}"
    if svc.redis.set(key, "", nx=True, ex=SEEN_TTL):
        answer = build()
        svc.redis.set(key, answer, ex=SEEN_TTL)
        return answer
    for _ in range(100):  # the first request may still be working: wait for its answer
        cached = svc.redis.get(key)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        time.sleep(0.05)
    return twiml(None)  # still working after 5 s: it will answer; this copy stays quiet


def _fallback(svc: Services, policy: Policy, msg: Inbound, exc: BaseException) -> str:
    """Log, keep the text, and answer safely: ER details if anything looked urgent."""
    log.error("sms flow failed for %s: %r", mask(msg.caller), exc, exc_info=exc)
    urgent = True
    saved = False  # "we saved your message" only when it was (and its filing job queued)
    try:
        thread_id = guard_for(svc).thread(policy.phone, msg.caller, msg.sid, clock().timestamp())
        store = ConversationStore(svc.redis, svc.settings.conversation_ttl)
        conv = store.load("sms", thread_id) or new_conversation(
            channel="sms", conv_id=thread_id, policy=policy, caller=msg.caller, now=clock()
        )
        urgent = conv.disposition != "routine" or not conv.verdict
        conv.add_turn("caller", prompts.clean(msg.body, limit=16_000), clock())
        conv.ended_reason = conv.ended_reason or "error"
        store.save(conv)
        enqueue(svc.queue, file_ticket, "sms", thread_id, key=f"{conv.source_key}:err:{msg.sid}")
        saved = True
    except Exception as again:  # noqa: BLE001 - the owner must still get an answer
        log.error("could not save the text from %s: %r", mask(msg.caller), again)
        saved = keep(  # Redis cannot take it: the database keeps it (tickets/saved.py)
            svc.session,
            channel="sms",
            conv_id=msg.sid,
            clinic_id=policy.clinic_id,
            caller=msg.caller,
            turns=[],
            said=prompts.clean(msg.body, limit=16_000),
            now=clock(),
        )
    if urgent or not saved:
        params = {
            "er_name": policy.er.name,
            "er_address": policy.er.address,
            "er_phone": prompts.display_phone(policy.er.phone, policy.region),
        }
        text = prompts.render("fallback_er", params, channel="sms", language=policy.language)
        text += " " + prompts.render("sms_maps", {"maps": maps_link(policy)}, channel="sms")
    else:
        text = prompts.render("fallback_callback", channel="sms", language=policy.language)
    return twiml(text)


@bp.post("/sms")
@twilio_webhook
def incoming() -> Response:
    svc, form = services(), request.form
    msg = Inbound(
        sid=form.get("MessageSid") or form.get("SmsSid") or "",
        caller=(form.get("From") or "").strip(),
        to=(form.get("To") or "").strip(),
        body=form.get("Body") or "",
        media=media_items(form),
    )
    policy = svc.policies.for_number(msg.to)
    if policy is None:
        log.warning("sms to %s, which is no clinic's number; check the policy files", mask(msg.to))
        return twiml_response(twiml(prompts.render("unknown_number", channel="sms")))
    if not msg.sid or not msg.caller:
        log.warning("sms without MessageSid or From to %s: ignored", policy.clinic_id)
        return twiml_response(twiml(None))

    def run() -> str:
        try:
            return twiml(handle(svc, policy, msg, clock()))
        except Exception as exc:  # noqa: BLE001 - a webhook never answers with a 500
            return _fallback(svc, policy, msg, exc)

    try:
        return twiml_response(_once(svc, msg.sid, run))
    except Exception as exc:  # noqa: BLE001 - Redis itself failing: still answer safely
        return twiml_response(_fallback(svc, policy, msg, exc))


# -- stored photos, for the ticket page ------------------------------------------------------


def _staff_clinics() -> Any:
    from flask_login import current_user

    return current_user.clinics


@bp.get("/media/<int:media_id>")
def media_file(media_id: int) -> Any:
    """A stored MMS photo, for logged-in staff of the ticket's clinic."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    svc = services()
    with svc.session() as session:
        media = session.get(Media, media_id)
        if media is None or media.status != "stored" or not media.path:
            abort(404)
        clinic = media_store.clinic_of(session, media)
    allowed = _staff_clinics()
    if allowed is not None and clinic not in allowed:
        abort(404)  # not 403: do not confirm that another clinic's photo exists
    path = Path(media.path)
    root = media_store.media_dir(svc.settings.data_dir).resolve()
    if not path.resolve().is_relative_to(root) or not path.is_file():
        abort(404)
    resp = Response(path.read_bytes(), mimetype=media.content_type)  # ≤ 5 MB, see tickets.media
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    return resp


def init_app(app: Flask) -> None:
    """`ticket_media(ticket)` for the ticket page (ivr/templates/ticket_media.html)."""

    def ticket_media(ticket: Ticket) -> list[Media]:
        with services().session() as session:
            return media_store.for_ticket(session, ticket)

    app.jinja_env.globals["ticket_media"] = ticket_media
