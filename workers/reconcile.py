"""The reconciler: a ticket for every conversation Redis kept but no filing job filed.

A call that spoke before a Redis outage and hung up during it leaves its conversation in Redis
(AOF) while its status callback could not enqueue the filing job (Twilio does not retry it).
Once a minute (from the outbox sweep) every conversation with something the caller said, quiet
for QUIET, whose contact is not in the database, gets a filing job (idempotent by source key).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from rq import Queue
from sqlalchemy import select

from ivr.flow_model import Conversation, ConversationStore
from tickets.models import Contact
from workers import context
from workers.queueing import enqueue
from workers.tickets import _filed_at, file_ticket

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
