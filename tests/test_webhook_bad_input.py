"""Malformed but correctly signed webhooks: a clear answer, never a 500, nothing lost."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

CLINIC = "+15555550100"


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/voice", {}),  # no CallSid, no To
        ("/voice", {"CallSid": "CAbad1", "From": "", "To": CLINIC}),
        ("/voice/turn/1", {"CallSid": "CAnever-started", "To": CLINIC, "SpeechResult": "hi"}),
        ("/voice/turn/abc", {"CallSid": "CAbad2", "To": CLINIC}),
        ("/voice/status", {"CallSid": "CAbad3"}),
        ("/voice/status", {"CallSid": "CAbad4", "CallStatus": "exploded"}),
        ("/sms", {}),
        ("/sms", {"MessageSid": "SMbad1", "From": "+15555550123", "To": CLINIC}),  # no Body
        ("/sms", {"MessageSid": "SMbad2", "From": "not a number", "To": CLINIC, "Body": "hi"}),
        (
            "/sms",
            {
                "MessageSid": "SMbad3",
                "From": "+15555550123",
                "To": CLINIC,
                "Body": "my dog \x00\x1b ate 🍫",
                "NumMedia": "seven",
            },
        ),
    ],
)
def test_malformed_signed_webhooks_never_500(
    signed_post: Callable[..., Any], path: str, form: dict[str, str]
) -> None:
    resp = signed_post(path, form)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code == 200 and resp.get_data():
        assert resp.mimetype == "text/xml"
        root = ET.fromstring(resp.get_data())
        assert root.tag == "Response"
