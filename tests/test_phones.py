"""Phone numbers with `phonenumbers`, in the clinic's region: policy files, callback numbers,
and the written and spoken forms."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from config import phones
from config.policy import Policies, PolicyError, load_policy
from ivr import prompts
from nightdesk import cmd_policy
from nightdesk.services import Services
from tests.test_voice_calls import NIGHT
from tests.voice_helpers import CALLER, Call
from tickets.models import Ticket

_sids = itertools.count(7001)


@pytest.mark.parametrize(
    "written, region, e164",
    [
        ("+15555550100", "US", "+15555550100"),
        ("(555) 123-4567", "US", "+15551234567"),
        ("555.123.4567", "US", "+15551234567"),
        ("1 312 555 0100", "US", "+13125550100"),
        ("+44 20 7946 0000", "US", "+442079460000"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("555-0100", "GB", None),  # too short for a British number
    ],
)
def test_parse_reads_national_and_international_forms(
    written: str, region: str, e164: str | None
) -> None:
    if e164 is None:
        with pytest.raises(phones.PhoneError):
            phones.parse(written, region)
    else:
        assert phones.parse(written, region) == e164


@pytest.mark.parametrize(
    "written, why",
    [
        ("555-0100", "'555-0100' has no area code for US"),
        ("(555) 555-039", "is too short for US"),
        ("12345678901234567", "is too long for US"),
        ("(312) 055-0100", "is not a valid number: +1 has no such area code or exchange"),
        ("call me", "is not a phone number"),
        ("+1", "is not a phone number"),
    ],
)
def test_parse_says_why_a_number_is_refused(written: str, why: str) -> None:
    with pytest.raises(phones.PhoneError, match=why.replace("(", r"\(").replace("+", r"\+")):
        phones.parse(written, "US")


@pytest.mark.parametrize(
    "heard, region, number",
    [
        ("5551234567", "US", "+15551234567"),  # ten digits keyed
        ("15551234567", "US", "+15551234567"),
        ("(555) 123-4567", "US", "+15551234567"),  # as texted or transcribed
        ("yes it's 555 123 4567 thanks", "US", "+15551234567"),
        ("1", "US", None),  # "keep this number"
        ("12345", "US", None),
        ("44207946000", "US", None),  # not a number of the clinic's country
        ("+44 20 7946 0000", "US", None),
        ("9005550100", "US", None),  # premium rate: never called or texted back
        ("9005550100 or 3125550101", "US", "+13125550101"),
        ("020 7946 0000", "GB", "+442079460000"),
    ],
)
def test_callback_number(heard: str, region: str, number: str | None) -> None:
    assert phones.callback_number(heard, region) == number


@pytest.mark.parametrize(
    "number, region, texted, spoken",
    [
        ("+15555550199", "US", "(555) 555-0199", "5 5 5, 5 5 5, 0 1 9 9"),
        ("+18884264435", "US", "(888) 426-4435", "8 8 8, 4 2 6, 4 4 3 5"),
        ("+442079460000", "US", "+44 20 7946 0000", "plus 4 4, 2 0, 7 9 4 6, 0 0 0 0"),
        ("+442079460000", "GB", "020 7946 0000", "0 2 0, 7 9 4 6, 0 0 0 0"),
        ("+15555550199", "GB", "+1 555-555-0199", "plus 1, 5 5 5, 5 5 5, 0 1 9 9"),
        ("not a number", "US", "not a number", "not a number"),  # never an empty <Say>
    ],
)
def test_written_and_spoken_forms(number: str, region: str, texted: str, spoken: str) -> None:
    assert phones.texted(number, region) == texted
    assert phones.spoken(number, region) == spoken
    assert prompts.display_phone(number, region) == texted
    assert prompts.phone_for(number, "voice", region) == spoken
    assert prompts.phone_for(number, "sms", region) == texted


NATIONAL = """\
clinic:
  name: National Form Clinic
  phone: "(555) 555-0300"
  manager_phone: 1 555 555 0302
  timezone: America/Chicago
  hours: {mon: "08:00-18:00"}
er: {name: City ER, phone: "555.555.0399", address: "1 Main St"}
on_call:
  people:
    ana: {name: Dr. Ana, phone: "555-555-0341"}
    ben: {name: Dr. Ben, phone: "+15555550342"}
  rotation: {order: [ana, ben], every: week, start: 2026-01-05}
clients:
  vip: ["(555) 555-0177", {phone: "555 555 0188", surgery: 2026-11-16}]
