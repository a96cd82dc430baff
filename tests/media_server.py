"""A local HTTP server serving MMS media the way Twilio's media URLs do (basic auth checked)."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@dataclass
class MediaFiles:
    """path -> (status, content type, body); `auth` is the expected 'user:password' or None."""

    files: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    auth: str | None = None
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def add(self, path: str, body: bytes, ctype: str = "image/png", status: int = 200) -> str:
        self.files[path] = (status, ctype, body)
        return self.url + path


@contextmanager
def serve(files: MediaFiles) -> Iterator[MediaFiles]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            files.requests.append(self.path)
            expected = files.auth and "Basic " + base64.b64encode(files.auth.encode()).decode()
            if expected and self.headers.get("Authorization") != expected:
                self._send(401, "text/plain", b"unauthorized")
                return
            status, ctype, body = files.files.get(self.path, (404, "text/plain", b"not found"))
            self._send(status, ctype, body)

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # the client may stop reading (over its size limit): as it should
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    files.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield files
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
