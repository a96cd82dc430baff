"""`nightdesk config check`, `nightdesk oncall`, `nightdesk policy explain`: tools for owners."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from config.policy import Policies, Policy, PolicyError, check_report
from config.settings import Settings, SettingsError


def _policies(config: Path | None) -> Policies:
    try:
        path = config or Settings.from_env().policy_path
        return Policies.load(path)
    except (PolicyError, SettingsError) as exc:
        raise click.ClickException(
            f"{exc}\n(run `nightdesk config check` for every problem)"
        ) from None


def _clinic(policies: Policies, clinic_id: str | None, to: str | None) -> Policy:
    if to:
        found = policies.for_number(to)
        if found is None:
            known = ", ".join(p.phone for p in policies.all)
            raise click.ClickException(f"no clinic has the number {to} (known: {known})")
        return found
    if clinic_id:
        found = policies.by_id(clinic_id)
        if found is None:
            known = ", ".join(p.clinic_id for p in policies.all)
            raise click.ClickException(f"no clinic with id {clinic_id!r} (known: {known})")
        return found
    return policies.default


def _at(value: str | None, policy: Policy) -> datetime:
    """ISO date-time; without an offset it is the clinic's wall clock."""
    if not value:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not ISO, e.g. 2026-11-24T23:30", param_hint="--at"
        ) from None
    return at.replace(tzinfo=policy.tz) if at.tzinfo is None else at


def _mask(phone: str) -> str:
    return "…" + phone[-4:]


def _state(policy: Policy, at: datetime) -> str:
    if policy.is_open(at):
        return "open"
    opens = policy.next_open(at)
    if opens is None:
        return f"closed (no opening hours: callbacks count from {policy.morning:%H:%M})"
    return f"closed, opens {opens:%a %H:%M}"


CONFIG_OPT = click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Policy file or folder (default: NIGHTDESK_CONFIG or config/clinics).",
)


def register(cli: click.Group) -> None:
    @cli.group("config")
    def config_group() -> None:
        """Clinic policy files."""

    @config_group.command("check")
    @click.argument("files", nargs=-1, type=click.Path(path_type=Path))
    def check(files: tuple[Path, ...]) -> None:
        """Check policy files; print each problem with its line and the fix (exit 1 if any)."""
        paths = list(files)
        if not paths:
            try:
                paths = [Settings.from_env().policy_path]
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from None
        problems, notes = check_report(paths)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            n = len(problems)
            click.echo(f"{n} problem{'s' if n > 1 else ''} found.", err=True)
            sys.exit(1)
        click.echo(f"ok: {', '.join(str(p) for p in paths)}")
        for note in notes:
            click.echo(f"note: {note}")

    @cli.command("oncall")
    @click.option("--at", "at_text", default=None, help="ISO time (clinic time if no offset).")
    @click.option("--clinic", "clinic_id", default=None, help="Clinic id (default: the first).")
    @CONFIG_OPT
    def oncall(at_text: str | None, clinic_id: str | None, config: Path | None) -> None:
        """Who is on call, who is the backup, and until when."""
        policy = _clinic(_policies(config), clinic_id, None)
        at = _at(at_text, policy)
        who = policy.on_call(at)
        until = f"{who.until:%a %Y-%m-%d %H:%M %Z}" if who.until else "no end set"
        click.echo(f"{policy.name} ({policy.clinic_id}) at {policy.local(at):%a %Y-%m-%d %H:%M %Z}")
        click.echo(
            f"on call: {who.primary.name} ({_mask(who.primary.phone)}) until {until} [{who.source}]"
        )
        backup = f"{who.backup.name} ({_mask(who.backup.phone)})" if who.backup else "none"
        click.echo(f"backup:  {backup}, paged after {policy.ack_minutes} min without a reply 1")
        click.echo(f"clinic:  {_state(policy, at)}")

    @cli.group("policy")
    def policy_group() -> None:
        """Dry runs of the clinic policy."""

    @policy_group.command("explain")
    @click.argument("text")
    @click.option("--at", "at_text", default=None, help="ISO time (clinic time if no offset).")
    @click.option("--to", "to", default=None, help="The called number (chooses the clinic).")
    @click.option("--from", "caller", default=None, help="The caller's number (client lists).")
    @click.option("--pages-tonight", default=0, show_default=True, help="Pages already sent.")
    @click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
    @CONFIG_OPT
    def explain_cmd(
        text: str,
        at_text: str | None,
        to: str | None,
        caller: str | None,
        pages_tonight: int,
        as_json: bool,
        config: Path | None,
    ) -> None:
        """What the line would do if a caller said TEXT: open?, disposition, words, page, due."""
        from nightdesk.explain import explain

        policies = _policies(config)
        policy = _clinic(policies, None, to)
        at = _at(at_text, policy)
        result = explain(
            policies, text, at, policy.phone, caller=caller, pages_tonight=pages_tonight
        )
        if as_json:
            click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo("\n".join(result.lines()))
