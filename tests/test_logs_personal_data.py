"""Logs without personal data: an end-to-end night, every log record scanned.

Calls and texts through the real app, a real RQ worker, the real twilio client (against the
local stand-in API), a page to the on-call vet and the vet's "1". No record at any level holds
a full phone number; none at INFO or above holds what an owner said (symptoms, pet names).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config.logs import PhoneMask, mask_phones, setup_logging
from nightdesk.devphone import DevPhone, flask_post
from nightdesk.services import Services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE
from tests.sms_helpers import Phone
from tests.twilio_api import TwilioAPI
from tickets.models import OutboundMessage, Ticket
from tickets.outbound import deliver, make_twilio_client, queue_sms

NIGHT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 2 a.m. in Chicago
VIP = "+15555550177"  # clients.vip of the example: their emergency pages the on-call vet
OWNERS = ("+15555550123", "+15555550124", VIP)
VETS = ("+15555550142", "+15555550143", "+15555550144")
WORDS = ("chocolate", "biscuit", "luna", "vomit", "blood", "collapsed", "rex", "heartworm")
E164 = re.compile(r"(\+|%2B)\d{7,15}")


def _night(app: Flask, client: FlaskClient, signed_post: Callable[..., Any]) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    calls = [
        (VIP, ["my dog Rex collapsed and is not responding", "1"]),
        (OWNERS[0], ["I need a refill of heartworm pills for Biscuit", "1"]),
    ]
    for caller, script in calls:
        DevPhone(
            flask_post(client),
            url=PUBLIC_BASE,
            caller=caller,
            token=AUTH_TOKEN,
            public_base=PUBLIC_BASE,
            out=lambda _line: None,
        ).run(iter(script))
    texter = Phone(signed_post, caller=OWNERS[1])
    texter.text("my cat Luna has been vomiting blood since last night")
    texter.text("she ate a chocolate bar")


def _scan(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for r in records:
        text = r.getMessage() + (r.exc_text or "")
        digits = re.sub(r"\D", "", text)
        for number in (*OWNERS, *VETS):
            if number[1:] in digits or number[2:] in digits:
                found.append(f"{r.name} {r.levelname}: full number {number}: {text[:200]}")
        if E164.search(text):
            found.append(f"{r.name} {r.levelname}: E.164 number: {text[:200]}")
        said = [w for w in WORDS if w in text.lower()]
        if said and r.levelno >= logging.INFO:
            found.append(f"{r.name} {r.levelname}: owner's words {said}: {text[:200]}")
    return found


def test_an_end_to_end_night_logs_no_numbers_and_no_symptoms(
    app: Flask,
    client: FlaskClient,
    signed_post: Callable[..., Any],
    services: Services,
    run_worker: Callable[[], int],
    twilio_api: TwilioAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _night(app, client, signed_post)
    run_worker()
    paged = [m for m in twilio_api.messages() if m["To"] in VETS]
    assert paged, "the VIP's emergency should have paged the on-call vet"
    vet = Phone(signed_post, caller=paged[0]["To"])
    assert vet.text("1")  # the acknowledgement
    run_worker()
    with services.session() as s:
        assert len(s.scalars(select(Ticket)).all()) == 3
        # the local outbox (no Twilio account) logs a line per message: no body in it
        body = "Luna has been vomiting blood; she ate a chocolate bar"
        msg_id = queue_sms(
            s, key="outbox-test", clinic_id="maple-street", to=OWNERS[1], from_="+15555550100",
            body=body, purpose="test",
        )  # fmt: skip
        s.commit()
        assert deliver(s, msg_id, None).status == "outbox"
        # a message search after an ambiguous failure (a GET with To= in its query)
        ambiguous = s.get(OutboundMessage, msg_id)
        assert ambiguous is not None
        ambiguous.status = "sending"
        s.commit()
        deliver(s, msg_id, make_twilio_client(services.settings))
    assert len(caplog.records) > 20  # the flow did log: RQ, filing, sends, pages
    assert _scan(caplog.records) == []


def test_the_handler_filter_masks_what_slips_through(caplog: pytest.LogCaptureFixture) -> None:
    assert mask_phones("to +15555550123 (SM0000000000000000000000000000000001)") == (
        "to …0123 (SM0000000000000000000000000000000001)"
    )
    assert mask_phones("GET /Messages.json?To=%2B15555550123&PageSize=20") == (
        "GET /Messages.json?To=…0123&PageSize=20"
    )
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "paged %s", ("+447700900123",), None)
    PhoneMask().filter(record)
    assert record.getMessage() == "paged …0123"


def test_setup_logging_quiets_the_twilio_library() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        setup_logging()
        assert logging.getLogger("twilio.http_client").getEffectiveLevel() == logging.WARNING
        assert all(any(isinstance(f, PhoneMask) for f in h.filters) for h in root.handlers)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
            for f in [f for f in handler.filters if isinstance(f, PhoneMask)]:
                handler.removeFilter(f)