"""


def _check(*files: Path) -> tuple[int, list[str]]:
    group = click.Group("nightdesk")
    cmd_policy.register(group)
    result = CliRunner().invoke(group, ["config", "check", *map(str, files)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output.splitlines()


def test_a_policy_in_national_form_is_read_as_e164(tmp_path: Path) -> None:
    path = tmp_path / "national.yaml"
    path.write_text(NATIONAL)
    policy = load_policy(path)
    assert (policy.phone, policy.manager_phone, policy.er.phone) == (
        "+15555550300",
        "+15555550302",
        "+15555550399",
    )
    assert policy.plan is not None
    assert [p.phone for p in policy.plan.people.values()] == ["+15555550341", "+15555550342"]
    assert [e.phone for e in policy.clients["vip"]] == ["+15555550177", "+15555550188"]
    assert policy.region == "US"
    assert Policies([policy]).for_number("+15555550300") is policy  # Twilio's To finds it
    code, lines = _check(path)
    assert code == 0, lines
    notes = [line for line in lines if line.startswith("note:")]
    assert f"note: {path}:3: clinic.phone: '(555) 555-0300' is read as +15555550300" in (
        n.split(" (E.164")[0] for n in notes
    )
    assert sum("is read as +1555555" in n for n in notes) == 6  # every national number


def test_a_clinic_abroad_reads_its_national_numbers_in_its_region(tmp_path: Path) -> None:
    path = tmp_path / "london.yaml"
    path.write_text(
        NATIONAL.replace('"(555) 555-0300"', '"020 7946 0300"\n  region: gb')
        .replace("1 555 555 0302", '"+1 555 555 0302"')
        .replace("America/Chicago", "Europe/London")
    )
    policy = load_policy(path)
    assert policy.region == "GB"
    assert policy.phone == "+442079460300"
    assert policy.manager_phone == "+15555550302"  # a number abroad, written with its +1
    assert prompts.display_phone(policy.phone, policy.region) == "020 7946 0300"


def test_bad_numbers_and_regions_are_errors_with_file_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        NATIONAL.replace("1 555 555 0302", '"555-0302"')
        .replace('"(555) 555-0177"', '"(312) 055-0177"')
        .replace("  timezone:", "  region: UK\n  timezone:")
    )
    with pytest.raises(PolicyError):
        load_policy(path)
    code, lines = _check(path)
    assert code == 1
    problems = {line for line in lines if line.startswith(str(path))}
    assert problems == {
        f"{path}:5: clinic.region: 'UK' is not a country code phone numbers know — fix: write "
        "the ISO 3166 two-letter code of the clinic's country, e.g. US, CA, GB or AU",
        f"{path}:4: clinic.manager_phone: '555-0302' has no area code for US — fix: write it "
        'with its area code in quotes, e.g. "(555) 555-0100" or "+15555550100"',
        f"{path}:15: clients.vip[0]: '(312) 055-0177' is not a valid number: +1 has no such area "
        'code or exchange — fix: write it with its area code in quotes, e.g. "(555) 555-0100" or '
        '"+15555550100"',
    }


@pytest.fixture
def night(app: Flask) -> Flask:
    app.config["NIGHTDESK_CLOCK"] = lambda: NIGHT
    return app


@pytest.mark.parametrize(
    "answer, kept",
    [
        (("press", "5551234567"), "+15551234567"),
        (("say", "(555) 123-4567"), "+15551234567"),
        (("press", "9005550100"), CALLER),  # premium rate: the caller's own number stays
        (("press", "44207946000"), CALLER),  # another country: the caller's own number stays
    ],
)
def test_the_callback_number_a_caller_gives(
    night: Flask,
    signed_post: Callable[..., Any],
    services: Services,
    run_worker: Callable[[], int],
    answer: tuple[str, str],
    kept: str,
) -> None:
    call = Call(signed_post, f"CA{next(_sids):032d}")
    call.start()
    reply = call.say("I'd like to book a nail trim appointment for my cat Tom")
    for _ in range(8):
        if reply.gather is not None and reply.gather.get("finishOnKey") == "#":
            break
        reply = call.say("no")
    how, what = answer
    closing = call.press(what) if how == "press" else call.say(what)
    assert closing.root.find("Hangup") is not None
    run_worker()
    with services.session() as s:
        [ticket] = s.scalars(select(Ticket)).all()
    assert ticket.callback_number == kept and ticket.caller == CALLER
