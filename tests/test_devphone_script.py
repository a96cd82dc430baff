"""The dev phone plays a scripted call through the real app exactly as Twilio would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from nightdesk.devphone import DevPhone, flask_post
from nightdesk.services import Services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE
from tickets.models import Ticket


def _phone(client: FlaskClient, token: str = AUTH_TOKEN) -> DevPhone:
    return DevPhone(
        flask_post(client),
        url=PUBLIC_BASE,
        token=token,
        public_base=PUBLIC_BASE,
        out=lambda _line: None,
    )


def test_scripted_emergency_call_dials_the_er_and_files_a_ticket(
    app: Flask, client: FlaskClient, services: Services, run_worker: Callable[[], int]
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    phone = _phone(client)
    lines = phone.run(iter(["", "my dog Rex just got hit by a car and he is bleeding a lot", "1"]))
    assert "you: (silence)" in lines
    assert any(line.startswith("line: Sorry") for line in lines)
    assert "[dial +15555550199 (caller ID +15555550100)]" in lines
    assert lines[-1] == "[call ended]"
    run_worker()
    with services.session() as s:
        [ticket] = s.scalars(select(Ticket))
    assert ticket.disposition == "emergency"


def test_wrong_token_is_refused_and_the_phone_says_so(client: FlaskClient) -> None:
    lines = _phone(client, token="not-the-token").run(iter(["hello"]))
    assert "[HTTP 403 from /voice]" in lines
