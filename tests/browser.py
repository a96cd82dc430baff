"""What the browser tests share: Debian's Chromium, a SQLite database, the app on a real port.

Browser tests run once, on SQLite (the HTTP tests cover PostgreSQL); each file keeps its own
few-line fixtures that call these."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database for one browser test."""
    from tickets import db

    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    eng = db.make_engine(url)
    db.upgrade(eng)
    eng.dispose()
    return url


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free local port, threaded, for as long as the block runs: its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
