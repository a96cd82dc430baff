"""`nightdesk text`'s phone against the real app: signed posts, replies printed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from nightdesk.cmd_text import SmsPhone
from nightdesk.devphone import flask_post, script_lines
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def phone(client: FlaskClient, token: str = AUTH_TOKEN) -> SmsPhone:
    return SmsPhone(flask_post(client), token=token, public_base=PUBLIC_BASE, out=lambda _: None)


def test_scripted_emergency_and_routine_threads(app: Flask, client: FlaskClient) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
    emergency = phone(client).run(script_lines(EXAMPLES / "text_emergency.txt"))
    assert emergency[1].startswith("you: My dog Rocky")
    assert "Riverside Animal Emergency Center" in emergency[2]
    assert "Poison" in emergency[2]
    routine = SmsPhone(
        flask_post(client),
        caller="+15555550124",
        token=AUTH_TOKEN,
        public_base=PUBLIC_BASE,
        out=lambda _: None,
    )
    lines = routine.run(script_lines(EXAMPLES / "text_routine.txt"))
    assert "will call you back" in lines[-1]
    assert not any("Emergency Center now" in line for line in lines)


def test_a_wrong_token_is_refused(client: FlaskClient) -> None:
    p = phone(client, token="not-the-token")
    assert p.text("hello") == []
    assert p.transcript[-1] == "[HTTP 403 from /sms]"
