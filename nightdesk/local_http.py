"""A tiny local JSON HTTP server: the stand-in for api.twilio.com that the fault bench and the
tests both run (each with its own answers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# (method, path, form, headers: case-insensitive) -> (HTTP status, JSON body)
Respond = Callable[[str, str, dict[str, str], Message], tuple[int, Any]]


def serve_json(respond: Respond) -> tuple[ThreadingHTTPServer, str]:
    """Serve `respond` on a free local port in a daemon thread: the server and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            form = {k: v[0] for k, v in parse_qs(raw or query).items()}
            status, body = respond(self.command, path, form, self.headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
