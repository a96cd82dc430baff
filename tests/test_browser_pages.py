"""Pages in a real headless Chromium: the login page styled before any login, and a ticket's
transcript after a real emergency call. Each saves its screenshot in docs/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from nightdesk.services import Services
from tests.browser import NEEDS_CHROMIUM, chromium, serving, sqlite_url
from tests.test_dashboard_fixtures import PASSWORD, make_user
from tests.test_voice_calls import NIGHT, Call
from tickets.models import OutboundMessage, Ticket

DOCS = Path(__file__).resolve().parents[1] / "docs"
pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    from ivr import create_app

    with serving(create_app(services, test_config={"NIGHTDESK_CLOCK": lambda: NIGHT})) as url:
        yield url


@pytest.fixture
def page(browser_context: Any) -> Any:
    p = browser_context.new_page()
    p.clock.set_fixed_time(NIGHT + timedelta(minutes=2))  # countdowns read the call's night
    return p


@pytest.fixture
def browser_context() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        yield context
        context.close()


def style(page: Any, selector: str, prop: str) -> str:
    return str(
        page.eval_on_selector(selector, f"el => getComputedStyle(el).getPropertyValue('{prop}')")
    )


def test_the_login_page_is_styled_before_anyone_logs_in(page: Any, base_url: str) -> None:
    css: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            css.append((r.url, r.status, r.headers.get("content-type", "")))
            if r.url.endswith(".css")
            else None
        ),
    )
    page.goto(base_url + "/")
    assert page.url.startswith(base_url + "/login")
    assert css == [(base_url + "/static/dashboard.css", 200, "text/css; charset=utf-8")]
    # the stylesheet's rules apply (an unstyled page has none of these values)
    assert style(page, "body", "background-color") == "rgb(242, 244, 247)"
    assert style(page, "header.top", "background-color") == "rgb(16, 19, 26)"
    assert style(page, "section.login", "background-color") == "rgb(255, 255, 255)"
    assert style(page, "section.login", "max-width") == "420px"
    assert style(page, "button.primary", "background-color") == "rgb(10, 61, 143)"
    assert style(page, "button.primary", "color") == "rgb(255, 255, 255)"
    assert style(page, "html", "font-size") == "19px"
    box = page.eval_on_selector("section.login", "el => el.getBoundingClientRect().toJSON()")
    assert 300 < box["width"] <= 420 and box["x"] > 300  # a centred card, not a full-width form
    shot = DOCS / "screenshot-login.png"
    page.screenshot(path=str(shot), animations="disabled")
    assert shot.stat().st_size > 10_000


def test_a_ticket_shows_both_sides_of_the_call_and_the_sms_sent(
    page: Any,
    base_url: str,
    app: Flask,
    signed_post: Callable[..., Any],
    run_worker: Callable[[], int],
    services: Services,
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    call = Call(signed_post, "CA" + "8" * 32, caller="+15555550177")
    call.start()
    call.say("My dog Pepper ate a whole bar of dark chocolate and now she is shaking")
    call.press("1")
    call.status("completed")
    run_worker()
    with services.session() as s:
        make_user(s, "casey", "csr")
        (ticket_id,) = s.scalars(select(Ticket.id)).all()
        # the worker stamps messages with the real clock: put them on the call's night
        s.execute(
            update(OutboundMessage).values(
                created_at=NIGHT + timedelta(seconds=20), sent_at=NIGHT + timedelta(seconds=21)
            )
        )
        s.commit()

    page.goto(base_url + "/login")
    page.fill("#username", "casey")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue-rows")
    page.goto(f"{base_url}/tickets/{ticket_id}")
    turns = page.eval_on_selector_all(
        "#transcript li.turn",
        "els => els.map(e => [e.classList[1], e.querySelector('.who').textContent,"
        " e.querySelector('.said').textContent.trim()])",
    )
    sides = [side for side, _, _ in turns]
    said = next(i for i, (side, _, text) in enumerate(turns) if side == "caller")
    assert "chocolate" in turns[said][2] and "line" in sides[:said], turns  # the greeting first
    er = next(i for i, (side, _, text) in enumerate(turns) if "emergency" in text.lower())
    assert er > said and sides[er] == "line" and "Riverside" in turns[er][2]  # the ER guidance
    assert "action" in sides[er:] and any("Riverside" in t for _, _, t in turns[er + 1 :])
    assert sides[-1] == "message" and "ER details" in turns[-1][1]
    # the line's side reads differently from the owner's: their own colours
    line_bg = style(page, "#transcript li.turn.line", "background-color")
    owner_bg = style(page, "#transcript li.turn.caller", "background-color")
    assert line_bg != owner_bg and "rgba(0, 0, 0, 0)" not in (line_bg, owner_bg)
    shot = DOCS / "screenshot-transcript.png"
    page.locator("section.transcript").screenshot(path=str(shot), animations="disabled")
    assert shot.stat().st_size > 10_000
