"""Outgoing SMS and calls: the one place that talks to Twilio's REST API (or the local outbox).

The intent is recorded first (a row with a unique key, in the caller's transaction); a job sends
it after commit. A retry of the job, or a duplicate intent, never sends twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config.logs import guard_library_loggers, mask_phones
from config.settings import Settings
from tickets.models import OptOut, OutboundMessage, TicketEvent, utcnow

if TYPE_CHECKING:
    from twilio.rest import Client

log = logging.getLogger(__name__)
OPT_OUT_ERROR = 21610  # Twilio: the number replied STOP


def mask(phone: str | None) -> str:
    """A phone number fit for a log line: only the last four digits."""
    return "…" + phone[-4:] if phone else "…"


def insert_ignore(session: Session, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = ins(model).values(**values).on_conflict_do_nothing()
    # rowcount is -1 under psycopg 3 + SQLAlchemy 2.1: RETURNING tells inserted from skipped.
    result = session.execute(stmt.returning(*model.__table__.primary_key.columns))
    return result.first() is not None


def queue_message(
    session: Session,
    *,
    key: str,
    clinic_id: str,
    to: str,
    from_: str,
    body: str,
    purpose: str,
    kind: str = "sms",
    ticket_id: int | None = None,
) -> int:
    """Record an outgoing SMS (body = text) or call (body = TwiML); returns the message id."""
    insert_ignore(
        session,
        OutboundMessage,
        dict(
            key=key,
            clinic_id=clinic_id,
            to=to,
            from_=from_,
            body=body,
            purpose=purpose,
            kind=kind,
            ticket_id=ticket_id,
            status="pending",
            attempts=0,
            created_at=utcnow(),
        ),
    )
    msg_id = session.scalar(select(OutboundMessage.id).where(OutboundMessage.key == key))
    assert msg_id is not None
    return msg_id


def queue_sms(session: Session, **kwargs: Any) -> int:
    return queue_message(session, kind="sms", **kwargs)


def queue_call(session: Session, **kwargs: Any) -> int:
    return queue_message(session, kind="call", **kwargs)


def is_opted_out(session: Session, phone: str, clinic_number: str) -> bool:
    row = session.get(OptOut, (phone, clinic_number))
    return bool(row and row.active)


def make_twilio_client(settings: Settings) -> Client:
    """The real twilio client, with a timeout (its default has none) and an optional API base."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    base = settings.twilio_api_base

    class _HttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if base:
                for prefix in ("https://api.twilio.com", "https://api.us1.twilio.com"):
                    if url.startswith(prefix):
                        url = base.rstrip("/") + url[len(prefix) :]
            return super().request(method, url, *args, **kwargs)

    guard_library_loggers()  # its request logs hold numbers (a message search's `To=`)
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=_HttpClient(timeout=settings.twilio_timeout),
    )


def _already_sent(client: Client, msg: OutboundMessage) -> str | None:
    """After an ambiguous failure, look for the message at Twilio before sending again."""
    since = msg.created_at - timedelta(minutes=1)
    if msg.kind != "sms":  # a call's TwiML is not listed: any call to that number since counts
        for call in client.calls.list(to=msg.to, from_=msg.from_, start_time_after=since, limit=1):
            return str(call.sid)
        return None
    for sent in client.messages.list(to=msg.to, from_=msg.from_, date_sent_after=since, limit=20):
        if sent.body == msg.body:
            return str(sent.sid)
    return None


def page_id_of(msg: OutboundMessage) -> int | None:
    """The page a page SMS belongs to (its key is `page-sms:<page id>`)."""
    if msg.purpose != "page" or not msg.key.startswith("page-sms:"):
        return None
    return int(msg.key.split(":", 1)[1])


def mark_failed(session: Session, msg: OutboundMessage, error: str, now: datetime) -> bool:
    """Give up on a message for good: status `failed` and a `send_failed` ticket event.

    False when it was already settled (sent, failed …): the first give-up wins.
    """
    if msg.status not in ("pending", "sending"):
        return False
    msg.status, msg.error = "failed", mask_phones(error)[:500]
    if msg.ticket_id is not None:
        detail = dict(
            message_id=msg.id,
            purpose=msg.purpose,
            kind=msg.kind,
            to=mask(msg.to),
            attempts=msg.attempts,
            error=msg.error,
        )
        # (a TicketEvent as tickets.lifecycle.record writes it; lifecycle imports this module)
        session.add(
            TicketEvent(
                ticket_id=msg.ticket_id, actor="system", kind="send_failed", at=now, detail=detail
            )
        )
    log.warning("%s #%s to %s failed for good: %s", msg.purpose, msg.id, mask(msg.to), msg.error)
    return True


def stale_messages(session: Session, before: datetime, *, limit: int = 200) -> list[int]:
    """Messages still pending or sending that were recorded before `before` (oldest first)."""
    return list(
        session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.status.in_(("pending", "sending")),
                OutboundMessage.created_at < before,
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
        )
    )


def deliver(session: Session, message_id: int, client: Client | None) -> OutboundMessage:
    """Send one recorded message, once. Errors propagate so the job's Retry applies."""
    msg = session.get(OutboundMessage, message_id, with_for_update=True)
    if msg is None:
        raise LookupError(f"outbound message {message_id} does not exist")
    if msg.status in ("sent", "outbox", "blocked"):
        return msg
    if msg.kind == "sms" and is_opted_out(session, msg.to, msg.from_):
        from tickets.optout import call_instead  # an emergency SMS becomes a voice call

        if not call_instead(msg):
            msg.status, msg.error = "blocked", "recipient opted out (STOP)"
            session.commit()
            log.info("not sending %s to %s: opted out", msg.purpose, mask(msg.to))
            return msg
        log.info("%s to %s (opted out) goes as a voice call", msg.purpose, mask(msg.to))
    if client is None:
        msg.status, msg.sent_at, msg.attempts = "outbox", utcnow(), msg.attempts + 1
        session.commit()
        # No body: it holds symptoms and pet names (`nightdesk outbox` shows it to staff).
        log.info("OUTBOX %s %s #%s to %s", msg.kind, msg.purpose, msg.id, mask(msg.to))
        return msg
    ambiguous = msg.status == "sending"
    msg.status, msg.attempts = "sending", msg.attempts + 1
    session.commit()
    if ambiguous and (sid := _already_sent(client, msg)):
        msg.status, msg.provider_sid, msg.sent_at = "sent", sid, utcnow()
        session.commit()
        return msg
    from twilio.base.exceptions import TwilioRestException

    try:
        if msg.kind == "sms":
            sid = client.messages.create(to=msg.to, from_=msg.from_, body=msg.body).sid
        else:
            sid = client.calls.create(to=msg.to, from_=msg.from_, twiml=msg.body).sid
    except TwilioRestException as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            # Permanent (bad number, opted out …): record, do not retry.
            mark_failed(session, msg, f"{exc.code}: {exc.msg}", utcnow())
            session.commit()
            return msg
        raise
    msg.status, msg.provider_sid, msg.sent_at = "sent", sid, utcnow()
    session.commit()
    log.info("sent %s %s to %s (%s)", msg.kind, msg.purpose, mask(msg.to), sid)
    return msg
