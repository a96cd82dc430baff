"""Paging rules as data: who is woken for what, and the nightly limit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config.policy import Policy, parse_policy

CHI = ZoneInfo("America/Chicago")
NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=CHI)  # Tuesday 2 a.m.
STRANGER, VIP, SURGERY = "+15555550123", "+15555550177", "+15555550188"


@pytest.mark.parametrize(
    ("disposition", "flags", "caller", "page", "why"),
    [
        ("routine", [], VIP, False, "routine questions wait"),
        ("urgent", ["post_op"], STRANGER, True, "urgent post-op"),
        ("urgent", [], VIP, False, "first in the morning queue"),
        ("emergency", [], SURGERY, True, "within 14 days of surgery"),
        ("emergency", ["post_op"], STRANGER, True, "post-op patient"),
        ("emergency", [], VIP, True, "listed client"),
        ("emergency", [], STRANGER, False, "partner ER takes other emergencies"),
    ],
)
def test_rules(
    example: Policy, disposition: str, flags: list[str], caller: str, page: bool, why: str
) -> None:
    decision = example.page_decision(disposition, flags, caller, NIGHT, 0)
    assert decision.page is page
    assert why in decision.reason


def test_surgery_longer_ago_than_14_days_does_not_page(example: Policy) -> None:
    late = datetime(2026, 12, 5, 2, 0, tzinfo=CHI)  # surgery was 2026-11-16: 19 days
    assert not example.page_decision("emergency", [], SURGERY, late, 0).page


def test_nightly_limit(example: Policy) -> None:
    used = example.max_pages_per_night
    limited = example.page_decision("emergency", [], VIP, NIGHT, used)
    assert not limited.page and f"{used} of {used} pages tonight" in limited.reason
    assert example.page_decision("emergency", [], VIP, NIGHT, used - 1).page
    always = example.page_decision("urgent", ["post_op"], STRANGER, NIGHT, used + 5)
    assert always.page and "even past the nightly limit" in always.reason


def test_no_page_while_open(example: Policy) -> None:
    decision = example.page_decision("emergency", ["post_op"], VIP, NIGHT.replace(hour=10), 0)
    assert not decision.page and "open" in decision.reason


def test_default_rules_without_a_paging_section() -> None:
    policy = parse_policy(
        """
clinic: {name: A, phone: "+15555550300", timezone: America/Chicago, hours: {mon: "08:00-18:00"}}
er: {name: City ER, phone: "+15555550399", address: "1 Main St"}
on_call: {phone: "+15555550342"}
""",
        source="a.yaml",
    )
    assert policy.page_decision("emergency", [], STRANGER, NIGHT, 0).page
    assert not policy.page_decision("emergency", [], STRANGER, NIGHT, 3).page
    assert not policy.page_decision("routine", [], STRANGER, NIGHT, 0).page
    assert not policy.page_decision("urgent", [], STRANGER, NIGHT, 0).page
    assert policy.page_decision("urgent", ["post_op"], STRANGER, NIGHT, 9).page
