"""Redis that reads but cannot write (memory full): no false promise, and no call left unfiled.

The real embedded Redis is made full (`maxmemory` 1 byte, `noeviction`): every write fails while
reads still work, as in production when memory runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from nightdesk.services import Services
from tests.conftest import tickets
from tests.voice_helpers import CALLER, Call
from workers.reconcile import reconcile

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago: closed
STORY = "my dog Max has been scratching his ears and shaking his head since Tuesday"


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


def test_a_caller_is_not_told_the_call_was_saved_when_it_was_not(
    call: Call, redis: Redis, services: Services
) -> None:
    call.start()
    with full(redis):
        answer = call.say(STORY)  # routine words: before, this got "I've saved your call"
    assert answer.status == 200
    assert "saved your call" not in answer.text
    er = services.policies.for_number(call.to)
    assert er is not None and er.er.name in answer.text  # the ER guidance instead
    assert answer.root.find("Hangup") is not None


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
