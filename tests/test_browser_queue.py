"""The dashboard in a real headless Chromium: two CSRs, one claim, a ticket appearing live."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from nightdesk.services import Services
from tests.browser import NEEDS_CHROMIUM, chromium, serving, sqlite_url
from tests.test_dashboard_fixtures import PASSWORD, make_ticket, make_user
from tests.test_voice_calls import NIGHT, Call
from tickets.models import Ticket, utcnow

pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def base_url(services: Services) -> Iterator[str]:
    from ivr import create_app

    with serving(create_app(services, test_config={"NIGHTDESK_POLL_MS": 500})) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


SEED = [
    (
        "routine",
        600,
        "Milo",
        "cat",
        "Milo, a cat, has a small scab on his ear; eating and playing.",
    ),
    (
        "urgent",
        45,
        "Bella",
        "dog",
        "Bella, a dog, has been limping on her back left leg since "
        "this afternoon and will not put weight on it.",
    ),
    (
        "emergency",
        20,
        "Rocky",
        "dog",
        "Rocky, a dog, ate a bar of dark chocolate about an hour ago; restless and panting.",
    ),
    (
        "urgent",
        -15,
        "Luna",
        "cat",
        "Luna, a cat, has vomited four times tonight and hid under the bed.",
    ),
    ("emergency", 10, "Daisy", "dog", "Daisy, a dog, is straining to urinate and nothing comes."),
]


def _seed(services: Services) -> list[int]:
    now = utcnow()
    with services.session() as s:
        ids = []
        for i, (disp, due, pet, species, summary) in enumerate(SEED):
            ids.append(
                make_ticket(
                    s,
                    disposition=disp,
                    due_in=due,
                    pet=pet,
                    species=species,
                    summary=summary,
                    caller=f"+1555555017{i}",
                    now=now - timedelta(minutes=30),
                    due_at=now + timedelta(minutes=due),
                ).id
            )
        make_user(s, "casey", "csr")
        make_user(s, "drew", "csr")
        s.commit()
    # expected order: emergency by due time, then urgent by due time, then routine
    return [ids[4], ids[2], ids[3], ids[1], ids[0]]


def _login(page: Any, base: str, user: str) -> None:
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue-rows")


def _row_ids(page: Any) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all(
            "#queue-rows tr[data-id]", "rows => rows.map(r => r.dataset.id)"
        )
    ]


def test_csrs_work_the_queue_in_chromium(
    services: Services,
    base_url: str,
    browser: Any,
    tmp_path: Path,
    app: Flask,
    signed_post: Callable[..., Any],
    run_worker: Callable[[], int],
) -> None:
    order = _seed(services)
    casey_ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    drew_ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        casey, drew = casey_ctx.new_page(), drew_ctx.new_page()
        _login(casey, base_url, "casey")
        assert _row_ids(casey) == order
        assert "overdue" in casey.get_attribute(f'tr[data-id="{order[2]}"]', "class")
        countdown = casey.inner_text(f'tr[data-id="{order[0]}"] .countdown')
        assert countdown.startswith("in ") and "min" in countdown

        # casey claims the top ticket with the keyboard: j focuses it, Enter opens it
        casey.keyboard.press("j")
        casey.keyboard.press("Enter")
        casey.wait_for_url(f"{base_url}/tickets/{order[0]}")
        casey.click("#claim")
        casey.wait_for_selector("text=Claimed by casey")

        _login(drew, base_url, "drew")
        assert "Claimed by casey" in drew.inner_text(f'tr[data-id="{order[0]}"] .status')
        shot = Path(os.environ.get("NIGHTDESK_SCREENSHOT", tmp_path / "queue.png"))
        drew.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        drew.goto(f"{base_url}/tickets/{order[0]}")
        assert drew.is_visible("text=casey is calling this owner")
        assert drew.query_selector("#claim") is None
        assert drew.get_attribute("a.tel", "href") == "tel:+15555550174"

        casey.select_option("#result", "no_answer")
        casey.click("#log-attempt")
        casey.wait_for_selector("text=Call attempt logged")
        casey.click("#resolve-advice_given")
        casey.wait_for_selector("text=Resolved.")
        assert order[0] not in _row_ids(casey)
        with services.session() as s:
            t = s.get(Ticket, order[0])
            assert t is not None and (t.status, t.outcome) == ("resolved", "advice_given")
            assert [e.kind for e in t.events] == ["claimed", "attempt", "resolved"]

        # a call comes in while drew looks at the queue: its ticket appears without a reload
        drew.goto(base_url + "/")
        drew.evaluate("window.__marker = 'no reload'")
        app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
        call = Call(signed_post, "CA" + "7" * 32, caller="+15555550166")
        call.start()
        call.say("My dog Pepper is struggling to breathe and her gums look blue")
        call.status("completed")
        run_worker()
        with services.session() as s:
            [new] = s.scalars(select(Ticket).where(Ticket.caller == "+15555550166")).all()
            new_id = new.id
            assert new.disposition == "emergency"
        drew.wait_for_selector(f'tr[data-id="{new_id}"].new', timeout=10_000)
        # it stays marked across later polls (500 ms here), not only until the next one
        drew.wait_for_timeout(1_500)
        assert "new" in (drew.get_attribute(f'tr[data-id="{new_id}"]', "class") or "")
        assert "new" not in (drew.get_attribute(f'tr[data-id="{order[2]}"]', "class") or "")
        assert drew.evaluate("window.__marker") == "no reload"
        rows = _row_ids(drew)
        assert rows.index(new_id) < rows.index(order[2])  # an emergency: above every urgent one
    finally:
        casey_ctx.close()
        drew_ctx.close()
