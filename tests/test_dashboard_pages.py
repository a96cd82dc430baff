"""The dashboard over HTTP: login required, CSRF, roles, clinic scoping, the queue and actions."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from nightdesk.services import Services
from tests.test_dashboard_fixtures import PASSWORD, csrf_token, login, make_ticket, make_user
from tests.twilio_api import TwilioAPI
from tickets.models import OutboundMessage, Ticket, TicketEvent, utcnow


class Rows(HTMLParser):
    """The queue's ticket ids in page order, and every tel: link."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[int] = []
        self.tels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("data-id"):
            self.ids.append(int(a["data-id"] or 0))
        if tag == "a" and (a.get("href") or "").startswith("tel:"):
            self.tels.append(a["href"] or "")


def rows(html: str) -> Rows:
    parser = Rows()
    parser.feed(html)
    return parser


@pytest.fixture
def seeded(services: Services) -> dict[str, int]:
    now = utcnow()
    with services.session() as s:
        ids = {
            "routine_soon": make_ticket(s, disposition="routine", due_in=5, now=now, pet="R").id,
            "urgent_late": make_ticket(s, disposition="urgent", due_in=90, now=now, pet="U2").id,
            "urgent_early": make_ticket(s, disposition="urgent", due_in=-10, now=now, pet="U1").id,
            "emergency": make_ticket(s, disposition="emergency", due_in=30, now=now, pet="E").id,
            "other_clinic": make_ticket(s, clinic_id="oak-lane", now=now, pet="O").id,
        }
        make_user(s, "casey", "csr", clinic_id="maple-street")
        make_user(s, "ana", "admin")
        s.commit()
    return ids


def test_logged_out_users_only_see_the_login_page(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    for path in [
        "/",
        "/queue/rows",
        f"/tickets/{seeded['emergency']}",
        "/admin/outbox",
        "/admin/users",
        "/admin/policy",
    ]:
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    r = client.post(f"/tickets/{seeded['emergency']}/claim")
    assert r.status_code in (302, 400)  # no session: CSRF or login refuses it
    page = client.get("/login")
    assert page.status_code == 200 and "Staff log in" in page.get_data(as_text=True)
    assert "Biscuit" not in page.get_data(as_text=True)


def test_queue_is_sorted_scoped_and_shows_countdowns(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    assert login(client).status_code == 302
    html = client.get("/").get_data(as_text=True)
    order = [seeded[k] for k in ("emergency", "urgent_early", "urgent_late", "routine_soon")]
    assert rows(html).ids == order  # the other clinic's ticket is not listed for casey
    assert "tel:+15555550123" in rows(html).tels
    assert 'class="row urgent open overdue"' in html
    fragment = client.get("/queue/rows?disposition=urgent").get_data(as_text=True)
    assert rows(fragment).ids == order[1:3]
    assert client.get(f"/tickets/{seeded['other_clinic']}").status_code == 404


def test_admin_sees_every_clinic_and_admin_pages(
    client: FlaskClient, seeded: dict[str, int], services: Services
) -> None:
    from tickets.outbound import queue_sms

    with services.session() as s:
        queue_sms(
            s,
            key="k",
            clinic_id="maple-street",
            to="+15555550123",
            from_="+15555550100",
            body="We will call you back by 08:30.",
            purpose="callback_promise",
        )
        s.commit()
    login(client, "ana")
    assert seeded["other_clinic"] in rows(client.get("/").get_data(as_text=True)).ids
    for path in ["/admin/outbox", "/admin/users", "/admin/policy"]:
        assert client.get(path).status_code == 200, path
    outbox = client.get("/admin/outbox").get_data(as_text=True)
    assert "We will call you back by 08:30." in outbox and "callback_promise" in outbox


def test_a_csr_cannot_see_admin_pages(client: FlaskClient, seeded: dict[str, int]) -> None:
    login(client)
    for path in ["/admin/outbox", "/admin/users", "/admin/policy"]:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client.get("/").get_data(as_text=True))
    r = client.post(
        "/admin/users",
        data={"username": "mallory", "password": "x" * 12, "role": "admin", "csrf_token": token},
    )
    assert r.status_code == 403


def test_forms_without_a_csrf_token_are_refused(
    client: FlaskClient, seeded: dict[str, int], services: Services
) -> None:
    login(client)
    r = client.post(f"/tickets/{seeded['emergency']}/claim")
    assert r.status_code == 400
    r = client.post(f"/tickets/{seeded['emergency']}/claim", data={"csrf_token": "forged"})
    assert r.status_code == 400
    with services.session() as s:
        assert s.get(Ticket, seeded["emergency"]).status == "open"  # type: ignore[union-attr]
    page = client.get("/login")  # a login form without a token is refused too
    assert page.status_code == 302


def test_login_without_csrf_and_rate_limited(client: FlaskClient, seeded: dict[str, int]) -> None:
    r = client.post("/login", data={"username": "casey", "password": PASSWORD})
    assert r.status_code == 400
    for _ in range(5):
        assert login(client, "casey", "wrong password").status_code == 401
    assert login(client, "casey", PASSWORD).status_code == 429  # locked even with the right one


def test_work_a_ticket_through_the_pages(
    client: FlaskClient,
    seeded: dict[str, int],
    services: Services,
    twilio_api: TwilioAPI,
    run_worker: Callable[[], int],
) -> None:
    login(client)
    tid = seeded["emergency"]
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "no diarrhea" in html and "since this morning" in html and "vomiting blood" in html
    assert "My dog E threw up" in html and 'href="tel:+15555550123"' in html

    def post(action: str, **data: str) -> str:
        token = csrf_token(client.get(f"/tickets/{tid}").get_data(as_text=True))
        r = client.post(
            f"/tickets/{tid}/{action}", data={"csrf_token": token, **data}, follow_redirects=True
        )
        assert r.status_code == 200
        return r.get_data(as_text=True)

    assert "Claimed by casey" in post("claim")
    assert "Call attempt logged" in post("attempt", result="no_answer")
    assert "Note added" in post("note", text="line busy, trying mobile")
    post("resolve", outcome="could_not_reach")
    run_worker()
    assert [m["Body"][:30] for m in twilio_api.messages()] == ["Maple Street Veterinary Clinic"]
    assert "Reopened" in post("reopen")
    with services.session() as s:
        kinds = s.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == tid).order_by(TicketEvent.id)
        ).all()
        assert kinds == ["claimed", "attempt", "note", "resolved", "reopened"]
        assert s.scalars(select(OutboundMessage.purpose)).all() == ["call_in"]


def test_a_second_csr_sees_the_claim_and_cannot_take_it(
    app,
    client: FlaskClient,  # type: ignore[no-untyped-def]
    seeded: dict[str, int],
    services: Services,
) -> None:
    with services.session() as s:
        make_user(s, "drew", "csr")
        s.commit()
    tid = seeded["emergency"]
    login(client)
    token = csrf_token(client.get(f"/tickets/{tid}").get_data(as_text=True))
    client.post(f"/tickets/{tid}/claim", data={"csrf_token": token})
    other = app.test_client()
    login(other, "drew")
    html = other.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "casey is calling this owner" in html and 'id="claim"' not in html
    token = csrf_token(html)
    r = other.post(f"/tickets/{tid}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "claimed by casey" in r.get_data(as_text=True)
    with services.session() as s:
        t = s.get(Ticket, tid)
        assert t is not None and t.claimed_by is not None
        assert [e.kind for e in t.events] == ["claimed"]
