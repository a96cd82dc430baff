"""The job that files a finished (or emergency, or abandoned) conversation as a ticket."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from config.policy import Policy
from ivr import prompts
from ivr.conversation import closing_params
from ivr.flow_model import Conversation, ConversationStore
from tickets import paging
from tickets.filing import file_contact
from tickets.models import Ticket
from tickets.outbound import queue_sms
from workers import context
from workers.messages import enqueue_outbound

log = logging.getLogger(__name__)


def file_ticket(channel: str, conv_id: str) -> int | None:
    """File the conversation nd:conv:<channel>:<id>; idempotent; errors propagate for Retry."""
    svc = context.services()
    conv = ConversationStore(svc.redis, svc.settings.conversation_ttl).load(channel, conv_id)
    if conv is None:
        log.error("conversation %s:%s is gone (expired?); nothing to file", channel, conv_id)
        return None
    policy = svc.policies.by_id(conv.clinic_id)
    if policy is None:
        raise LookupError(f"no policy for clinic {conv.clinic_id!r}")
    now = _filed_at(conv)
    with svc.session() as session:
        ticket, message_ids, page_result = file_conversation(session, conv, policy, now=now)
        session.commit()
    for mid in message_ids:
        enqueue_outbound(svc.queue, mid)
    if page_result is not None:
        from workers import paging as paging_jobs

        paging_jobs.dispatch(svc.queue, page_result)
    return ticket.id


def _filed_at(conv: Conversation) -> datetime:
    """The time of the contact's last turn: a retried job files as of the call, not of now."""
    stamps = [t["at"] for t in conv.turns if t.get("at")] or [conv.started_at]
    try:
        return datetime.fromisoformat(max(stamps))
    except (TypeError, ValueError):
        return datetime.now(UTC)


def file_conversation(
    session: Session, conv: Conversation, policy: Policy, *, now: datetime
) -> tuple[Ticket, list[int], Any]:
    """File the ticket and record (not send) its messages; the caller commits, then sends."""
    verdict = conv.effective_verdict()
    ticket = file_contact(
        session,
        source_key=conv.source_key,
        clinic_id=conv.clinic_id,
        channel=conv.channel,
        caller=conv.caller,
        callback_number=conv.callback_number or conv.caller,
        verdict=verdict,
        transcript=list(conv.turns),
        ended_reason=conv.ended_reason or "hangup",
        now=now,
        policy=policy,
    )
    ids: list[int] = []
    params = closing_params(verdict, policy, channel="sms", language=conv.language)
    if ticket.disposition == "emergency":
        ids.append(_er_sms(session, conv, policy, ticket, verdict, params))
    elif conv.done and conv.channel != "sms" and any(t["role"] == "caller" for t in conv.turns):
        # (an SMS thread's closing reply already gave the callback time)
        ids.append(_promise_sms(session, conv, policy, ticket, params, now))
    return ticket, ids, paging.page_for_ticket(session, policy, ticket, now)


def _er_sms(
    session: Session,
    conv: Conversation,
    policy: Policy,
    ticket: Ticket,
    verdict: dict[str, Any],
    params: dict[str, Any],
) -> int:
    er = policy.er
    body = prompts.render(
        "er_details_sms",
        {
            **params,
            "er_note": f"{er.note[0].upper()}{er.note[1:]}. " if er.note else "",
            "maps": er.maps_url or "",
        },
        channel="sms",
        language=conv.language,
    ).strip()
    if "toxin" in (verdict.get("red_flags") or []):
        body += prompts.render(
            "er_details_poison_sms", params, channel="sms", language=conv.language
        )
    return queue_sms(
        session,
        key=f"{conv.source_key}:er_details",
        clinic_id=conv.clinic_id,
        to=conv.caller,
        from_=policy.phone,
        body=body,
        purpose="er_details",
        ticket_id=ticket.id,
    )


def _promise_sms(
    session: Session,
    conv: Conversation,
    policy: Policy,
    ticket: Ticket,
    params: dict[str, Any],
    now: datetime,
) -> int:
    when = prompts.when_phrase(
        policy.local(ticket.due_at), policy.local(now), language=conv.language
    )
    about = params["subject"]
    body = prompts.render(
        "callback_promise_sms",
        {**params, "when": when, "about": about},
        channel="sms",
        language=conv.language,
    )
    # ONE per ticket, however many contacts join it.
    return queue_sms(
        session,
        key=f"ticket:{ticket.id}:callback_promise",
        clinic_id=conv.clinic_id,
        to=ticket.callback_number,
        from_=policy.phone,
        body=body,
        purpose="callback_promise",
        ticket_id=ticket.id,
    )
