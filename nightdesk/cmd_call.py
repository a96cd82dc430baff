"""`nightdesk call`: the dev phone against a running server (interactive or scripted)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nightdesk.devphone import phone_options


@click.command("call")
@phone_options(
    "call", script_help="Play these lines (one answer per line; empty = silence; 'hangup')."
)
def call(url: str, caller: str, to: str, script: Path | None) -> None:
    """Call the voice line as Twilio would: type what you say (digits = keypad, empty = silence)."""
    import requests

    from config.settings import Settings
    from nightdesk.devphone import DevPhone, requests_post, script_lines, typed_lines

    settings = Settings.from_env()
    with requests.Session() as session:
        phone = DevPhone(
            requests_post(session),
            url=url,
            caller=caller,
            to=to,
            token=settings.twilio_auth_token,
            public_base=settings.public_base_url,
        )
        lines = script_lines(script) if script else typed_lines()
        try:
            phone.run(lines)
        except requests.ConnectionError:
            click.echo(f"no server answers at {url} — start one with `nightdesk serve`", err=True)
            sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(call)
