"""The `nightdesk` command: one group; each area registers its commands from its own module."""

from __future__ import annotations

import importlib

import click

# Each module defines `register(cli: click.Group) -> None`.
COMMAND_MODULES = [
    "nightdesk.cmd_triage",
    "nightdesk.cmd_serve",
    "nightdesk.cmd_admin",
    "nightdesk.cmd_policy",
    "nightdesk.cmd_call",
    "nightdesk.cmd_text",
    "nightdesk.cmd_bench",
    "nightdesk.cmd_user",
    "nightdesk.cmd_eval",
    "nightdesk.cmd_report",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nightdesk")
def cli() -> None:
    """Nightdesk: the after-hours phone and SMS triage line for veterinary clinics."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    cli(prog_name="nightdesk")
