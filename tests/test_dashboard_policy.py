"""The admin policy page: the clinics' settings read-only, and a dry run with the real engine."""

from __future__ import annotations

from flask.testing import FlaskClient

from nightdesk.services import Services
from tests.test_dashboard_fixtures import csrf_token, login, make_user


def test_admin_dry_run_explains_what_the_line_would_do(
    client: FlaskClient, services: Services
) -> None:
    with services.session() as s:
        make_user(s, "ana", "admin")
        s.commit()
    login(client, "ana")
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "Maple Street Veterinary Clinic" in page and "+15555550102" in page
    r = client.post(
        "/admin/policy",
        data={
            "csrf_token": csrf_token(page),
            "text": "my dog ate a whole bar of dark chocolate",
            "to": "+15555550100",
            "at": "2026-11-24T22:00",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="explain"' in html
    assert "EMERGENCY" in html and "closed" in html


def test_dry_run_needs_text_and_csrf(client: FlaskClient, services: Services) -> None:
    with services.session() as s:
        make_user(s, "ana", "admin")
        s.commit()
    login(client, "ana")
    assert client.post("/admin/policy", data={"text": "hello"}).status_code == 400
    page = client.get("/admin/policy").get_data(as_text=True)
    r = client.post("/admin/policy", data={"csrf_token": csrf_token(page), "text": " "})
    assert "Type what a caller might say" in r.get_data(as_text=True)
