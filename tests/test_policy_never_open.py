"""A clinic that is never open (an after-hours-only number): due times, the tools, and tickets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config.policy import Policies, parse_policy
from nightdesk import cmd_policy
from nightdesk.devphone import DevPhone, flask_post
from nightdesk.explain import explain
from nightdesk.services import Services
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE
from tickets.models import Ticket

CHI = ZoneInfo("America/Chicago")
NEVER_OPEN = """
clinic:
  name: Night Line
  phone: "+15555550100"
  timezone: America/Chicago
  hours: {HOURS}
er: {name: City ER, phone: "+15555550199", address: "1 Main St"}
on_call: {phone: "+15555550142"}
"""
ALL_CLOSED = "{mon: closed, tue: closed, wed: closed, thu: closed, fri: closed, sat: closed}"


def _cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    return group


@pytest.mark.parametrize("hours", ["{}", ALL_CLOSED])
@pytest.mark.parametrize(
    ("at", "disposition", "due"),
    [
        # 3 a.m.: this morning; 10 a.m.: the day has started, so tomorrow morning
        (datetime(2026, 11, 24, 3, 0, tzinfo=CHI), "urgent", datetime(2026, 11, 24, 8, 30)),
        (datetime(2026, 11, 24, 3, 0, tzinfo=CHI), "routine", datetime(2026, 11, 24, 12, 0)),
        (datetime(2026, 11, 24, 10, 0, tzinfo=CHI), "emergency", datetime(2026, 11, 25, 8, 30)),
        (datetime(2026, 11, 24, 23, 0, tzinfo=CHI), "routine", datetime(2026, 11, 25, 12, 0)),
        # a Thanksgiving or a spring-forward night changes nothing: it is never open anyway
        (datetime(2026, 11, 26, 1, 0, tzinfo=CHI), "urgent", datetime(2026, 11, 26, 8, 30)),
        (datetime(2026, 3, 8, 1, 30, tzinfo=CHI), "urgent", datetime(2026, 3, 8, 8, 30)),
    ],
)
def test_deadlines_count_from_the_next_morning(
    hours: str, at: datetime, disposition: str, due: datetime
) -> None:
    policy = parse_policy(NEVER_OPEN.replace("{HOURS}", hours), source="night.yaml")
    assert not policy.is_open(at) and policy.next_open(at) is None
    assert policy.callback_due(disposition, at) == due.replace(tzinfo=CHI)


def test_the_morning_is_a_setting() -> None:
    text = NEVER_OPEN.replace("{HOURS}", "{}") + 'callbacks: {morning: "07:15"}\n'
    policy = parse_policy(text, source="night.yaml")
    assert policy.morning == time(7, 15)
    night = datetime(2026, 11, 24, 2, 0, tzinfo=CHI)
    assert policy.callback_due("urgent", night) == datetime(2026, 11, 24, 7, 45, tzinfo=CHI)
    # the nightly page limit counts from the last morning
    assert policy.night_start(night) == datetime(2026, 11, 23, 7, 15, tzinfo=CHI)


def test_a_bad_morning_is_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "night.yaml"
    bad.write_text(NEVER_OPEN.replace("{HOURS}", "{}") + "callbacks: {morning: 8am}\n")
    result = CliRunner().invoke(_cli(), ["config", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:9: callbacks.morning: '8am' is not a time of day" in result.output


def test_config_check_explain_and_oncall_work_on_it(tmp_path: Path) -> None:
    path = tmp_path / "night.yaml"
    path.write_text(NEVER_OPEN.replace("{HOURS}", "{}"))
    runner = CliRunner()
    check = runner.invoke(_cli(), ["config", "check", str(path)])
    assert check.exit_code == 0, check.output
    assert check.output.startswith("ok: ")
    assert "note: " in check.output and "nobody backs up" in check.output
    oncall = runner.invoke(_cli(), ["oncall", "--config", str(path), "--at", "2026-11-24T02:00"])
    assert oncall.exit_code == 0, oncall.output
    assert "clinic:  closed (no opening hours: callbacks count from 08:00)" in oncall.output
    args = ["policy", "explain", "--config", str(path), "--at", "2026-11-24T02:00"]
    dry = runner.invoke(_cli(), [*args, "Can I get a refill of heartworm pills?"])
    assert dry.exit_code == 0, dry.output
    assert "Clinic is:    closed; no opening hours" in dry.output
    assert "Ticket due:   Tue 2026-11-24 12:00 CST" in dry.output
    e = explain(
        Policies.load(path), "my dog ate chocolate", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    )
    assert e.next_open is None and e.due is not None


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    folder = tmp_path / "clinics"
    folder.mkdir()
    (folder / "night.yaml").write_text(NEVER_OPEN.replace("{HOURS}", "{}"))
    return folder


def test_calls_to_it_become_tickets(
    app: Flask, client: FlaskClient, services: Services, run_worker: Callable[[], int]
) -> None:
    """The issue: 40 calls, 40 owners told they would be called back, 0 tickets."""
    app.config["NIGHTDESK_CLOCK"] = lambda: datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 3 a.m.
    scripts = [
        ["I need a refill of my dog's heartworm pills", "1"],
        ["my cat has been vomiting since last night and won't eat", "yesterday", "1"],
        ["my dog ate a whole bar of dark chocolate an hour ago", "1"],
    ]
    for i, script in enumerate(scripts):
        phone = DevPhone(
            flask_post(client),
            url=PUBLIC_BASE,
            caller=f"+1555555012{i}",
            token=AUTH_TOKEN,
            public_base=PUBLIC_BASE,
            out=lambda _line: None,
        )
        lines = phone.run(iter(script))
        assert not any("having trouble" in line for line in lines), "\n".join(lines)
    run_worker()
    with services.session() as s:
        tickets = list(s.scalars(select(Ticket).order_by(Ticket.id)))
    assert len(tickets) == 3
    due = {t.disposition: t.due_at.astimezone(CHI) for t in tickets}
    assert due["routine"] == datetime(2026, 11, 24, 12, 0, tzinfo=CHI)
    assert due["emergency"] == datetime(2026, 11, 24, 8, 30, tzinfo=CHI)
