"""`nightdesk text`: the dev phone for SMS — signed posts to /sms, one MessageSid per text."""

from __future__ import annotations

import mimetypes
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import click
from twilio.request_validator import RequestValidator

from ivr.sms_segments import segments
from nightdesk.devphone import DEFAULT_TO, Post, phone_options, script_lines, typed_lines


@dataclass
class SmsPhone:
    """An owner's phone texting the clinic number `to` on the server at `url`, as Twilio posts."""

    post: Post
    url: str = "http://127.0.0.1:5000"
    caller: str = "+15555550123"
    to: str = DEFAULT_TO
    token: str | None = None
    public_base: str | None = None  # the base URL the server validates signatures against
    out: Callable[[str], None] = print
    transcript: list[str] = field(default_factory=list)

    def _emit(self, line: str) -> None:
        self.transcript.append(line)
        self.out(line)

    def form(self, body: str, media: Iterable[str] = ()) -> dict[str, str]:
        sid = "SM" + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "MessagingServiceSid": "",
            "From": self.caller,
            "To": self.to,
            "Body": body,
            "NumSegments": str(max(segments(body), 1)),
            "ApiVersion": "2010-04-01",
        }
        urls = list(media)
        form["NumMedia"] = str(len(urls))
        for i, url in enumerate(urls):
            form[f"MediaUrl{i}"] = url
            form[f"MediaContentType{i}"] = mimetypes.guess_type(url)[0] or "image/jpeg"
        return form

    def text(self, body: str, media: Iterable[str] = ()) -> list[str]:
        """Send one text; prints and returns the <Message> replies."""
        form = self.form(body, media)
        url = urljoin(self.url, "/sms")
        headers: dict[str, str] = {}
        if self.token:
            base = self.public_base.rstrip("/") if self.public_base else None
            signed = base + urlsplit(url).path if base else url
            headers["X-Twilio-Signature"] = RequestValidator(self.token).compute_signature(
                signed, form
            )
        shown = body + "".join(f" [photo {u}]" for u in form_media(form))
        self._emit(f"you: {shown}")
        status, answer = self.post(url, form, headers)
        if status != 200:
            self._emit(f"[HTTP {status} from /sms]")
            return []
        replies = [el.text or "" for el in ET.fromstring(answer).iter("Message")]
        for reply in replies:
            self._emit(f"clinic ({segments(reply)} seg): {reply}")
        if not replies:
            self._emit("[no reply]")
        return replies

    def run(self, lines: Iterator[str], media: Iterable[str] = ()) -> list[str]:
        """Text each line (the photos go with the first); returns the transcript."""
        self._emit(f"[texting {self.to} from {self.caller}]")
        attach = list(media)
        for line in lines:
            if not line.strip():
                continue
            self.text(line.strip(), attach)
            attach = []
        return self.transcript


def form_media(form: dict[str, str]) -> list[str]:
    return [form[f"MediaUrl{i}"] for i in range(int(form.get("NumMedia") or 0))]


@click.command("text")
@phone_options(
    "text",
    script_help="Text these lines, one message per line ('#' comments, blank lines skipped).",
)
@click.option(
    "--media",
    multiple=True,
    metavar="URL",
    help="A photo URL sent with the first text (MMS); may be repeated.",
)
def text(url: str, caller: str, to: str, script: Path | None, media: tuple[str, ...]) -> None:
    """Text the SMS line as Twilio would: type your messages (Ctrl-D to stop)."""
    import requests

    from config.settings import Settings
    from nightdesk.devphone import requests_post

    settings = Settings.from_env()
    with requests.Session() as session:
        phone = SmsPhone(
            requests_post(session),
            url=url,
            caller=caller,
            to=to,
            token=settings.twilio_auth_token,
            public_base=settings.public_base_url,
        )
        try:
            phone.run(script_lines(script) if script else typed_lines(), media)
        except requests.ConnectionError:
            click.echo(f"no server answers at {url} — start one with `nightdesk serve`", err=True)
            sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(text)
