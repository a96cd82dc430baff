"""Every page has someone to escalate to, or `config check` says what happens instead."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from click.testing import CliRunner

from config.policy import Policy, check_report, parse_policy
from nightdesk import cmd_policy

CHI = ZoneInfo("America/Chicago")
HEAD = """
clinic:
  name: Rota Clinic
  phone: "+15555550300"
  timezone: America/Chicago
  hours: {mon: "08:00-18:00", tue: "08:00-18:00"}
er: {name: City ER, phone: "+15555550399", address: "1 Main St"}
"""
PEOPLE = """
  people:
    ana: {name: Dr. Ana, phone: "+15555550341"}
    ben: {name: Dr. Ben, phone: "+15555550342"}
    cai: {name: Dr. Cai, phone: "+15555550343"}
"""
# ana and ben take turns; cai backs up; cai takes the Christmas shift herself
SHIFT_OF_THE_BACKUP = (
    HEAD
    + "on_call:"
    + PEOPLE
    + """  rotation: {order: [ana, ben], every: week, handover: "mon 08:00", start: 2026-01-05}
  shifts:
    - {person: cai, from: "2026-12-24 18:00", to: "2026-12-26 08:00"}
  backup: cai
"""
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rota.yaml"
    path.write_text(text)
    return path


def _cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    return group


def test_a_shift_of_the_backup_is_backed_up_by_the_rotation() -> None:
    """The issue: the backup on shift silently had no backup (a page unanswered 20 min)."""
    policy = parse_policy(SHIFT_OF_THE_BACKUP, source="rota.yaml")
    christmas = policy.on_call(datetime(2026, 12, 25, 3, 0, tzinfo=CHI))
    assert christmas.primary.id == "cai" and christmas.source == "shift"
    assert christmas.backup is not None and christmas.backup.id in ("ana", "ben")
    regular = policy.on_call(datetime(2026, 12, 23, 3, 0, tzinfo=CHI))  # same week
    assert christmas.backup == regular.primary  # whoever the rotation has on call then
    assert policy.notes == ()  # nothing to say: everyone has a backup


def test_a_shift_may_name_its_own_backup() -> None:
    text = SHIFT_OF_THE_BACKUP.replace('"2026-12-26 08:00"}', '"2026-12-26 08:00", backup: ben}')
    policy = parse_policy(text, source="rota.yaml")
    backup = policy.on_call(datetime(2026, 12, 25, 3, 0, tzinfo=CHI)).backup
    assert backup is not None and backup.id == "ben"


def test_nobody_else_is_a_note_that_config_check_prints(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + 'on_call: {phone: "+15555550342", name: Dr. Ben}\n')
    result = CliRunner().invoke(_cli(), ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        f"note: {path}:8: on_call.phone: nobody backs up Dr. Ben (…0342): when they do not "
        "answer a page, nobody else is paged (the ticket records escalation_failed)"
    ) in result.output


def test_the_manager_is_the_stated_fallback(tmp_path: Path) -> None:
    text = HEAD.replace("timezone:", 'manager_phone: "+15555550302"\n  timezone:')
    path = _write(tmp_path, text + 'on_call: {phone: "+15555550342", name: Dr. Ben}\n')
    problems, notes = check_report([path])
    assert problems == []
    assert notes == [
        f"{path}:9: on_call.phone: if Dr. Ben (…0342) does not answer a page, the clinic "
        "manager (clinic.manager_phone …0302) is paged: nobody else is on call then"
    ]
    policy = parse_policy(path.read_text(), source=str(path))
    who = policy.on_call(datetime(2026, 11, 24, 3, 0, tzinfo=CHI))
    assert who.backup is not None and who.backup.phone == "+15555550302"
    # the manager's "1" acknowledges, and their call back reaches the bridge
    assert policy.on_call_person("+15555550302") == who.backup


def test_a_one_person_rotation_without_a_backup_is_a_note() -> None:
    text = HEAD + "on_call:" + PEOPLE + "  rotation: {order: [ana]}\n"
    policy = parse_policy(text, source="rota.yaml")
    assert (
        len(policy.notes) == 1 and "rotation.order[0]: nobody backs up Dr. Ana" in policy.notes[0]
    )


def test_a_named_backup_that_leaves_someone_uncovered_is_a_problem(tmp_path: Path) -> None:
    # cai is the backup and the only person of the rotation: nobody backs cai up
    text = HEAD + "on_call:" + PEOPLE + "  rotation: {order: [cai]}\n  backup: cai\n"
    path = _write(tmp_path, text)
    result = CliRunner().invoke(_cli(), ["config", "check", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}:13: on_call.rotation.order[0]: leaves Dr. Cai (…0343) with nobody to page when "
        "they do not answer (the backup is the same person) — fix: name a different `backup:`"
    ) in result.output


def test_the_one_person_form_acknowledges_by_text(example: Policy) -> None:
    single = parse_policy(HEAD + 'on_call: {phone: "+15555550342"}\n', source="single.yaml")
    assert single.on_call_person("+15555550342") is not None  # its "1" is an acknowledgement
    assert example.on_call_person("+15555550144") is not None  # the backup's too
    assert example.on_call_person("+15555550123") is None


def test_the_example_and_test_clinics_need_no_note() -> None:
    folder = Path(__file__).parent / "data" / "policies"
    from config.settings import DEFAULT_POLICY_DIR

    problems, notes = check_report([DEFAULT_POLICY_DIR, folder / "harbor.yaml"])
    assert problems == [] and notes == []
