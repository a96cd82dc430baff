"""Two clinics in one deployment: who sees several gets a Clinic column, who sees one does not."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from config.settings import DEFAULT_POLICY_DIR
from nightdesk.services import Services
from tests.test_dashboard_fixtures import login, make_ticket, make_user
from tests.test_dashboard_pages import rows
from tickets.models import OutboundMessage

HARBOR = Path(__file__).parent / "data" / "policies" / "harbor.yaml"


@pytest.fixture
def policy_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clinics")
    shutil.copy(DEFAULT_POLICY_DIR / "example.yaml", folder / "example.yaml")
    shutil.copy(HARBOR, folder / "harbor.yaml")
    return folder


class Table(HTMLParser):
    """The header cells and the rows' cells of the page's first table."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_head = False
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._tables += 1
        if self._tables != 1:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._tables != 1:
            return
        if tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.head if self._in_head else self.rows[-1]).append(text)
            self._cell = None
        elif tag == "table":
            self._tables += 1  # only the first table

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(html: str) -> Table:
    parser = Table()
    parser.feed(html)
    return parser


@pytest.fixture
def seeded(services: Services) -> dict[str, int]:
    with services.session() as s:
        maple = make_ticket(s, pet="Maple", disposition="emergency").id
        harbor = make_ticket(s, pet="Harbor", clinic_id="harbor-cats", caller="+15555550124").id
        for clinic, number, ticket in (
            ("maple-street", "+15555550100", maple),
            ("harbor-cats", "+15555550200", harbor),
        ):
            s.add(
                OutboundMessage(
                    key=f"ticket:{ticket}:callback_promise",
                    clinic_id=clinic,
                    ticket_id=ticket,
                    purpose="callback_promise",
                    to="+15555550123",
                    from_=number,
                    body=f"We will call you back ({clinic}).",
                    status="outbox",
                )
            )
        make_user(s, "ana", "admin")
        make_user(s, "mia", "admin", clinic_id="maple-street")
        make_user(s, "casey", "csr", clinic_id="maple-street")
        s.commit()
    return {"maple": maple, "harbor": harbor}


def test_an_admin_of_every_clinic_sees_whose_ticket_it_is(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    login(client, "ana")
    for path in ("/", "/queue/rows"):
        html = client.get(path).get_data(as_text=True)
        assert rows(html).ids == [seeded["maple"], seeded["harbor"]]
        t = table(html if path == "/" else f"<table>{html}</table>")
        if path == "/":
            assert t.head[:2] == ["Urgency", "Clinic"]
        clinics = [r[1] for r in t.rows]
        assert clinics == ["Maple Street Veterinary Clinic", "Harbor Cat Clinic"], path
    outbox = table(client.get("/admin/outbox").get_data(as_text=True))
    assert outbox.head[1] == "Clinic"
    assert sorted(r[1] for r in outbox.rows) == [
        "Harbor Cat Clinic",
        "Maple Street Veterinary Clinic",
    ]
    users = client.get("/admin/users").get_data(as_text=True)
    assert "Maple Street Veterinary Clinic" in users


def test_staff_of_one_clinic_see_no_clinic_column_and_only_their_clinic(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    login(client, "casey")
    html = client.get("/").get_data(as_text=True)
    assert rows(html).ids == [seeded["maple"]]
    assert "Clinic" not in table(html).head
    client = client.application.test_client()
    login(client, "mia")
    outbox = table(client.get("/admin/outbox").get_data(as_text=True))
    assert "Clinic" not in outbox.head
    assert [r[-1] for r in outbox.rows] == ["We will call you back (maple-street)."]
    policy = client.get("/admin/policy").get_data(as_text=True)
    assert "Maple Street Veterinary Clinic" in policy and "Harbor Cat Clinic" not in policy
