"""`nightdesk triage`: readable summary, --json, stdin batches in order, clear errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from nightdesk.cli import cli

NOW = ["--now", "2026-11-20T21:30:00"]


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["triage", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_readable_summary_puts_the_disposition_first() -> None:
    code, out, _ = invoke(*NOW, "my beagle Bella ate a bar of dark chocolate about an hour ago")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "EMERGENCY  (red flags: toxin)"
    assert lines[1].startswith("  - emergency: 'ate a bar of dark chocolate' is toxin exposure")
    assert "onset: about an hour ago (1 h ago)" in lines
    assert "patient: dog, Bella, beagle" in lines


def test_json_is_one_spec_object() -> None:
    code, out, _ = invoke("--json", *NOW, "my cat has been vomiting since this morning")
    assert code == 0
    verdict = json.loads(out)
    assert verdict["disposition"] == "urgent"
    assert verdict["species"] == "cat"
    assert verdict["onset"] == {"text": "since this morning", "hours": 13.5}


def test_stdin_gives_one_json_line_per_line_in_order() -> None:
    texts = ["my dog got hit by a car", "", "book his vaccines please", "she is limping"]
    code, out, _ = invoke("--json", *NOW, "-", stdin="\n".join(texts) + "\n")
    assert code == 0
    got = [json.loads(line)["disposition"] for line in out.splitlines()]
    assert got == ["emergency", "urgent", "routine", "urgent"]


def test_stdin_without_json_flag_still_prints_json_lines() -> None:
    code, out, _ = invoke(*NOW, "-", stdin="he is coughing\n")
    assert code == 0 and json.loads(out)["intent"] == "sick_pet"


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_an_error(text: str) -> None:
    code, _, err = invoke(text)
    assert code == 2 and "TEXT is empty" in err


@pytest.mark.parametrize("now", ["yesterday", "2026-13-40", "21:30 friday"])
def test_bad_now_is_an_error(now: str) -> None:
    code, _, err = invoke("--now", now, "my dog is limping")
    assert code == 2 and "is not an ISO-8601 date-time" in err


def test_now_defaults_to_the_local_clock() -> None:
    code, out, _ = invoke("--json", "vomiting since 1 hour ago")
    assert code == 0 and json.loads(out)["onset"]["hours"] == 1.0
