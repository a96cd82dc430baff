"""A local stand-in for api.twilio.com that records what the real twilio client sent."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from email.message import Message
from http.server import ThreadingHTTPServer
from typing import Any

from nightdesk.local_http import serve_json


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    auth: str
    status: int = 0


@dataclass
class TwilioAPI:
    """Answers Messages.json / Calls.json like Twilio; `fail_next` queues error responses."""

    requests: list[Recorded] = field(default_factory=list)
    fail_next: list[tuple[int, int]] = field(default_factory=list)  # (http status, twilio code)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    url: str = ""
    accepted: list[dict[str, Any]] = field(default_factory=list)  # SMS it took, for GET lists

    def messages(self) -> list[dict[str, str]]:
        """The SMS the API accepted (2xx), in order."""
        return [
            r.form
            for r in self.requests
            if r.path.endswith("/Messages.json") and r.method == "POST" and r.status < 300
        ]

    def calls(self) -> list[dict[str, str]]:
        return [
            r.form
            for r in self.requests
            if r.path.endswith("/Calls.json") and r.method == "POST" and r.status < 300
        ]

    def respond(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.fail_next:
            status, code = self.fail_next.pop(0)
            return status, {
                "code": code,
                "message": f"simulated error {code}",
                "status": status,
                "more_info": "",
            }
        n = next(self._ids)
        if method == "GET" and path.endswith("/Messages.json"):  # what it accepted (To, From)
            found = [
                m
                for m in self.accepted
                if (m["to"], m["from"]) == (form.get("To"), form.get("From"))
            ]
            return 200, {"messages": found, "next_page_uri": None, "page": 0, "page_size": 20}
        if path.endswith("/Messages.json"):
            msg = {
                "sid": f"SM{n:032d}",
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
            }
            self.accepted.append(msg)
            return 201, msg
        if path.endswith("/Calls.json"):
            return 201, {
                "sid": f"CA{n:032d}",
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
            }
        return 404, {"code": 20404, "message": "not found", "status": 404}


def start(api: TwilioAPI) -> ThreadingHTTPServer:
    def respond(method: str, path: str, form: dict[str, str], headers: Message) -> tuple[int, Any]:
        status, body = api.respond(method, path, form)
        api.requests.append(
            Recorded(method, path, form, headers.get("Authorization") or "", status)
        )
        return status, body

    server, api.url = serve_json(respond)
    return server
