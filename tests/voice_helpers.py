"""Helpers of the voice-line tests: a caller that posts Twilio's voice webhooks, parsed TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLINIC = "+15555550100"
CALLER = "+15555550123"


@dataclass
class Twiml:
    status: int
    content_type: str
    body: str
    root: ET.Element = field(init=False)

    def __post_init__(self) -> None:
        self.root = ET.fromstring(self.body) if self.status == 200 else ET.Element("none")

    @property
    def says(self) -> list[str]:
        return [el.text or "" for el in self.root.iter("Say")]

    @property
    def text(self) -> str:
        return " ".join(self.says)

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    @property
    def action(self) -> str | None:
        g = self.gather
        return g.get("action") if g is not None else None

    @property
    def redirect(self) -> str | None:
        el = self.root.find("Redirect")
        return el.text if el is not None else None

    @property
    def dial(self) -> ET.Element | None:
        return self.root.find("Dial")

    @property
    def dialled(self) -> str | None:
        d = self.dial
        if d is None:
            return None
        number = d.find("Number")
        return ((number.text if number is not None else d.text) or "").strip()


@dataclass
class Call:
    post: Callable[..., Any]
    sid: str
    to: str = CLINIC
    caller: str = CALLER
    last: Twiml | None = None
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def _form(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.to,
            "Direction": "inbound",
            **extra,
        }

    def _send(self, path: str, form: dict[str, str]) -> Twiml:
        self.sent.append((path, form))
        resp = self.post(path, form)
        self.last = Twiml(resp.status_code, resp.content_type, resp.get_data(as_text=True))
        return self.last

    def start(self) -> Twiml:
        return self._send("/voice", self._form(CallStatus="ringing"))

    def say(self, words: str, confidence: float = 0.92) -> Twiml:
        assert self.last is not None and self.last.action, "nothing is listening"
        return self._send(
            self.last.action,
            self._form(CallStatus="in-progress", SpeechResult=words, Confidence=str(confidence)),
        )

    def press(self, digits: str) -> Twiml:
        assert self.last is not None and self.last.action, "nothing is listening"
        return self._send(self.last.action, self._form(CallStatus="in-progress", Digits=digits))

    def silence(self) -> Twiml:
        assert self.last is not None and self.last.redirect, "no <Redirect> after the <Gather>"
        return self._send(self.last.redirect, self._form(CallStatus="in-progress"))

    def resend(self) -> Twiml:
        """The last request again, as a Twilio retry would send it."""
        return self._send(*self.sent[-1])

    def status(self, call_status: str = "completed") -> Twiml:
        return self._send("/voice/status", self._form(CallStatus=call_status, CallDuration="42"))
