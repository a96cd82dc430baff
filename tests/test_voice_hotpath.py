"""What the webhook hot path skips, and what it must still do (signature, session, state JSON)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from config.settings import Settings
from ivr.flow_model import Conversation
from nightdesk.services import build_services
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


def test_without_a_public_base_url_the_proxied_url_is_what_is_signed(
    settings: Settings, redis: Redis
) -> None:
    """Behind a load balancer (X-Forwarded-Proto/Host), the URL Twilio called is the signed one."""
    from ivr import create_app

    lb = dataclasses.replace(settings, public_base_url=None, proxy_hops=1)  # NIGHTDESK_PROXY_HOPS
    svc = build_services(lb, redis=redis)
    app = create_app(svc, test_config={"TESTING": True, "NIGHTDESK_CLOCK": lambda: NIGHT})
    client = app.test_client()
    form = {**FORM, "CallSid": "CA" + "3" * 32, "CallStatus": "ringing"}
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "line.example.org"}
    for url, status in [
        ("https://line.example.org/voice", 200),
        ("https://line.example.org:443/voice", 200),
        ("http://localhost/voice", 403),
        ("https://line.example.org/voice/turn/1", 403),
    ]:
        resp = client.post(
            "/voice", data=form, headers={**proxied, "X-Twilio-Signature": sign(url, form)}
        )
        assert resp.status_code == status, url
    svc.engine.dispose()
