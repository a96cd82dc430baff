"""Housekeeping commands: `nightdesk db upgrade`, `nightdesk outbox`."""

from __future__ import annotations

import click
from sqlalchemy import select

from config.settings import Settings, SettingsError
from nightdesk.services import Services, build_services
from tickets import db
from tickets.models import OutboundMessage


def _services() -> Services:
    try:
        return build_services(Settings.from_env())
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def register(cli: click.Group) -> None:
    @cli.group("db")
    def db_group() -> None:
        """The database schema."""

    @db_group.command("upgrade")
    def upgrade() -> None:
        """Apply every migration (safe to run on every deploy)."""
        services = _services()
        db.upgrade(services.engine)
        click.echo("database is at the newest schema")

    @cli.command()
    @click.option("--limit", default=20, show_default=True, help="How many messages to show.")
    def outbox(limit: int) -> None:
        """Show the newest outgoing SMS and calls (what was sent, or kept in the local outbox)."""
        services = _services()
        with services.session() as session:
            rows = session.scalars(
                select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
            ).all()
        if not rows:
            click.echo("the outbox is empty")
        for m in reversed(rows):
            when = m.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            click.echo(f"#{m.id} {when} {m.kind} {m.purpose} to {m.to} [{m.status}]")
            click.echo("    " + m.body.replace("\n", "\n    "))
