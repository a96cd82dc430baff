"""Helpers of the SMS-line tests: a phone that texts the app the way Twilio posts."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OWNER = "+15555550123"
CLINIC = "+15555550100"
ON_CALL = "+15555550142"
ER_NAME = "Riverside Animal Emergency Center"
ER_PHONE = "(555) 555-0199"
ER_ADDRESS = "1200 River Road, Springfield"


def messages_of(xml: bytes | str) -> list[str]:
    """The <Message> texts of a TwiML document (parsed, not substring-matched)."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [el.text or "" for el in root.iter("Message")]


@dataclass
class Phone:
    """An owner's phone texting the clinic; each text gets its own MessageSid."""

    post: Callable[..., Any]
    caller: str = OWNER
    to: str = CLINIC
    sent: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def form(
        self, body: str, *, sid: str | None = None, media: list[tuple[str, str]] | None = None
    ) -> dict[str, str]:
        sid = sid or f"SM{self.caller[-4:]}{next(self._ids):028d}"
        self.sent.append(sid)
        data = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.to,
            "Body": body,
            "NumMedia": str(len(media or [])),
        }
        for i, (url, ctype) in enumerate(media or []):
            data[f"MediaUrl{i}"] = url
            data[f"MediaContentType{i}"] = ctype
        return data

    def text(self, body: str, **kw: Any) -> list[str]:
        """Send one text; the reply messages (asserting a 200 text/xml answer)."""
        resp = self.post("/sms", self.form(body, **kw))
        assert resp.status_code == 200, resp.data
        assert resp.mimetype == "text/xml"
        return messages_of(resp.data)
