"""Staff users: `nightdesk user add|list|disable`, hashed passwords, the first admin."""

from __future__ import annotations

import click
from click.testing import CliRunner

from config.settings import Settings
from nightdesk import cmd_user
from nightdesk.services import Services
from tickets.models import StaffUser
from tickets.users import api_user, ensure_first_admin, get_user, verify


def test_user_add_list_disable(settings: Settings, services: Services) -> None:
    cli = click.Group("nightdesk")
    cmd_user.register(cli)
    runner = CliRunner(env={"DATABASE_URL": settings.database_url or ""})
    r = runner.invoke(
        cli,
        [
            "user",
            "add",
            "Casey",
            "--role",
            "csr",
            "--clinic",
            "maple-street",
            "--password",
            "correct horse battery",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["user", "add", "casey", "--password", "correct horse battery"])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(cli, ["user", "add", "shorty", "--password", "short"])
    assert r.exit_code == 1 and "at least 10" in r.output
    r = runner.invoke(cli, ["user", "list"])
    assert r.output.split() == ["casey", "csr", "maple-street", "active"]
    with services.session() as s:
        user = get_user(s, "casey")
        assert user is not None and "correct horse" not in user.password_hash
        assert verify(s, "casey", "correct horse battery") is not None
        assert verify(s, "casey", "wrong horse battery") is None
    assert runner.invoke(cli, ["user", "disable", "casey"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["user", "list"]).output
    with services.session() as s:
        assert verify(s, "casey", "correct horse battery") is None
    assert runner.invoke(cli, ["user", "disable", "nobody"]).exit_code == 1


def test_first_admin_is_created_once_and_the_api_user_cannot_log_in(services: Services) -> None:
    with services.session() as s:
        api_user(s)
        s.commit()
        first = ensure_first_admin(s)
        assert first is not None and first[0] == "admin" and len(first[1]) >= 12
        assert ensure_first_admin(s) is None
        admin = verify(s, *first)
        assert admin is not None and admin.role == "admin" and admin.clinic_id is None
        api = s.get(StaffUser, api_user(s).id)
        assert api is not None and verify(s, "api", "!") is None
