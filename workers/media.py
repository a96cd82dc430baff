"""The job that copies an MMS photo off Twilio before its media expires."""

from __future__ import annotations

from rq import Queue

from tickets.media import fetch_and_store
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
