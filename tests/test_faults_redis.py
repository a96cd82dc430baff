"""Redis that reads but cannot write (memory full): the database keeps the call, no false promise,
and no call left unfiled.

The real embedded Redis is made full (`maxmemory` 1 byte, `noeviction`): every write fails while
reads still work, as in production when memory runs out.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select

from config.settings import Settings
from nightdesk.services import Services
from tests.conftest import tickets
from tests.twilio_api import TwilioAPI
from tests.voice_helpers import CALLER, Call
from tickets.models import Contact
from workers.reconcile import file_saved, reconcile

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago: closed
STORY = "my dog Max has been scratching his ears and shaking his head since Tuesday"
EMERGENCY = "my dog Rex ate a whole bar of dark chocolate twenty minutes ago and he is shaking"


@pytest.fixture
def call(app: Flask, signed_post: Callable[..., Any]) -> Call:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return Call(signed_post, "CA" + uuid.uuid4().hex)


@contextmanager
def full(redis: Redis) -> Iterator[None]:
    redis.config_set("maxmemory", "1")
    try:
        yield
    finally:
        redis.config_set("maxmemory", "0")


def test_words_redis_cannot_take_are_kept_in_the_database_and_filed(
    call: Call,
    redis: Redis,
    services: Services,
    twilio_api: TwilioAPI,
    run_worker: Callable[[], int],
) -> None:
    call.start()
    with full(redis):
        answer = call.say(EMERGENCY)
    assert answer.status == 200 and answer.root.find("Hangup") is not None
    policy = services.policies.for_number(call.to)
    assert policy is not None and policy.er.name in answer.text  # ER guidance, at once
    assert tickets(services) == []
    assert file_saved(NIGHT) == 1  # what the sweep does every 10 s once Redis is back
    run_worker()
    [ticket] = tickets(services)
    assert ticket.caller == CALLER and ticket.disposition == "emergency"
    assert "chocolate" in str(ticket.transcript)
    assert [m["To"] for m in twilio_api.messages()] == [CALLER]  # the ER details by SMS
    with services.session() as s:  # the saved row became the call's own contact
        assert [c.source_key for c in s.scalars(select(Contact))] == [f"call:{call.sid}"]
    assert file_saved(NIGHT) == 0


def test_a_routine_caller_is_told_saved_because_the_database_kept_it(
    call: Call, redis: Redis, services: Services
) -> None:
    call.start()
    with full(redis):
        answer = call.say(STORY)  # weighed in the fallback: routine
    assert "saved your call" in answer.text
    with services.session() as s:
        [kept] = s.scalars(select(Contact))
    assert kept.ticket_id is None and STORY in str(kept.transcript)


def test_when_neither_redis_nor_the_database_can_keep_it_the_caller_hears_the_er(
    call: Call, redis: Redis, services: Services, settings: Settings
) -> None:
    if not services.settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("the lock is SQLite's")
    call.start()
    lock = sqlite3.connect(services.settings.sqlalchemy_url.split("///", 1)[1])
    lock.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        with full(redis):
            answer = call.say(STORY)  # routine words: before, "I've saved your call"
        took = time.monotonic() - t0
    finally:
        lock.rollback()
        lock.close()
    assert answer.status == 200
    assert "saved your call" not in answer.text
    policy = services.policies.for_number(call.to)
    assert policy is not None and policy.er.name in answer.text
    assert took < 2.0, took  # the database waits 1 s for its lock here, not 15


def test_a_call_whose_hang_up_could_not_be_queued_is_filed_by_the_reconciler(
    call: Call, redis: Redis, services: Services, run_worker: Callable[[], int]
) -> None:
    call.start()
    call.say(STORY)
    run_worker()
    with full(redis):
        call.status("completed")  # its filing job cannot be enqueued
    run_worker()
    assert tickets(services) == []
    assert reconcile(services.queue, NIGHT + timedelta(minutes=1)) == 0  # not quiet yet
    assert reconcile(services.queue, NIGHT + timedelta(minutes=3)) == 1
    run_worker()
    [ticket] = tickets(services)
    assert ticket.caller == CALLER and "scratching" in str(ticket.transcript)
    assert reconcile(services.queue, NIGHT + timedelta(minutes=5)) == 0  # filed: left alone
