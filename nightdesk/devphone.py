"""The dev phone: drives the voice webhooks exactly as Twilio would, from typed or scripted lines.

Signed form posts (when an auth token is configured), a generated CallSid, <Gather action> and
<Redirect> followed, <Say> printed, <Dial> shown, and a status callback when the caller hangs up.
The HTTP side is a function, so tests drive the Flask test client and the CLI a live server.
"""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

# post(url, form, headers) -> (HTTP status, body)
Post = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
HANGUP_WORDS = ("hangup", "hang up", "/hangup", "bye!")
DIAL_ENDINGS = {"no answer": "no-answer", "busy": "busy", "failed": "failed"}


@dataclass
class DevPhone:
    """One call from `caller` to `to` against the server at `url`."""

    post: Post
    url: str = "http://127.0.0.1:5000"
    caller: str = "+15555550123"
    to: str = "+15555550100"
    token: str | None = None
    public_base: str | None = None  # the base URL the server validates signatures against
    out: Callable[[str], None] = print
    sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    ended: bool = False
    clock: Callable[[], float] = time.monotonic
    transcript: list[str] = field(default_factory=list)

    def _emit(self, line: str) -> None:
        self.transcript.append(line)
        self.out(line)

    def request(self, url: str, **extra: str) -> ET.Element | None:
        form = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.caller,
            "To": self.to,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }
        headers: dict[str, str] = {}
        if self.token:
            path = urlsplit(url).path
            signed_url = (self.public_base.rstrip("/") + path) if self.public_base else url
            headers["X-Twilio-Signature"] = RequestValidator(self.token).compute_signature(
                signed_url, form
            )
        status, body = self.post(url, form, headers)
        if status != 200:
            self._emit(f"[HTTP {status} from {urlsplit(url).path}]")
            return None
        if not body.strip():
            return None
        return ET.fromstring(body)

    def run(self, lines: Iterator[str]) -> list[str]:
        """Play the call; each listening moment takes a line ('' = silence, EOF = hang up)."""
        self._emit(f"[calling {self.to} from {self.caller}, CallSid {self.sid}]")
        url = urljoin(self.url, "/voice")
        doc = self.request(url, CallStatus="ringing")
        while doc is not None and not self.ended:
            url, doc = self._play(doc, url, lines)
        self.hangup()
        return self.transcript

    def _play(
        self, doc: ET.Element, url: str, lines: Iterator[str]
    ) -> tuple[str, ET.Element | None]:
        for verb in doc:
            if verb.tag == "Say":
                self._emit(f"line: {(verb.text or '').strip()}")
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self._emit(f"line: {(say.text or '').strip()}")
                answer = next(lines, None)
                if answer is None or answer.strip().lower() in HANGUP_WORDS:
                    self._emit("[you hang up]")
                    return url, None
                answer = answer.strip()
                if not answer:
                    self._emit("you: (silence)")
                    continue  # the <Redirect> after the <Gather> plays
                self._emit(f"you: {answer}")
                target = urljoin(url, verb.get("action") or url)
                if answer.replace("#", "").isdigit():
                    return target, self.request(
                        target, CallStatus="in-progress", Digits=answer.replace("#", "")
                    )
                return target, self.request(
                    target, CallStatus="in-progress", SpeechResult=answer, Confidence="0.93"
                )
            elif verb.tag == "Redirect":
                target = urljoin(url, (verb.text or "").strip())
                return target, self.request(target, CallStatus="in-progress")
            elif verb.tag == "Dial":
                numbers = [n.text or "" for n in verb.iter("Number")] or [verb.text or ""]
                caller_id = verb.get("callerId")
                shown = f" (caller ID {caller_id})" if caller_id else ""
                self._emit(f"[dial {', '.join(n.strip() for n in numbers)}{shown}]")
                if verb.get("action"):  # the line wants to hear how the dialled call went
                    target = urljoin(url, verb.get("action") or url)
                    return target, self._dial_ends(target, lines)
            elif verb.tag == "Hangup":
                self._emit("[the line hangs up]")
                return url, None
        return url, None

    def _dial_ends(self, target: str, lines: Iterator[str]) -> ET.Element | None:
        """The <Dial action> request Twilio makes when the dialled call ends: the next line says
        how (empty: talked until now; a number: seconds talked; 'no answer', 'busy', 'failed')."""
        self._emit(
            "[ringing: Enter when the call ends, or type seconds talked, 'no answer' or 'busy']"
        )
        started = self.clock()
        answer = (next(lines, None) or "").strip().lower()
        status, seconds = "completed", round(self.clock() - started)
        if answer.replace("-", " ") in DIAL_ENDINGS:
            status, seconds = DIAL_ENDINGS[answer.replace("-", " ")], 0
        elif answer.isdigit():
            seconds = int(answer)
        self._emit(f"[dialled call: {status}, {seconds} s]")
        return self.request(
            target,
            CallStatus="in-progress",
            DialCallStatus=status,
            DialCallDuration=str(seconds),
            DialCallSid="CA" + uuid.uuid4().hex,
        )

    def hangup(self) -> None:
        """The status callback Twilio sends when the call ends (once)."""
        if self.ended:
            return
        self.ended = True
        self.request(urljoin(self.url, "/voice/status"), CallStatus="completed", CallDuration="60")
        self._emit("[call ended]")


def requests_post(session: object, timeout: float = 10.0) -> Post:
    """A Post over a requests.Session (keep-alive) for a live server."""

    def post(url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = session.post(url, data=form, headers=headers, timeout=timeout)  # type: ignore[attr-defined]
        return resp.status_code, resp.text

    return post


def flask_post(client: object) -> Post:
    """A Post over a Flask test client (URLs reduced to their paths)."""

    def post(url: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        resp = client.post(urlsplit(url).path, data=form, headers=headers)  # type: ignore[attr-defined]
        return resp.status_code, resp.get_data(as_text=True)

    return post


def typed_lines() -> Iterator[str]:
    """What the developer types at the `you>` prompt, line by line, until Ctrl-D."""
    while True:
        try:
            yield input("you> ")
        except EOFError:
            return


def script_lines(path: Path) -> Iterator[str]:
    """The lines of a dev-phone script ('#' lines are comments)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            yield line


DEFAULT_TO = "+15555550100"  # the example clinic (config/clinics/example.yaml)


def phone_options(verb: str, *, script_help: str) -> Callable[[Callable[..., Any]], Any]:
    """The options both dev phones take: --url, --from, --to, --script."""

    def decorate(func: Callable[..., Any]) -> Any:
        import click

        for option in reversed(
            [
                click.option(
                    "--url",
                    default="http://127.0.0.1:5000",
                    show_default=True,
                    help=f"The Nightdesk server to {verb}.",
                ),
                click.option(
                    "--from",
                    "caller",
                    default="+15555550123",
                    show_default=True,
                    help="Your (the owner's) number."
                    + (
                        " An on-call vet's number of the clinic plays the staff line that "
                        "calls an owner back."
                        if verb == "call"
                        else ""
                    ),
                ),
                click.option(
                    "--to", default=DEFAULT_TO, show_default=True, help="The clinic number."
                ),
                click.option(
                    "--script",
                    help=script_help,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path),
                ),
            ]
        ):
            func = option(func)
        return func

    return decorate
