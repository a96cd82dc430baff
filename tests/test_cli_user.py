"""`nightdesk user passwd`: a new password typed twice, given, or made up and printed."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from config.settings import Settings
from nightdesk import cmd_user
from nightdesk.services import Services
from tests.test_dashboard_fixtures import PASSWORD, make_user
from tickets.users import api_user, disable_user, verify

NEW = "a brand new passphrase"


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_user.register(group)
    return group


@pytest.fixture
def runner(settings: Settings, services: Services) -> CliRunner:
    with services.session() as s:
        make_user(s, "casey", "csr")
        api_user(s)
        s.commit()
    return CliRunner(env={"DATABASE_URL": settings.database_url or ""})


def can_log_in(services: Services, username: str, password: str) -> bool:
    with services.session() as s:
        return verify(s, username, password) is not None


def test_passwd_prompts_twice_without_echo(
    cli: click.Group, runner: CliRunner, services: Services
) -> None:
    r = runner.invoke(cli, ["user", "passwd", "Casey"], input=f"{NEW}\n{NEW}\n")
    assert r.exit_code == 0, r.output
    assert "New password for casey" in r.output and "Repeat for confirmation" in r.output
    assert NEW not in r.output  # hidden input is not echoed
    assert r.output.strip().endswith("password of casey changed")
    assert can_log_in(services, "casey", NEW) and not can_log_in(services, "casey", PASSWORD)


def test_passwd_refuses_a_mismatch_or_a_short_password(
    cli: click.Group, runner: CliRunner, services: Services
) -> None:
    r = runner.invoke(cli, ["user", "passwd", "casey"], input=f"{NEW}\nsomething else\n")
    assert r.exit_code == 1 and "do not match" in r.output
    r = runner.invoke(cli, ["user", "passwd", "casey", "--password", "short"])
    assert r.exit_code == 1 and "at least 10 characters" in r.output
    assert can_log_in(services, "casey", PASSWORD)


def test_passwd_generate_prints_a_working_password_once(
    cli: click.Group, runner: CliRunner, services: Services
) -> None:
    r = runner.invoke(cli, ["user", "passwd", "casey", "--generate"])
    assert r.exit_code == 0, r.output
    m = re.fullmatch(r"new password for casey: (\S{12,})\n", r.output)
    assert m, r.output
    assert can_log_in(services, "casey", m.group(1))
    again = runner.invoke(cli, ["user", "passwd", "casey", "--generate"])
    assert again.exit_code == 0 and m.group(1) not in again.output


def test_passwd_given_on_the_command_line_and_the_edge_cases(
    cli: click.Group, runner: CliRunner, services: Services
) -> None:
    r = runner.invoke(cli, ["user", "passwd", "casey", "--password", NEW])
    assert r.exit_code == 0 and can_log_in(services, "casey", NEW)
    r = runner.invoke(cli, ["user", "passwd", "casey", "--password", NEW, "--generate"])
    assert r.exit_code == 2 and "not both" in r.output
    for nobody in ("nobody", "api"):  # the JSON API's actor is not a login
        r = runner.invoke(cli, ["user", "passwd", nobody, "--password", NEW])
        assert r.exit_code == 1 and f"no user {nobody!r}" in r.output, nobody
    with services.session() as s:
        disable_user(s, "casey")
        s.commit()
    r = runner.invoke(cli, ["user", "passwd", "casey", "--password", PASSWORD])
    assert r.exit_code == 0 and "casey is disabled and still cannot log in" in r.output
    assert not can_log_in(services, "casey", PASSWORD)
