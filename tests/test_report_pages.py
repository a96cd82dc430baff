"""The report's pages over HTTP: who may see them, the CSV, the clinic boundary, the links."""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.policy import Policy
from config.settings import DEFAULT_POLICY_DIR
from nightdesk.services import Services
from tests.test_dashboard_fixtures import login, make_user
from tests.test_report import NIGHT, _expected, _seed
from tickets.nights import night
from tickets.report import build, figures


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    """Two clinics in one deployment: the example and Harbor."""
    folder = tmp_path / "clinics"
    folder.mkdir()
    shutil.copy(DEFAULT_POLICY_DIR / "example.yaml", folder)
    shutil.copy(Path(__file__).parent / "data" / "policies" / "harbor.yaml", folder)
    return folder


def _setup(
    services: Services, example: Policy, harbor: Policy, app: Flask
) -> tuple[datetime, datetime, datetime]:
    start, end = night(example, NIGHT)
    _seed(services, example, harbor, start)
    morning = end + timedelta(hours=3)
    app.config["NIGHTDESK_CLOCK"] = lambda: morning
    with services.session() as s:
        make_user(s, "owner", "admin", clinic_id=example.clinic_id)
        make_user(s, "harbor-owner", "admin", clinic_id=harbor.clinic_id)
        s.commit()  # casey, a CSR, comes with the seeded night
    return start, end, morning


def test_owner_gets_page_csv_and_links(
    services: Services, example: Policy, harbor: Policy, app: Flask, client: FlaskClient
) -> None:
    start, end, morning = _setup(services, example, harbor, app)
    login(client, "owner")
    html = client.get("/report").get_data(as_text=True)
    with services.session() as s:
        report = build(s, example.clinic_id, start, end, morning)
        counts, sets, *_ = _expected(s, example.clinic_id, start, end, morning)
    m = re.search(r'id="fig-calls"[^>]*><span class="n">(\d+)</span>', html)
    assert m and int(m.group(1)) == counts["calls"]
    assert 'href="/report.csv?clinic=maple-street&amp;from=2026-11-23&amp;to=2026-11-23"' in html
    assert "vendor/chart-4.6.2.umd.min.js" in html and "cdn" not in html.lower()

    response = client.get("/report.csv?clinic=maple-street&from=2026-11-23")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_label = {r["figure"]: r["value"] for r in rows if r["section"] != "late callback"}
    for f in figures(report):
        assert by_label[f.label] == str(f.value), f.label
    assert by_label["calls"] == str(counts["calls"])

    listed = client.get(
        "/report/tickets?clinic=maple-street&from=2026-11-23&to=2026-11-23&figure=late"
    ).get_data(as_text=True)
    assert {int(i) for i in re.findall(r'<tr data-id="(\d+)"', listed)} == sets["late"]
    assert client.get("/report/tickets?figure=nonsense").status_code == 404


def test_other_clinics_and_csrs_see_no_report(
    services: Services, example: Policy, harbor: Policy, app: Flask, client: FlaskClient
) -> None:
    _setup(services, example, harbor, app)
    login(client, "casey")
    assert client.get("/report").status_code == 403
    assert client.get("/report.csv").status_code == 403
    other = app.test_client()
    login(other, "harbor-owner")
    assert other.get("/report?clinic=maple-street").status_code == 404
    assert other.get("/report.csv?clinic=maple-street").status_code == 404
    assert other.get("/report/tickets?clinic=maple-street&figure=tickets").status_code == 404
    page = other.get("/report").get_data(as_text=True)
    assert "Night report · Harbor Cat Clinic" in page and "Maple Street" not in page
