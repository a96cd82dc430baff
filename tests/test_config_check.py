"""`nightdesk config check`: one clear message per problem, with file and line; no traceback."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from config.settings import DEFAULT_POLICY_DIR
from nightdesk import cmd_policy

BROKEN = Path(__file__).parent / "data" / "policies" / "broken"

EXPECTED = {
    "01_tab_indent.yaml": (3, "not valid YAML", "spaces, not tabs"),
    "02_missing_phone.yaml": (1, "clinic.phone: is missing", 'add `phone: "+15555550100"`'),
    "03_bad_timezone.yaml": (4, "'Central Time' is not an IANA time zone", "America/Chicago"),
    "04_bad_hours.yaml": (6, "clinic.hours.mon: '8am-6pm' is not opening hours", '"08:00-18:00"'),
    "05_bad_phone.yaml": (6, "er.phone: '(555) 555-039' is too short for US", '"+15555550100"'),
    "06_typo_key.yaml": (8, "pagin: unknown key", "did you mean `paging`?"),
    "07_duplicate_key.yaml": (7, "clinic.hours.mon: appears twice (also on line 6)", "keep only"),
    "08_unknown_person.yaml": (11, "order[1]: 'bob' is not one of on_call.people", "ana"),
    "09_bad_disposition.yaml": (10, "'critical' is not a disposition", "routine, urgent or"),
    "10_bad_deadline.yaml": (9, "callbacks.urgent: 'asap' is not a deadline", "after opening"),
    "11_bad_holiday_country.yaml": (6, "Country ZZ not available", "country: US"),
    "12_bad_special_day.yaml": (7, "special_days.2026-02-30: is not a date", "YYYY-MM-DD"),
    "13_empty.yaml": (None, "is empty or not a mapping", "example.yaml"),
    "14_no_er.yaml": (1, "er: is missing", "partner emergency hospital"),
    "15_unknown_client_list.yaml": (10, "no client list named 'vips'", "clients:"),
}


@pytest.fixture
def run() -> CliRunner:
    return CliRunner()


def _cli() -> click.Group:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    return group


def test_every_broken_file_has_a_case() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file(run: CliRunner, name: str) -> None:
    line, problem, fix = EXPECTED[name]
    result = run.invoke(_cli(), ["config", "check", str(BROKEN / name)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    messages = [m for m in result.output.splitlines() if m.startswith(str(BROKEN))]
    assert len(messages) == 1, result.output  # one problem, one message
    where = f"{BROKEN / name}:{line}: " if line else f"{BROKEN / name}: "
    assert messages[0].startswith(where)
    assert problem in messages[0] and "fix:" in messages[0] and fix in messages[0]


def test_several_problems_in_one_file_are_all_reported(run: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'clinic:\n  name: X\n  phone: "5550100"\n  timezone: Mars/Base\n  hours: {mon: "9-5"}\n'
        'er: {name: ER, phone: "+15555550399", address: "1 Main St"}\non_call: {phone: "+1"}\n'
    )
    result = run.invoke(_cli(), ["config", "check", str(bad)])
    assert result.exit_code == 1
    lines = [m for m in result.output.splitlines() if m.startswith(str(bad))]
    assert [m.split(":")[1] for m in lines] == ["3", "4", "5", "7"]
    assert "4 problems found." in result.output


def test_good_files_pass(run: CliRunner) -> None:
    harbor = BROKEN.parent / "harbor.yaml"
    result = run.invoke(_cli(), ["config", "check", str(DEFAULT_POLICY_DIR), str(harbor)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")


def test_missing_file(run: CliRunner, tmp_path: Path) -> None:
    result = run.invoke(_cli(), ["config", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "no such file" in result.output
