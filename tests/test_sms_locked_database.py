"""A locked database does not hold up an owner's text: the reply goes out within 2 s and the
rows the webhook could not write (the ER reply it carried) are written by a job afterwards."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from nightdesk.services import Services
from tests.sms_helpers import ER_NAME, Phone
from tickets.models import OutboundMessage

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago: closed


def test_an_emergency_text_is_answered_while_the_database_is_locked(
    app: Flask,
    signed_post: Callable[..., Any],
    services: Services,
    run_worker: Callable[[], int],
) -> None:
    if not services.settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("the lock is SQLite's")
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    phone = Phone(signed_post)
    lock = sqlite3.connect(services.settings.sqlalchemy_url.split("///", 1)[1])
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        (reply,) = phone.text("my dog just ate a whole bar of dark chocolate")
        took = time.monotonic() - t0
    finally:
        lock.rollback()
        lock.close()
    assert ER_NAME in reply and "1200 River Road" in reply
    assert took < 2.0, took  # the database waits 1 s for its lock here, not 15
    run_worker()
    with services.session() as s:
        er = s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "er_details")).all()
    # the job wrote the ER reply as sent before the filing job looked: sent once, not twice
    assert [(m.status, m.body == reply) for m in er] == [("sent", True)]
