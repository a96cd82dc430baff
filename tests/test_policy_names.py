"""Unknown names in a policy are problems naming the file, the line and the nearest valid name."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.policy import check_files
from config.rules import FLAGS

BASE = """clinic:
  name: Names Clinic
  phone: "+15555550300"
  timezone: America/Chicago
  hours: {mon: "08:00-18:00"}
  holidays: {country: US, subdivision: IL, open_on: [HOLIDAY]}
er: {name: City ER, phone: "+15555550399", address: "1 Main St"}
on_call:
  people:
    lind: {name: Dr. Carla Lindqvist, phone: "+15555550144"}
    reyes: {name: Dr. Ana Reyes, phone: "+15555550142"}
  rotation: {order: [reyes, lind]}
  shifts:
    - {person: SHIFT, from: "2026-12-24 18:00", to: "2026-12-26 08:00"}
clients:
  vip: ["+15555550177"]
paging:
  rules:
    - {disposition: DISPOSITION, flags: [FLAG], caller_on: [LIST], page: PAGE}
"""
GOOD = {
    "HOLIDAY": "Pulaski",
    "SHIFT": "lind",
    "DISPOSITION": "urgent",
    "FLAG": "post_op",
    "LIST": "vip",
    "PAGE": "always",
}


def _policy(tmp_path: Path, **bad: str) -> Path:
    text = BASE
    for key, value in {**GOOD, **bad}.items():
        text = text.replace(key, value)
    path = tmp_path / "names.yaml"
    path.write_text(text)
    return path


def test_the_good_names_pass(tmp_path: Path) -> None:
    assert check_files([_policy(tmp_path)]) == []


@pytest.mark.parametrize(
    ("bad", "line", "problem", "fix"),
    [
        (
            {"FLAG": "postop"},
            19,
            "paging.rules[0].flags: 'postop' is not a flag the triage engine sets",
            "did you mean `post_op`?",
        ),
        (
            {"DISPOSITION": "emergncy"},
            19,
            "paging.rules[0].disposition: 'emergncy' is not a disposition",
            "use routine, urgent or emergency; did you mean `emergency`?",
        ),
        (
            {"LIST": "vips"},
            19,
            "paging.rules[0].caller_on: no client list named 'vips'",
            "did you mean `vip`?",
        ),
        (
            {"PAGE": "allways"},
            19,
            "paging.rules[0].page: 'allways' is not a paging choice",
            "did you mean `always`?",
        ),
        (
            {"SHIFT": "lindd"},
            14,
            "on_call.shifts[0].person: 'lindd' is not one of on_call.people",
            "did you mean `lind`?",
        ),
        (
            {"HOLIDAY": "Pulasky Day"},
            6,
            "clinic.holidays.open_on[0]: no holiday of US/IL is called 'Pulasky Day'",
            "did you mean `Casimir Pulaski Day`?",
        ),
    ],
)
def test_an_unknown_name(
    tmp_path: Path, bad: dict[str, str], line: int, problem: str, fix: str
) -> None:
    path = _policy(tmp_path, **bad)
    [message] = check_files([path])
    assert message.startswith(f"{path}:{line}: {problem}"), message
    assert "— fix: " in message and fix in message.split("— fix: ")[1], message


def test_a_flag_in_any_flags_too(tmp_path: Path) -> None:
    path = _policy(tmp_path)
    path.write_text(path.read_text().replace("flags: [post_op]", "any_flags: [senior, pregant]"))
    [message] = check_files([path])
    assert "any_flags: 'pregant' is not a flag" in message and "`pregnant`" in message


def test_a_client_list_must_be_a_list(tmp_path: Path) -> None:
    path = _policy(tmp_path)
    path.write_text(path.read_text().replace('vip: ["+15555550177"]', 'vip: "+15555550177"'))
    [message] = check_files([path])
    assert message.startswith(f"{path}:16: clients.vip: must be a list of phone numbers")


def test_the_flags_are_the_triage_engines() -> None:
    """config/ may not import nlp/, so it keeps its own copy of the flag names: the same."""
    from nlp.engine import _flags

    every = _flags(
        {"coughing": "", "post_op": "", "young": "", "senior": "", "pregnant": ""}, 0, None
    )
    assert sorted(every) == sorted(FLAGS)
    assert all(
        set(_flags({}, age, s)) <= set(FLAGS) for age in (None, 0.1, 12) for s in ("cat", None)
    )
