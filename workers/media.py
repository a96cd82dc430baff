"""The job that copies an MMS photo off Twilio before its media expires."""

from __future__ import annotations

from datetime import datetime

from rq import Queue

from tickets.media import fetch_and_store, record_inbound
from workers import context
from workers.queueing import enqueue


def fetch_media(media_id: int) -> str:
    """Download and store one photo (idempotent; transient errors propagate for Retry)."""
    svc = context.services()
    s = svc.settings
    auth = None
    if s.twilio_account_sid and s.twilio_auth_token:
        auth = (s.twilio_account_sid, s.twilio_auth_token)
    with svc.session() as session:
        media = fetch_and_store(
            session, media_id, data_dir=s.data_dir, auth=auth, timeout=s.twilio_timeout
        )
        return media.status


def enqueue_fetch(queue: Queue, media_id: int) -> None:
    """Call after the transaction that recorded the media row has committed."""
    enqueue(queue, fetch_media, media_id, key=f"media{media_id}")


def record_inbound_later(
    message_sid: str, source_key: str, media: list[list[str]], er_reply: dict[str, str] | None
) -> int:
    """An inbound text's rows, when the webhook could not write them in time (the database
    was locked: the owner's reply does not wait for it). Returns the photos queued to fetch."""
    svc = context.services()
    reply = None
    if er_reply:
        reply = {**er_reply, "created_at": datetime.fromisoformat(er_reply["created_at"])}
        reply["sent_at"] = datetime.fromisoformat(er_reply["sent_at"])
    with svc.session() as session:
        ids = record_inbound(
            session,
            message_sid=message_sid,
            source_key=source_key,
            media=[(url, ctype) for url, ctype in media],
            er_reply=reply,
        )
        session.commit()
    for media_id in ids:
        enqueue_fetch(svc.queue, media_id)
    return len(ids)
