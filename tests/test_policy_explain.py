"""`nightdesk policy explain`: the dry run on the example clinic, with the real triage engine."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from config.policy import Policies
from config.settings import DEFAULT_POLICY_DIR
from nightdesk import cmd_policy
from nightdesk.explain import UnknownNumber, explain

CHI = ZoneInfo("America/Chicago")
DATA = Path(__file__).parent / "data" / "policies"


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies([*Policies.load(DEFAULT_POLICY_DIR).all, *Policies.load(DATA).all])


def _cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    return group


def test_emergency_after_hours(policies: Policies) -> None:
    at = datetime(2026, 11, 24, 23, 30, tzinfo=CHI)
    e = explain(policies, "My dog is having trouble breathing and her gums are pale", at)
    assert not e.open and e.disposition == "emergency"
    assert any("Riverside Animal Emergency Center" in s for s in e.caller_hears)
    assert not e.page and "partner ER" in e.page_reason  # a stranger's emergency goes to the ER
    assert e.due == datetime(2026, 11, 25, 8, 30, tzinfo=CHI)


def test_urgent_post_op_at_night_pages(policies: Policies) -> None:
    at = datetime(2026, 11, 25, 2, 10, tzinfo=CHI)
    text = "Biscuit had knee surgery last week and now the incision is red and swollen"
    e = explain(policies, text, at, "+15555550100")
    assert e.disposition == "urgent" and "post_op" in e.flags
    assert (
        e.page and e.paged == "Dr. Ana Reyes (…0142)" and e.backup == "Dr. Carla Lindqvist (…0144)"
    )
    assert all("+1555555014" not in s for s in e.caller_hears)  # no vet number to a caller
    data = json.loads(json.dumps(e.to_dict()))
    assert data["due"] == "2026-11-25T08:30:00-06:00" and data["page"] is True


def test_routine_refill_on_a_holiday(policies: Policies) -> None:
    at = datetime(2026, 11, 26, 10, 0, tzinfo=CHI)
    e = explain(policies, "I need a refill of my dog's Rimadyl prescription", at)
    assert e.closed_reason == "public holiday: Thanksgiving Day"
    assert e.disposition == "routine" and not e.page
    assert e.due == datetime(2026, 11, 27, 12, 0, tzinfo=CHI)


def test_the_called_number_chooses_the_clinic(policies: Policies) -> None:
    at = datetime(2026, 11, 24, 23, 30, tzinfo=CHI)
    e = explain(policies, "my cat keeps vomiting", at, "+15555550200")
    assert e.clinic_id == "harbor-cats"
    with pytest.raises(UnknownNumber):
        explain(policies, "my cat keeps vomiting", at, "+15555559999")


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["policy", "explain", "--config", str(DEFAULT_POLICY_DIR), "--at", "2026-11-28T15:00"]
    result = runner.invoke(_cli(), [*args, "Can I get a refill of heartworm pills?"])
    assert result.exit_code == 0, result.output
    assert "Disposition:  ROUTINE" in result.output and "Page:         no" in result.output
    assert "Ticket due:   Mon 2026-11-30 12:00 CST" in result.output
    unknown = runner.invoke(_cli(), [*args, "--to", "+15555559999", "hello"])
    assert unknown.exit_code == 1 and "no clinic has the number +15555559999" in unknown.output
    oncall = runner.invoke(
        _cli(), ["oncall", "--config", str(DEFAULT_POLICY_DIR), "--at", "2026-11-30T08:00"]
    )
    assert oncall.exit_code == 0, oncall.output
    assert "on call: Dr. Ben Okafor (…0143) until Mon 2026-12-07 08:00 CST" in oncall.output
    assert "backup:  Dr. Carla Lindqvist (…0144)" in oncall.output
