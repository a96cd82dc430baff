"""The reconciler: a ticket for every conversation Redis kept but no filing job filed, and for
every contact the webhooks saved to the database while Redis could not be written.

A call that spoke before a Redis outage and hung up during it leaves its conversation in Redis
(AOF) while its status callback could not enqueue the filing job (Twilio does not retry it).
Once a minute (from the outbox sweep) every conversation with something the caller said, quiet
for QUIET, whose contact is not in the database, gets a filing job (idempotent by source key).
Every sweep (10 s), each saved contact (tickets/saved.py) is triaged and filed like a call: its
ER SMS, callback promise and page are sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from rq import Queue
from sqlalchemy import select

from ivr.conversation import new_conversation
from ivr.flow_model import Conversation, ConversationStore
from tickets.models import Contact
from tickets.saved import saved_contacts
from workers import context
from workers.messages import enqueue_outbound
from workers.queueing import enqueue
from workers.tickets import _filed_at, file_conversation, file_ticket

log = logging.getLogger(__name__)
QUIET = timedelta(minutes=2)  # no webhook for this long: the call or thread has ended
LIMIT = 5000  # conversations read per pass (they expire after CONVERSATION_TTL)


def unfiled(now: datetime) -> list[Conversation]:
    """Conversations in Redis with a caller's words, quiet for QUIET, and no contact row."""
    svc = context.services()
    store = ConversationStore(svc.redis, svc.settings.conversation_ttl)
    found: list[Conversation] = []
    for n, raw in enumerate(svc.redis.scan_iter(match="nd:conv:*", count=500)):
        if n >= LIMIT:
            break
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        channel, _, conv_id = key.removeprefix("nd:conv:").partition(":")
        conv = store.load(channel, conv_id)
        if conv is None or not any(t.get("role") == "caller" for t in conv.turns):
            continue
        if now - _filed_at(conv) >= QUIET:
            found.append(conv)
    if not found:
        return []
    with svc.session() as session:
        keys = [c.source_key for c in found]
        filed = set(session.scalars(select(Contact.source_key).where(Contact.source_key.in_(keys))))
    return [c for c in found if c.source_key not in filed]


def reconcile(queue: Queue, now: datetime) -> int:
    """Enqueue a filing job for each unfiled conversation; returns how many."""
    convs = unfiled(now)
    for conv in convs:
        log.warning("conversation %s…%s has no ticket: filing it", conv.channel, conv.id[-6:])
        enqueue(queue, file_ticket, conv.channel, conv.id, key=f"{conv.source_key}:reconcile")
    return len(convs)


def file_saved(now: datetime) -> int:
    """File every contact saved while Redis was down; returns how many were filed."""
    from workers import paging as paging_jobs

    svc = context.services()
    filed = 0
    with svc.session() as session:
        for saved in saved_contacts(session):
            policy = svc.policies.by_id(str(saved.verdict.get("clinic_id")))
            if policy is None:
                log.error("saved contact %s: unknown clinic", saved.id)
                continue
            conv = new_conversation(
                channel=saved.channel,
                conv_id=str(saved.verdict.get("conv_id")),
                policy=policy,
                caller=saved.caller,
                now=saved.created_at,
            )
            conv.turns = list(saved.transcript)
            conv.done, conv.ended_reason = True, "error"
            if texts := conv.caller_texts():
                verdict = svc.triage.analyze(texts, now=policy.local(saved.created_at))
                conv.verdict, conv.summary = verdict.to_dict(), verdict.summary()
            ticket, message_ids, page = file_conversation(
                session, conv, policy, now=saved.created_at
            )
            session.delete(saved)
            session.commit()
            for mid in message_ids:
                enqueue_outbound(svc.queue, mid)
            paging_jobs.dispatch(svc.queue, page)
            log.warning("saved contact filed as ticket %s (%s)", ticket.id, ticket.disposition)
            filed += 1
    return filed
