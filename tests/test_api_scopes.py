"""API tokens scoped to clinics (NIGHTDESK_API_TOKENS); the single NIGHTDESK_API_TOKEN sees all."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import DEFAULT_POLICY_DIR, Settings, SettingsError, parse_api_tokens
from ivr import create_app
from nightdesk.services import Services
from tests.test_dashboard_fixtures import make_ticket
from tickets.models import Ticket, TicketEvent, utcnow

HARBOR = Path(__file__).parent / "data" / "policies" / "harbor.yaml"
MAPLE_TOKEN = "maple-only-token-0123456789"
BOTH_TOKEN = "both-clinics-token-0123456789"
ALL_TOKEN = "every-clinic-token-0123456789"
SCOPES = f"{MAPLE_TOKEN}:maple-street ; {BOTH_TOKEN}:maple-street,harbor-cats;{ALL_TOKEN}:*"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clinics")
    shutil.copy(DEFAULT_POLICY_DIR / "example.yaml", folder / "example.yaml")
    shutil.copy(HARBOR, folder / "harbor.yaml")
    return folder


def _app(services: Services, **changes: object) -> Flask:
    settings = dataclasses.replace(services.settings, **changes)  # type: ignore[arg-type]
    return create_app(
        dataclasses.replace(services, settings=settings), test_config={"TESTING": True}
    )


@pytest.fixture
def scoped(services: Services) -> FlaskClient:
    """The fixture's NIGHTDESK_API_TOKEN (test-api-token) plus the scoped tokens above."""
    return _app(services, api_tokens=parse_api_tokens(SCOPES)).test_client()


@pytest.fixture
def ids(services: Services) -> dict[str, int]:
    now = utcnow()
    with services.session() as s:
        out = {
            "maple": make_ticket(s, disposition="emergency", now=now, pet="M").id,
            "harbor": make_ticket(s, clinic_id="harbor-cats", now=now, pet="H").id,
        }
        s.commit()
    return out


def _listed(client: FlaskClient, token: str, query: str = "") -> list[str]:
    r = client.get(f"/api/tickets{query}", headers=bearer(token))
    assert r.status_code == 200
    return sorted(t["clinic"] for t in r.get_json()["tickets"])


def test_each_token_lists_only_its_clinics(scoped: FlaskClient, ids: dict[str, int]) -> None:
    assert _listed(scoped, MAPLE_TOKEN) == ["maple-street"]
    assert _listed(scoped, MAPLE_TOKEN, "?clinic=harbor-cats") == []  # a filter does not widen
    assert _listed(scoped, BOTH_TOKEN) == ["harbor-cats", "maple-street"]
    assert _listed(scoped, ALL_TOKEN) == ["harbor-cats", "maple-street"]
    # Backward compatible: the single NIGHTDESK_API_TOKEN still sees every clinic.
    assert _listed(scoped, "test-api-token") == ["harbor-cats", "maple-street"]
    assert scoped.get("/api/tickets", headers=bearer(MAPLE_TOKEN + "x")).status_code == 401


def test_another_clinics_ticket_is_not_found_for_reading_or_changing(
    scoped: FlaskClient, ids: dict[str, int], services: Services
) -> None:
    other = ids["harbor"]
    r = scoped.get(f"/api/tickets/{other}", headers=bearer(MAPLE_TOKEN))
    assert r.status_code == 404 and r.get_json() == {"error": f"ticket {other} does not exist"}
    for action, body in [("claim", {}), ("notes", {"text": "peek"}), ("reopen", {})]:
        r = scoped.post(f"/api/tickets/{other}/{action}", json=body, headers=bearer(MAPLE_TOKEN))
        assert r.status_code == 404, action
    with services.session() as s:
        t = s.get(Ticket, other)
        assert t is not None and t.status == "open" and t.claimed_by is None
        assert s.query(TicketEvent).filter_by(ticket_id=other).count() == 0
    # Its own clinic's ticket works as before, and so does the other one for a wider token.
    own = scoped.post(f"/api/tickets/{ids['maple']}/claim", json={}, headers=bearer(MAPLE_TOKEN))
    assert own.status_code == 200 and own.get_json()["status"] == "claimed"
    wide = scoped.get(f"/api/tickets/{other}", headers=bearer(BOTH_TOKEN))
    assert wide.status_code == 200 and wide.get_json()["clinic"] == "harbor-cats"


def test_scoped_tokens_alone_turn_the_api_on(services: Services, ids: dict[str, int]) -> None:
    client = _app(services, api_token=None, api_tokens=parse_api_tokens(SCOPES)).test_client()
    assert _listed(client, MAPLE_TOKEN) == ["maple-street"]
    off = _app(services, api_token=None, api_tokens=()).test_client()
    assert off.get("/api/tickets", headers=bearer(MAPLE_TOKEN)).status_code == 404


def test_a_token_naming_an_unknown_clinic_stops_the_app(services: Services) -> None:
    tokens = parse_api_tokens(f"{MAPLE_TOKEN}:maple-street,oak-lane")
    with pytest.raises(SettingsError, match="token 1 names unknown clinic.*oak-lane") as exc:
        _app(services, api_tokens=tokens)
    assert MAPLE_TOKEN not in str(exc.value)


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("short:maple-street", "entry 1: a token is at least 16 characters"),
        (f"{MAPLE_TOKEN}", "entry 1 names no clinics"),
        (f"{MAPLE_TOKEN}:", "entry 1 names no clinics"),
        (f"{MAPLE_TOKEN}:a;{MAPLE_TOKEN}:b", "entry 2 repeats an earlier token"),
        (f"{MAPLE_TOKEN}:*,maple-street", "`*` (every clinic) stands alone"),
        ("token with spaces inside it:*", "a token is at least 16 characters of letters"),
    ],
)
def test_malformed_token_settings_fail_at_start_naming_the_entry_not_the_token(
    raw: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"NIGHTDESK_API_TOKENS": raw})
    assert problem in str(exc.value) and "NIGHTDESK_API_TOKENS" in str(exc.value)
    assert MAPLE_TOKEN not in str(exc.value)


def test_the_setting_reads_scopes() -> None:
    settings = Settings.from_env({"NIGHTDESK_API_TOKENS": SCOPES, "NIGHTDESK_API_TOKEN": "x" * 20})
    scopes = {t.token: t.clinics for t in settings.all_api_tokens}
    assert scopes == {
        "x" * 20: None,
        MAPLE_TOKEN: frozenset({"maple-street"}),
        BOTH_TOKEN: frozenset({"maple-street", "harbor-cats"}),
        ALL_TOKEN: None,
    }
    assert MAPLE_TOKEN not in repr(settings)  # tokens stay out of logs and tracebacks
