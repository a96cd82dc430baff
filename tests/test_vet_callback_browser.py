"""The vet's call-back as the desk sees it in a real headless Chromium: a page at 02:00, the vet's
call through the clinic's number, the bridge to the owner, and the ticket's record of it."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from nightdesk.services import Services
from tests.browser import NEEDS_CHROMIUM, chromium, serving, sqlite_url
from tests.test_dashboard_fixtures import PASSWORD, make_user
from tests.test_vet_callback import (
    NIGHT,
    REYES,
    VIP,
    clinics,
    dial_ended,
    emergency_at_two,
)
from tests.twilio_api import TwilioAPI
from tests.voice_helpers import CLINIC, Call

pytestmark = NEEDS_CHROMIUM
_sids = itertools.count(500)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clinics(tmp_path_factory.mktemp("clinics"))


@pytest.fixture
def dial_in(app: Flask, signed_post: Callable[..., Any]) -> Callable[..., Call]:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT

    def make(caller: str, to: str = CLINIC) -> Call:
        return Call(signed_post, f"CA{next(_sids):032d}", to=to, caller=caller)

    return make


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    from ivr import create_app

    with serving(create_app(services, test_config={"NIGHTDESK_CLOCK": lambda: NIGHT})) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_the_desk_sees_the_vets_call_back_on_the_ticket(
    dial_in: Callable[..., Call],
    run_worker: Callable[[], int],
    services: Services,
    twilio_api: TwilioAPI,
    base_url: str,
    browser: Any,
    tmp_path: Path,
) -> None:
    tid = emergency_at_two(dial_in, run_worker, services)
    [page_sms] = [m for m in twilio_api.messages() if m["To"] == REYES]
    assert f"pick #{tid}" in page_sms["Body"]
    vet = dial_in(REYES)
    assert vet.start().text.startswith(f"Ticket {tid}, emergency. Biscuit")
    bridge = vet.press("1")
    assert bridge.dialled == VIP and bridge.dial is not None
    assert bridge.dial.get("callerId") == CLINIC
    dial_ended(vet, "completed", 192)
    with services.session() as s:
        make_user(s, "casey", "csr")
        s.commit()

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(base_url + "/login")
        page.fill("#username", "casey")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#queue-rows")
        page.goto(f"{base_url}/tickets/{tid}")
        started = page.locator("li.event.vet_callback")
        ended = page.locator("li.event.vet_callback_ended")
        assert started.count() == 1 and ended.count() == 1
        assert "Dr. Ana Reyes called the owner back through the line" in started.inner_text()
        assert "by vet:…0142" in started.inner_text()
        assert "02:00" in started.inner_text()
        assert "Dr. Ana Reyes's call with the owner: 3 min 12 s" in ended.inner_text()
        assert REYES not in page.content()  # the vet's number is nowhere on the page
        shot = Path(os.environ.get("NIGHTDESK_SCREENSHOT_VET", tmp_path / "vet_callback.png"))
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        ctx.close()
