"""Photos by MMS end to end: webhook -> Media rows -> worker download -> the ticket page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from nightdesk.services import Services
from tests.media_server import PNG, MediaFiles, serve
from tests.sms_helpers import Phone
from tests.test_dashboard_fixtures import login, make_user
from tickets.media import MAX_BYTES
from tickets.models import Media, Ticket

NIGHT = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)


@pytest.fixture
def media_files(services: Services) -> Iterator[MediaFiles]:
    s = services.settings
    with serve(MediaFiles(auth=f"{s.twilio_account_sid}:{s.twilio_auth_token}")) as files:
        yield files


@pytest.fixture
def phone(app: Flask, signed_post: Callable[..., Any]) -> Phone:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return Phone(signed_post)


def test_photo_is_attached_stored_and_shown_to_staff(
    phone: Phone,
    services: Services,
    run_worker: Callable[[], int],
    media_files: MediaFiles,
    client: FlaskClient,
    app: Flask,
) -> None:
    good = media_files.add("/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1", PNG)
    big = media_files.add("/Media/ME2", b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, "image/jpeg")
    doc = media_files.add("/Media/ME3", b"%PDF-1.4", "application/pdf")
    reply = phone.text(
        "my dog has a cut on his paw, it stopped bleeding, here is a photo",
        media=[(good, "image/png"), (big, "image/jpeg"), (doc, "application/pdf")],
    )
    assert reply and reply[0]
    for _ in range(12):  # answer until the closing, so the thread is filed now
        (text,) = phone.text("no")
        if "call you back" in text:
            break
    run_worker()
    with services.session() as s:
        ticket = s.scalars(select(Ticket)).one()
        rows = {m.url: m for m in s.scalars(select(Media))}
    assert rows[good].status == "stored" and rows[good].size == len(PNG)
    assert rows[big].status == "rejected" and "limit" in (rows[big].error or "")
    assert rows[doc].status == "rejected"
    assert "/Media/ME3" not in media_files.requests  # never downloaded

    # The ticket page shows it; the photo is served to logged-in staff of that clinic only.
    url = f"/media/{rows[good].id}"
    assert client.get(url).status_code in (302, 401)
    with services.session() as s:
        make_user(s, "casey", clinic_id="maple-street")
        make_user(s, "other", clinic_id="harbor")
        s.commit()
    other = app.test_client()
    login(other, "other")
    assert other.get(url).status_code == 404  # staff of another clinic
    login(client, "casey")
    page = client.get(f"/tickets/{ticket.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('<section class="media"')
    section = ET.fromstring(html[start : html.index("</section>", start) + len("</section>")])
    srcs = [img.get("src") for img in section.iter("img")]
    assert srcs == [url]
    photo = client.get(url)
    assert photo.status_code == 200 and photo.data == PNG
    assert photo.mimetype == "image/png"
    assert "no-store" in photo.headers["Cache-Control"]
