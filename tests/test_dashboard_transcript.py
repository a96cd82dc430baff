"""The ticket page's transcript: both sides, the transfer, and every message sent to the owner."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config.policy import Policy
from ivr.dashboard.timeline import timeline
from nightdesk.services import Services
from tests.sms_helpers import Phone
from tests.test_dashboard_fixtures import login, make_user
from tests.test_voice_calls import ER_NAME, ER_PHONE, NIGHT, Call
from tickets.models import Contact, OutboundMessage, Ticket

VIP = "+15555550177"  # on the example clinic's `vip` list: an emergency pages the on-call vet
VET = "+15555550142"


class Transcript(HTMLParser):
    """The ticket page's transcript entries: (class, label, text) in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[str, str, str]] = []
        self.html = ""
        self._depth = 0
        self._field: str | None = None
        self._cur: dict[str, str] = {}
        self._start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "ol" and a.get("id") == "transcript":
            self._depth = 1
            return
        if not self._depth:
            return
        if tag == "li":
            self._cur = {"class": a.get("class") or "", "who": "", "said": ""}
        elif tag == "span" and a.get("class") in ("who", "said"):
            self._field = a["class"]

    def handle_endtag(self, tag: str) -> None:
        if not self._depth:
            return
        if tag == "span":
            self._field = None
        elif tag == "li" and self._cur:
            c = self._cur
            self.entries.append((c["class"], " ".join(c["who"].split()), c["said"].strip()))
            self._cur = {}
        elif tag == "ol":
            self._depth = 0

    def handle_data(self, data: str) -> None:
        if self._depth and self._field and self._cur:
            self._cur[self._field] += data


def transcript_of(client: FlaskClient, ticket_id: int) -> list[tuple[str, str, str]]:
    page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    parser = Transcript()
    parser.feed(page.get_data(as_text=True))
    return parser.entries


def only_ticket(services: Services) -> Ticket:
    with services.session() as s:
        (t,) = s.scalars(select(Ticket)).all()
        s.expunge(t)
        return t


@pytest.fixture
def night(app: Flask) -> Flask:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return app


@pytest.fixture
def desk(client: FlaskClient, services: Services) -> FlaskClient:
    with services.session() as s:
        make_user(s, "casey", "csr")
        s.commit()
    login(client)
    return client


def test_an_emergency_call_shows_both_sides_the_transfer_and_the_er_sms(
    night: Flask,
    signed_post: Callable[..., Any],
    run_worker: Callable[[], int],
    services: Services,
    desk: FlaskClient,
) -> None:
    call = Call(signed_post, "CA" + "5" * 32, caller=VIP)
    call.start()
    call.say("My dog Rex was hit by a car and he is bleeding everywhere")
    assert call.press("1").dialled == ER_PHONE
    call.status("completed")
    run_worker()
    ticket = only_ticket(services)
    entries = transcript_of(desk, ticket.id)
    sides = [cls.split()[-1] for cls, _, _ in entries]
    texts = [text for _, _, text in entries]

    # the owner's words and the line's words, in the order they were said
    owner = texts.index("My dog Rex was hit by a car and he is bleeding everywhere")
    offer = next(i for i, t in enumerate(texts) if "connected to " + ER_NAME in t)
    assert sides[0] == "line" and sides[owner] == "caller" and sides[offer] == "line"
    assert owner < offer
    # what the owner answered, then the transfer the line made
    pressed = texts.index("[pressed 1]")
    transfer = sides.index("action")
    assert offer < pressed < transfer
    assert entries[transfer][1].startswith("Line · transfer")
    assert texts[transfer] == f"Dialled {ER_NAME}, (555) 555-0199, to connect the caller."
    # the SMS with the ER's details went to the owner, and shows what it said
    [sms] = [e for e in entries if e[0].endswith("message")]
    assert sms[1].startswith("SMS to the owner · ER details")
    assert ER_NAME in sms[2] and "1200 River Road" in sms[2]
    assert entries.index(sms) > owner

    # the vet was paged (an SMS to their personal number) but the page is not in the transcript
    with services.session() as s:
        page = s.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "page"))
        assert page is not None and page.to == VET and page.ticket_id == ticket.id
    assert all(VET not in label + text for _, label, text in entries)


def test_an_sms_thread_shows_the_er_reply_recorded_before_the_ticket(
    app: Flask,
    signed_post: Callable[..., Any],
    run_worker: Callable[[], int],
    services: Services,
    desk: FlaskClient,
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    reply = Phone(signed_post).text("My dog was just hit by a car and he is bleeding a lot")
    run_worker()
    ticket = only_ticket(services)
    with services.session() as s:
        er = s.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "er_details"))
        assert er is not None and er.key.startswith("sms:")  # recorded by the SMS view itself
    entries = transcript_of(desk, ticket.id)
    assert entries[0][0].endswith("caller") and "hit by a car" in entries[0][2]
    [sms] = [e for e in entries if e[0].endswith("message")]
    assert sms[2] == reply[0] and "· sent" in sms[1]


def test_every_recorded_turn_shows_whatever_its_kind(example: Policy) -> None:
    at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    ticket = Ticket(
        id=7,
        caller="+15555550123",
        callback_number="+15555550123",
        transcript=[
            {"at": at.isoformat(), "role": "caller", "channel": "voice", "text": "He ate grapes"},
            {
                "at": at.isoformat(),
                "role": "line",
                "channel": "voice",
                "text": "Go to Riverside now.",
                "kind": "er_guidance",
            },
            {"role": "line", "text": "Connecting you now.", "kind": "transfer"},
            {
                "at": "2026-11-24T04:01:00",  # naive: read as UTC
                "role": "line",
                "channel": "voice",
                "text": "The ER answered.",
                "kind": "transfer_result",
            },
        ],
    )
    contact = Contact(source_key="call:CA1", ended_reason="transfer", transcript=[])
    sms = OutboundMessage(
        id=1,
        kind="sms",
        purpose="er_details",
        to="+15555550123",
        body="Riverside: 1200 River Road.",
        status="outbox",
        created_at=datetime(2026, 11, 24, 4, 0, 30, tzinfo=UTC),
    )
    page = OutboundMessage(
        id=2, kind="sms", purpose="page", to=VET, body="page", status="sent", created_at=at
    )
    entries = timeline(ticket, [contact], [sms, page, sms], example)
    assert [(e.side, e.label, e.text) for e in entries] == [
        ("caller", "Owner · voice", "He ate grapes"),
        ("line", "Line · er guidance · voice", "Go to Riverside now."),
        ("line", "Line · transfer", "Connecting you now."),  # recorded: no second transfer line
        ("message", "SMS to the owner · ER details · outbox", "Riverside: 1200 River Road."),
        ("line", "Line · transfer result · voice", "The ER answered."),
    ]
