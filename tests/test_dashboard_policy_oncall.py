"""The policy page at a moment: on call now and next, backup, holidays, special days, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

from flask import Flask
from flask.testing import FlaskClient

from config.policy import Policy
from ivr.dashboard.policy_view import overview
from nightdesk.services import Services
from tests.test_dashboard_fixtures import login, make_user

# Thursday 24 Dec 2026, 13:00 in Chicago: the special day's hours (08:00-12:00) are over, the
# explicit Christmas shift (Dr. Okafor, until Sat 26 Dec 08:00) is on, Christmas Day is next.
XMAS_EVE = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)


class ById(HTMLParser):
    """The text inside every element that has an id (nested ids each get their own text)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "input", "meta", "link", "img"):
            return
        ident = dict(attrs).get("id")
        self._open.append((tag, ident))
        if ident:
            self.text.setdefault(ident, "")

    def handle_endtag(self, tag: str) -> None:
        self.handle_data(" ")  # list items and cells read as separate words
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self.text[ident] += data


def by_id(html: str) -> dict[str, str]:
    parser = ById()
    parser.feed(html)
    return {k: " ".join(v.split()) for k, v in parser.text.items()}


def test_overview_of_the_example_clinic_on_christmas_eve(example: Policy) -> None:
    o = overview(example, XMAS_EVE)
    assert not o.open_now and o.closed_reason == "special hours"
    assert o.on_call.primary.name == "Dr. Ben Okafor" and o.on_call.source == "shift"
    assert o.on_call.until == datetime(2026, 12, 26, 8, 0, tzinfo=example.tz)
    assert o.on_call.backup is not None and o.on_call.backup.name == "Dr. Carla Lindqvist"
    assert o.next_on_call is not None
    assert o.next_on_call.primary == example.on_call(o.on_call.until).primary
    assert o.next_on_call.primary.phone != o.on_call.primary.phone
    closing = {h.day: h.name for h in o.holidays}
    assert closing[date(2026, 12, 25)] == "Christmas Day"
    assert date(2027, 1, 1) in closing
    worked = {h.name for h in o.worked_holidays}
    assert any("Martin Luther King" in name for name in worked)
    assert not any("Martin Luther King" in name for name in closing.values())
    assert [(d.day, d.name) for d in o.special_days] == [
        (date(2026, 12, 24), "08:00-12:00"),
        (date(2026, 12, 31), "08:00-15:00"),
        (date(2027, 2, 5), "closed"),
    ]
    deadlines = {d.disposition: d for d in o.deadlines}
    assert list(deadlines) == ["emergency", "urgent", "routine"]
    assert deadlines["emergency"].rule == "30 min after opening"
    # closed on Christmas Day: the next opening is Saturday 26 Dec, 09:00
    assert deadlines["emergency"].due_now == datetime(2026, 12, 26, 9, 30, tzinfo=example.tz)
    assert ("sat", "09:00-13:00") in o.weekly and ("sun", "closed") in o.weekly


def test_policy_page_shows_who_is_on_call_now_and_next(
    app: Flask, client: FlaskClient, services: Services, example: Policy
) -> None:
    app.config["NIGHTDESK_CLOCK"] = lambda: XMAS_EVE
    with services.session() as s:
        make_user(s, "ana", "admin")
        s.commit()
    login(client, "ana")
    html = client.get("/admin/policy").get_data(as_text=True)
    text = by_id(html)
    nxt = example.on_call(datetime(2026, 12, 26, 8, 0, tzinfo=example.tz))
    assert text["oncall-now-maple-street"].startswith(
        "Dr. Ben Okafor +15555550143 until Sat 26 Dec 08:00"
    )
    assert text["oncall-backup-maple-street"].startswith("Dr. Carla Lindqvist +15555550144")
    assert text["oncall-next-maple-street"].startswith(
        f"{nxt.primary.name} {nxt.primary.phone} from Sat 26 Dec 08:00"
    )
    assert "Fri 25 Dec 2026 Christmas Day" in text["holidays-maple-street"]
    assert text["special-maple-street"] == (
        "Thu 24 Dec 2026 08:00-12:00 Thu 31 Dec 2026 08:00-15:00 Fri 05 Feb 2027 closed"
    )
    assert "30 min after opening — filed now, due Sat 26 Dec 09:30" in " ".join(html.split())
    assert "by 12:00 next open day" in html
    assert "closed</strong> (special hours)" in html
