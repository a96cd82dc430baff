"""Helpers shared by the dashboard, lifecycle, API and browser tests (no tests here)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tickets.models import LEVEL, StaffUser, Ticket
from tickets.users import create_user

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 21:00 Saturday in Chicago: clinic closed
PASSWORD = "correct horse battery"


def make_ticket(
    session: Session,
    *,
    disposition: str = "urgent",
    due_in: float = 60,
    clinic_id: str = "maple-street",
    caller: str = "+15555550123",
    pet: str = "Biscuit",
    now: datetime = NOW,
    **extra: Any,
) -> Ticket:
    values: dict[str, Any] = dict(
        clinic_id=clinic_id,
        caller=caller,
        callback_number=caller,
        channel="voice",
        disposition=disposition,
        disposition_rank=LEVEL[disposition],
        red_flags=["vomiting_blood"] if disposition == "emergency" else [],
        reasons=["vomiting blood: 'she threw up blood' (rule gi.hematemesis)"]
        if disposition == "emergency"
        else [],
        symptoms=[
            {"code": "vomiting", "text": "threw up", "negated": False},
            {"code": "diarrhea", "text": "diarrhea", "negated": True},
        ],
        onset={"text": "since this morning", "hours": 14},
        species="dog",
        patient={"name": pet, "age": "4 years"},
        exposures=[],
        flags=[],
        intent="sick_pet",
        summary=f"{pet}, a dog, has been vomiting since this morning.",
        transcript=[
            {
                "at": now.isoformat(),
                "role": "caller",
                "channel": "voice",
                "text": f"My dog {pet} threw up three times, no diarrhea.",
            }
        ],
        pet_key=pet.lower(),
        status="open",
        due_at=now + timedelta(minutes=due_in),
        created_at=now,
        updated_at=now,
    )
    values.update(extra)
    ticket = Ticket(**values)
    session.add(ticket)
    session.flush()
    return ticket


def make_user(
    session: Session, username: str = "casey", role: str = "csr", clinic_id: str | None = None
) -> StaffUser:
    return create_user(session, username, PASSWORD, role, clinic_id=clinic_id)


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client: FlaskClient, username: str = "casey", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
