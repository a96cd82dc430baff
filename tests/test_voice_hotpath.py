"""What the webhook hot path skips, and what it must still do (signature, session, state JSON)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from ivr.flow_model import Conversation
from tests.conftest import AUTH_TOKEN, sign

NIGHT = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # a Monday night in the example clinic
FORM = {"CallSid": "CA" + "1" * 32, "From": "+15555550123", "To": "+15555550100"}


def test_webhook_neither_reads_nor_writes_a_session(
    app: Flask, client: FlaskClient, signed_post: Callable[..., Any]
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    client.set_cookie("session", "not-a-valid-session-cookie")
    resp = signed_post("/voice", {**FORM, "CallStatus": "ringing"})
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers
    with app.test_request_context("/voice/turn/1", method="POST"):
        from flask import request

        assert app.session_interface.open_session(app, request) is None
    with app.test_request_context("/voiceprint", method="GET"):
        from flask import request

        assert app.session_interface.open_session(app, request) is not None


def test_signature_with_the_port_variant_still_accepted(app: Flask, client: FlaskClient) -> None:
    """One HMAC in the usual case; validate()'s :443 variant is still honoured."""
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    url = "https://nightdesk.example.test:443/voice"
    form = {**FORM, "CallSid": "CA" + "2" * 32, "CallStatus": "ringing"}
    ok = client.post("/voice", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    assert ok.status_code == 200
    bad = sign(url, form, AUTH_TOKEN + "x")
    assert client.post("/voice", data=form, headers={"X-Twilio-Signature": bad}).status_code == 403


def test_conversation_json_round_trip_keeps_everything() -> None:
    conv = Conversation(channel="voice", id="CA1", clinic_id="c", caller="+1555")
    conv.add_turn("caller", "mon chat a mangé du lys — «urgent» 🐱", NIGHT)
    conv.verdict = {"disposition": "urgent", "onset": {"hours": 1.5}, "red_flags": []}
    copy = conv.copy()
    assert copy == conv and copy is not conv and copy.turns is not conv.turns
    assert Conversation.from_json(conv.to_json()) == conv
    assert Conversation.from_json(conv.to_bytes()) == conv
