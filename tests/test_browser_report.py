"""The night report in a real headless Chromium: the owner (an admin of the clinic) opens it
from the menu; its numbers, its outcome matrix and the tickets behind a figure match the rows
the test seeded; the charts are drawn by Chart.js; the screenshot goes to docs/report.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from config.policy import Policy
from nightdesk.services import Services
from tests.browser import NEEDS_CHROMIUM, chromium, serving, sqlite_url
from tests.test_dashboard_fixtures import PASSWORD, make_user
from tests.test_report import NIGHT, _expected, _seed
from tickets.nights import night

DOCS = Path(__file__).resolve().parents[1] / "docs"
pytestmark = NEEDS_CHROMIUM


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def policy(services: Services) -> Policy:
    found = services.policies.by_id("maple-street")
    assert found is not None
    return found


@pytest.fixture
def morning(policy: Policy) -> Any:
    """Tuesday 11:00 in Chicago, the morning after the seeded night."""
    return night(policy, NIGHT)[1] + timedelta(hours=3)


@pytest.fixture
def base_url(services: Services, morning: Any) -> Iterator[str]:
    from ivr import create_app

    with serving(create_app(services, test_config={"NIGHTDESK_CLOCK": lambda: morning})) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()


def _n(page: Any, selector: str) -> int:
    return int(page.inner_text(selector).strip())


def test_the_owner_reads_last_night(
    services: Services, policy: Policy, harbor: Policy, base_url: str, page: Any, morning: Any
) -> None:
    start, end = night(policy, NIGHT)
    _seed(services, policy, harbor, start)
    with services.session() as s:
        make_user(s, "owner", "admin", clinic_id=policy.clinic_id)
        s.commit()
        counts, sets, keyed, dispositions, outcomes, *_ = _expected(
            s, policy.clinic_id, start, end, morning
        )

    page.goto(base_url + "/login")
    page.fill("#username", "owner")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("nav >> text=Report")
    page.wait_for_selector("#chart-outcomes")
    # last night by default: Monday 18:00 to Tuesday 08:00, Chicago time
    assert "Monday 23 November 2026" in page.inner_text("#window")
    for fig, name in [
        ("calls", "calls"), ("texts", "texts"), ("hangups", "hangups"),
        ("repeat", "repeat_callers"), ("tickets", "tickets"), ("transfers", "transfers"),
        ("er-texts", "er_texts"), ("under", "under"), ("over", "over"),
    ]:  # fmt: skip
        assert _n(page, f"#fig-{fig} .n") == counts[name], fig
    assert _n(page, "#fig-er .n") == dispositions["emergency"]
    for d in ("emergency", "urgent", "routine"):
        assert page.inner_text(f"#fig-disposition-{d} b") == str(dispositions[d])
    for fig, name in [("pages-sent", "pages_sent"), ("pages-acked", "pages_acked"),
                      ("pages-escalated", "pages_escalated"), ("on-time", "on_time"),
                      ("late", "late_count"), ("pending", "pending")]:  # fmt: skip
        assert _n(page, f"#fig-{fig} b") == counts[name], fig
    assert page.inner_text("#ack-max") == f"{counts['ack_max_s'] / 60:.0f} min"
    cells = page.eval_on_selector_all(
        "#outcomes a[data-cell]", "as => as.map(a => [a.dataset.cell, +a.textContent])"
    )
    assert {tuple(c.split("/")): n for c, n in cells} == dict(outcomes)
    flags = page.eval_on_selector_all(
        "#by-flag tr[data-key]", "rows => rows.map(r => [r.dataset.key, +r.cells[1].innerText])"
    )
    assert dict(flags) == {k: len(v) for k, v in keyed["flag"].items()}
    drawn = page.evaluate(
        "['dispositions', 'pages', 'callbacks', 'outcomes']"
        ".map(n => Chart.getChart('chart-' + n).data.datasets.length > 0)"
    )
    assert drawn == [True] * 4

    DOCS.mkdir(exist_ok=True)
    shot = DOCS / "report.png"
    page.screenshot(path=str(shot), full_page=True, animations="disabled")
    assert shot.stat().st_size > 20_000

    # the under-triage figure opens exactly the tickets behind it
    page.click("#fig-under")
    page.wait_for_selector("#report-tickets")
    ids = page.eval_on_selector_all(
        "#report-tickets tr[data-id]", "rs => rs.map(r => +r.dataset.id)"
    )
    assert set(ids) == sets["under"] and ids
    page.click(f"#report-tickets a >> text=#{ids[0]}")
    page.wait_for_url(f"{base_url}/tickets/{ids[0]}")
