"""`nightdesk report`: the same figures as the page, as text or CSV; the morning summary SMS
goes through the outbox once per clinic and night."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from config.policy import Policy
from nightdesk.cli import cli
from nightdesk.services import Services, redis_url_of
from tests.test_report import NIGHT, _seed
from tickets.models import OutboundMessage, utcnow
from tickets.nights import night
from tickets.report import build, csv_text, figures


def _env(services: Services, tmp_path: Path) -> dict[str, str]:
    s = services.settings
    return {
        "DATABASE_URL": s.database_url or "",
        "NIGHTDESK_CONFIG": str(s.policy_path),
        "NIGHTDESK_DATA_DIR": str(tmp_path),
        "REDIS_URL": redis_url_of(services.redis),
    }


def test_report_prints_the_figures_and_csv(
    services: Services, example: Policy, harbor: Policy, tmp_path: Path
) -> None:
    start, end = night(example, NIGHT)
    _seed(services, example, harbor, start)
    runner = CliRunner()
    env = _env(services, tmp_path)
    out = runner.invoke(cli, ["report", "--date", "2026-11-23"], env=env)
    assert out.exit_code == 0, out.output
    with services.session() as s:
        report = build(s, example.clinic_id, start, end, utcnow())
    assert out.output.startswith("Maple Street Veterinary Clinic — night of Mon 23 Nov 2026: ")
    lines = out.output.splitlines()
    for f in figures(report):
        assert f"  {f.label:<52} {f.value}" in lines, f.label
    as_csv = runner.invoke(
        cli, ["report", "--clinic", "maple-street", "--date", "2026-11-23", "--csv"], env=env
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output == csv_text(report, policy_name=example.name) + "\n"
    wrong = runner.invoke(cli, ["report", "--clinic", "nope"], env=env)
    assert wrong.exit_code == 2 and "maple-street" in wrong.output


def test_morning_summary_goes_through_the_outbox_once(
    services: Services,
    example: Policy,
    harbor: Policy,
    tmp_path: Path,
    run_worker: Callable[[], int],
) -> None:
    start, end = night(example, NIGHT)
    _seed(services, example, harbor, start)
    env = _env(services, tmp_path)
    for _ in range(2):
        out = CliRunner().invoke(cli, ["report", "--date", "2026-11-23", "--send-sms"], env=env)
        assert out.exit_code == 0, out.output
    run_worker()
    with services.session() as s:
        report = build(s, example.clinic_id, start, end, utcnow())
        [sms] = s.scalars(
            select(OutboundMessage).where(OutboundMessage.purpose == "night_report")
        ).all()
    assert sms.to == example.manager_phone and sms.from_ == example.phone
    assert f"{report.calls} calls, {report.texts} texts" in sms.body
    assert f"Under-triage {report.under}, over-triage {report.over}." in sms.body
    assert len(sms.body) <= 306 and sms.status in ("sent", "outbox")
