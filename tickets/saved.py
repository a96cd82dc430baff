"""A line that outlives Redis: what a caller said, kept in the database when Redis cannot be
written, until the reconciler (workers/reconcile.py) files it as a ticket.

A saved contact is a `contact` row without a ticket whose source key starts with `saved:`; the
clinic, the number called and the words are in it. Filing it creates the real contact (key
`call:<CallSid>` or `sms:<MessageSid>`) and deletes the saved row in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models import Contact
from tickets.outbound import insert_ignore

PREFIX = "saved:"
WAIT_MS = 1000
BUSY_TIMEOUT_MS = 15000  # what tickets/db.py sets on every SQLite connection
log = logging.getLogger(__name__)


def keep(
    session_factory: Callable[[], Session],
    *,
    channel: str,
    conv_id: str,
    clinic_id: str,
    caller: str,
    turns: list[dict[str, Any]],
    said: str,
    now: datetime,
) -> bool:
    """Keep a contact Redis could not take (idempotent per call or message): the turns known so
    far plus what was just said. True when it is in the database; never raises (a webhook's
    fallback calls it)."""
    turns = list(turns)
    if said:
        turns.append(
            {
                "at": now.isoformat(),
                "role": "caller",
                "channel": channel,
                "text": said,
                "kind": "speech",
            }
        )
    try:
        with session_factory() as session:
            with briefly(session):  # (the lock is taken by the INSERT; WAL's commit waits not)
                insert_ignore(
                    session,
                    Contact,
                    dict(
                        source_key=f"{PREFIX}{channel}:{conv_id}"[:96],
                        ticket_id=None,
                        channel=channel,
                        caller=caller,
                        disposition="routine",  # not triaged yet: the reconciler does it
                        verdict={"clinic_id": clinic_id, "conv_id": conv_id},
                        transcript=turns,
                        ended_reason="saved",
                        created_at=now,
                    ),
                )
            session.commit()
    except Exception as exc:  # noqa: BLE001 - the caller still hears the ER guidance
        log.error("could not save the contact to the database either: %r", exc)
        return False
    log.warning("Redis unavailable: %s contact kept in the database", channel)
    return True


@contextmanager
def briefly(session: Session) -> Iterator[None]:
    """Wait at most WAIT_MS for a database lock: the caller is on the line (the usual 15 s
    busy timeout would outlast Twilio's patience)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout={WAIT_MS}")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {WAIT_MS}")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {2 * WAIT_MS}")
    yield


def saved_contacts(session: Session, *, limit: int = 200) -> list[Contact]:
    """Saved contacts not filed yet, oldest first."""
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.source_key.startswith(PREFIX), Contact.ticket_id.is_(None))
            .order_by(Contact.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
