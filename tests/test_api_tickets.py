"""The JSON API: token auth, list with filters and pages, detail, transitions as the api user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_ticket, make_user
from tests.twilio_api import TwilioAPI
from tickets import lifecycle
from tickets.models import utcnow

AUTH = {"Authorization": "Bearer test-api-token"}


@pytest.fixture
def ids(services: Services) -> list[int]:
    now = utcnow()
    with services.session() as s:
        out = [
            make_ticket(s, disposition="routine", due_in=1, now=now, pet="R").id,
            make_ticket(s, disposition="emergency", due_in=50, now=now, pet="E").id,
            make_ticket(
                s, disposition="urgent", due_in=5, now=now, pet="U", clinic_id="oak-lane"
            ).id,
        ]
        s.commit()
    return out


def test_the_api_needs_the_token(client: FlaskClient, ids: list[int]) -> None:
    assert client.get("/api/tickets").status_code == 401
    r = client.get("/api/tickets", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.get_json() == {"error": r.get_json()["error"]}
    assert client.post(f"/api/tickets/{ids[0]}/claim").status_code == 401


def test_list_sorted_filtered_and_paged(client: FlaskClient, ids: list[int]) -> None:
    body = client.get("/api/tickets", headers=AUTH).get_json()
    assert [t["id"] for t in body["tickets"]] == [ids[1], ids[2], ids[0]]
    assert body["has_next"] is False and "transcript" not in body["tickets"][0]
    one = client.get("/api/tickets?per_page=1&page=2", headers=AUTH).get_json()
    assert [t["id"] for t in one["tickets"]] == [ids[2]] and one["has_next"] is True
    oak = client.get("/api/tickets?clinic=oak-lane", headers=AUTH).get_json()
    assert [t["id"] for t in oak["tickets"]] == [ids[2]]
    em = client.get("/api/tickets?disposition=emergency", headers=AUTH).get_json()
    assert [t["id"] for t in em["tickets"]] == [ids[1]]
    assert client.get("/api/tickets?status=bogus", headers=AUTH).status_code == 400
    assert client.get("/api/tickets?since=yesterday", headers=AUTH).status_code == 400


def test_detail_and_a_full_round_of_transitions(
    client: FlaskClient,
    ids: list[int],
    services: Services,
    twilio_api: TwilioAPI,
    run_worker: Callable[[], int],
) -> None:
    tid = ids[1]
    d = client.get(f"/api/tickets/{tid}", headers=AUTH).get_json()
    assert d["transcript"][0]["text"].startswith("My dog E") and d["status"] == "open"
    assert client.get("/api/tickets/999999", headers=AUTH).status_code == 404

    def post(action: str, body: dict[str, Any] | None = None, code: int = 200) -> Any:
        r = client.post(f"/api/tickets/{tid}/{action}", json=body or {}, headers=AUTH)
        assert r.status_code == code, r.get_json()
        return r.get_json()

    assert post("claim")["status"] == "claimed"
    post("attempts", {"result": "left_voicemail", "note": "mobile"})
    post("attempts", {"result": "busy"}, code=409)
    post("notes", {"text": "from the PMS"})
    d = post("resolve", {"outcome": "could_not_reach"})
    assert d["status"] == "resolved" and d["outcome"] == "could_not_reach"
    assert [a["detail"]["result"] for a in d["attempts"]] == ["left_voicemail"]
    assert d["notes"][0]["detail"]["text"] == "from the PMS"
    assert {e["actor"].split(":")[-1] for e in d["events"]} == {"api"}
    run_worker()
    assert len(twilio_api.messages()) == 1
    post("claim", code=409)
    assert post("reopen")["status"] == "open"
    post("frobnicate", code=404)


def test_a_ticket_claimed_by_a_csr_is_a_conflict_for_the_api(
    client: FlaskClient, ids: list[int], services: Services
) -> None:
    with services.session() as s:
        casey = make_user(s)
        lifecycle.claim(s, ids[0], casey, utcnow())
        s.commit()
    r = client.post(f"/api/tickets/{ids[0]}/claim", json={}, headers=AUTH)
    assert r.status_code == 409 and "casey" in r.get_json()["error"]
    listed = client.get("/api/tickets", headers=AUTH).get_json()["tickets"]
    assert next(t for t in listed if t["id"] == ids[0])["claimed_by"] == casey.id
