"""`nightdesk report`: the night report of the dashboard, on the terminal or as CSV, and the
optional morning summary texted to the clinic's manager (through the outbox)."""

from __future__ import annotations

from datetime import date, datetime

import click

from config.policy import Policies, Policy
from config.settings import Settings, SettingsError
from tickets import db
from tickets.models import utcnow
from tickets.nights import last_night, nights
from tickets.report import Report, build, csv_text, figures


def _policy(policies: Policies, clinic: str | None) -> Policy:
    if clinic:
        found = policies.by_id(clinic)
        if found is None:
            ids = ", ".join(p.clinic_id for p in policies.all)
            raise click.BadParameter(f"no clinic {clinic!r}; one of: {ids}", param_hint="--clinic")
        return found
    if len(policies.all) > 1:
        ids = ", ".join(p.clinic_id for p in policies.all)
        raise click.UsageError(f"several clinics: choose one with --clinic ({ids})")
    return policies.default


def text(r: Report, policy: Policy, first: date, last: date) -> str:
    """The report as the terminal shows it: one figure a line, by section."""
    fmt = "%a %d %b %H:%M"
    nights_of = f"night of {first:%a %d %b %Y}" if first == last else f"nights {first} to {last}"
    lines = [
        f"{policy.name} — {nights_of}: {policy.local(r.start):{fmt}} to "
        f"{policy.local(r.end):{fmt}} ({policy.timezone})"
    ]
    section = ""
    for f in figures(r):
        if f.section != section:
            section = f.section
            lines.append(section)
        lines.append(f"  {f.label:<52} {f.value}")
    if r.late:
        lines.append("late callbacks")
    for x in r.late:
        done = f"called back {policy.local(x.done_at):{fmt}}" if x.done_at else "not called back"
        lines.append(f"  #{x.ticket_id} {x.disposition} due {policy.local(x.due_at):{fmt}}, {done}")
    return "\n".join(lines)


def summary_sms(r: Report, policy: Policy, day: date) -> str:
    """The morning summary for the manager's phone: the night in two SMS segments at most."""
    ack = f", median ack {r.ack_median_s / 60:.0f} min" if r.ack_median_s is not None else ""
    return (
        f"{policy.name}, night of {day:%a %d %b}: {r.calls} calls, {r.texts} texts, "
        f"{r.tickets} tickets ({r.er_referrals} ER referrals, {r.transfers} transfers). "
        f"Pages: {r.pages_sent} sent, {r.pages_acked} acknowledged{ack}, "
        f"{r.pages_escalated} escalated. Callbacks: {r.on_time} on time, {r.late_count} late. "
        f"Under-triage {r.under}, over-triage {r.over}."
    )


def register(cli: click.Group) -> None:
    @cli.command("report")
    @click.option("--clinic", help="Clinic id (needed when the deployment has several).")
    @click.option(
        "--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The night of this day "
        "(default: the night that began most recently)."
    )  # fmt: skip
    @click.option(
        "--to", "to", type=click.DateTime(["%Y-%m-%d"]), help="Up to the night of this day."
    )
    @click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of text.")
    @click.option(
        "--send-sms", is_flag=True, help="Also text the summary to the clinic's manager_phone "
        "(through the outbox: once per clinic and night)."
    )  # fmt: skip
    def report(
        clinic: str | None, day: datetime | None, to: datetime | None, as_csv: bool, send_sms: bool
    ) -> None:
        """The night report: calls, texts, dispositions, ER, pages, callbacks, outcomes."""
        try:
            settings = Settings.from_env()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        policy = _policy(Policies.load(settings.policy_path), clinic)
        now = utcnow()
        first = day.date() if day else last_night(policy, now)
        last = to.date() if to else first
        first, last = min(first, last), max(first, last)
        start, end = nights(policy, first, last)
        engine = db.make_engine(settings.sqlalchemy_url)
        try:
            with db.make_sessionmaker(engine)() as session:
                r = build(session, policy.clinic_id, start, end, now)
        finally:
            engine.dispose()
        click.echo(csv_text(r, policy_name=policy.name) if as_csv else text(r, policy, first, last))
        if send_sms:
            _send(settings, policy, r, first)


def _send(settings: Settings, policy: Policy, r: Report, day: date) -> None:
    """Record the summary SMS in the outbox (idempotent per clinic and night), then send it."""
    from nightdesk.services import build_services
    from tickets.outbound import queue_sms
    from workers.messages import enqueue_outbound

    if not policy.manager_phone:
        raise click.ClickException(f"{policy.source}: clinic.manager_phone is not set")
    services = build_services(settings)
    try:
        with services.session() as session:
            message_id = queue_sms(
                session,
                key=f"night-report:{policy.clinic_id}:{day.isoformat()}",
                clinic_id=policy.clinic_id,
                to=policy.manager_phone,
                from_=policy.phone,
                body=summary_sms(r, policy, day),
                purpose="night_report",
            )
            session.commit()
        enqueue_outbound(services.queue, message_id)
    finally:
        services.engine.dispose()
    click.echo(f"summary SMS #{message_id} queued to …{policy.manager_phone[-4:]}", err=True)
