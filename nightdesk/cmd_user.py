"""`nightdesk user add|list|disable|passwd`: staff accounts of the dashboard."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from config.settings import Settings, SettingsError
from tickets import db
from tickets.users import (
    MIN_PASSWORD,
    ROLES,
    UserError,
    create_user,
    disable_user,
    get_user,
    list_users,
)


@contextmanager
def _session() -> Iterator[Session]:
    """A database session only (no Redis needed to manage users)."""
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    engine = db.make_engine(settings.sqlalchemy_url)
    try:
        with db.make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def register(cli: click.Group) -> None:
    @cli.group("user")
    def user() -> None:
        """Staff accounts of the dashboard (roles: csr, vet, admin)."""

    @user.command("add")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), default="csr", show_default=True)
    @click.option(
        "--clinic",
        "clinic_id",
        default=None,
        help="Limit the user to one clinic id (default: every clinic).",
    )
    @click.password_option(help="The password (asked twice when not given).")
    def add(username: str, role: str, clinic_id: str | None, password: str) -> None:
        """Create a staff user."""
        with _session() as session:
            try:
                create_user(session, username, password, role, clinic_id=clinic_id)
            except UserError as exc:
                raise click.ClickException(str(exc)) from None
            session.commit()
        click.echo(f"created {role} {username.strip().lower()}")

    @user.command("list")
    def list_() -> None:
        """Show every staff user."""
        with _session() as session:
            rows = list_users(session)
        if not rows:
            click.echo("no users yet: nightdesk user add NAME --role admin")
        for u in rows:
            state = "active" if u.active else "disabled"
            click.echo(f"{u.username:<20} {u.role:<6} {u.clinic_id or 'all clinics':<20} {state}")

    @user.command("disable")
    @click.argument("username")
    def disable(username: str) -> None:
        """Disable a user (they can no longer log in; their history stays)."""
        with _session() as session:
            try:
                disable_user(session, username)
            except UserError as exc:
                raise click.ClickException(str(exc)) from None
            session.commit()
        click.echo(f"disabled {username}")

    @user.command("passwd")
    @click.argument("username")
    @click.option("--generate", is_flag=True, help="Make up a random password and print it (once).")
    @click.option(
        "--password",
        default=None,
        help="The new password (asked twice, hidden, when neither this nor --generate is given).",
    )
    def passwd(username: str, generate: bool, password: str | None) -> None:
        """Set a new password for a staff user (a forgotten one, or the first admin's)."""
        if generate and password is not None:
            raise click.UsageError("give --password or --generate, not both")
        if generate:
            password = secrets.token_urlsafe(12)
        elif password is None:
            password = click.prompt(
                f"New password for {username.strip().lower()}",
                hide_input=True,
                confirmation_prompt=True,
            )
        assert password is not None
        if len(password) < MIN_PASSWORD:
            raise click.ClickException(f"a password needs at least {MIN_PASSWORD} characters")
        with _session() as session:
            row = get_user(session, username)
            if row is None or row.role not in ROLES:
                raise click.ClickException(f"no user {username!r}")
            row.password_hash = generate_password_hash(password)
            session.commit()
            name, active = row.username, row.active
        if generate:
            click.echo(f"new password for {name}: {password}")
        else:
            click.echo(f"password of {name} changed")
        if not active:
            click.echo(f"note: {name} is disabled and still cannot log in")
