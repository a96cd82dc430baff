"""The queue's order within one due time: red flags first (more first), then the earliest filed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from nightdesk.services import Services
from tests.test_dashboard_fixtures import NOW, login, make_ticket, make_user
from tests.test_dashboard_pages import rows
from tickets.queue import Filters, queue_page


def test_same_due_time_red_flags_first_then_earliest_filed(
    client: FlaskClient, services: Services
) -> None:
    due = NOW + timedelta(hours=2)
    minutes = timedelta(minutes=1)

    def ticket(pet: str, filed_ago: int, flags: list[str], **extra: Any) -> int:
        values: dict[str, Any] = {"disposition": "urgent", "due_at": due, "red_flags": flags}
        with services.session() as s:
            t = make_ticket(s, pet=pet, now=NOW - filed_ago * minutes, **(values | extra))
            s.commit()
            return t.id

    # filed in this order (ids ascending); all urgent ones are due at the same minute
    late_plain = ticket("Late", 5, [])
    one_flag = ticket("One", 10, ["severe_pain"])
    early_plain = ticket("Early", 50, [])
    two_flags = ticket("Two", 1, ["severe_pain", "lethargy"])
    sooner = ticket("Sooner", 0, [], due_at=due - minutes)
    emergency = ticket("Emergency", 0, ["breathing"], disposition="emergency", due_at=due + minutes)
    expected = [emergency, sooner, two_flags, one_flag, early_plain, late_plain]

    with services.session() as s:
        page = queue_page(s, Filters(status="all"), allowed_clinics=None, now=NOW)
        assert [t.id for t in page.tickets] == expected
        active = queue_page(s, Filters(), allowed_clinics=None, now=NOW)
        assert [t.id for t in active.tickets] == expected

    with services.session() as s:
        make_user(s, "casey", "csr")
        s.commit()
    login(client)
    assert rows(client.get("/").get_data(as_text=True)).ids == expected
