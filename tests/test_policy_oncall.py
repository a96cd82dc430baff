"""Who is on call: one number, weekly and daily rotations, handovers, shifts, backups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from config.policy import Policy, parse_policy

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")

MINIMAL = """
clinic:
  name: Minimal Clinic
  phone: "+15555550300"
  timezone: America/Chicago
  hours: {mon: "08:00-18:00"}
er: {name: City ER, phone: "+15555550399", address: "1 Main St"}
on_call: {phone: "+15555550342"}
"""


def test_minimal_file_one_person_always_on_call() -> None:
    policy = parse_policy(MINIMAL, source="minimal.yaml")
    who = policy.on_call(datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert who.primary.phone == "+15555550342" and who.backup is None and who.until is None
    assert policy.on_call_phone == "+15555550342"
    assert policy.clinic_id == "minimal"
    assert policy.poison_control.phone == "+18884264435"  # ASPCA APCC by default
    assert (policy.language, policy.voice, policy.greeting) == ("en-US", "Polly.Joanna", None)
    assert policy.max_pages_per_night == 3 and policy.ack_minutes == 15


def test_example_keeps_the_values_the_voice_line_reads(example: Policy) -> None:
    assert example.phone == "+15555550100" and example.on_call_phone == "+15555550142"
    assert example.er.name == "Riverside Animal Emergency Center"
    assert example.er.phone == "+15555550199" and example.timezone == "America/Chicago"
    assert example.hours["mon"][0].hour == 8 and example.hours["thu"][1].hour == 20


def test_weekly_handover_at_the_boundary_minute(example: Policy) -> None:
    before = example.on_call(datetime(2026, 11, 30, 7, 59, tzinfo=CHI))
    at = example.on_call(datetime(2026, 11, 30, 8, 0, tzinfo=CHI))
    assert before.primary.id == "reyes" and at.primary.id == "okafor"
    assert before.until == datetime(2026, 11, 30, 8, 0, tzinfo=CHI)
    assert at.until == datetime(2026, 12, 7, 8, 0, tzinfo=CHI)
    assert before.backup is not None and before.backup.id == "lind"


def test_daily_handover_on_the_fall_back_day(harbor: Policy) -> None:
    # 2026-11-01 has 25 hours in New York; the 07:00 handover is still at 07:00 wall clock.
    before = harbor.on_call(datetime(2026, 11, 1, 6, 59, tzinfo=NY))
    after = harbor.on_call(datetime(2026, 11, 1, 7, 0, tzinfo=NY))
    assert before.primary.id != after.primary.id
    assert before.until == datetime(2026, 11, 1, 7, 0, tzinfo=NY)
    assert after.until is not None
    assert after.until - datetime(2026, 11, 1, 7, 0, tzinfo=NY) == timedelta(days=1)
    assert before.backup == after.primary  # the next in turn backs up without a `backup:`


def test_daily_handover_on_the_spring_forward_day(harbor: Policy) -> None:
    before = harbor.on_call(datetime(2026, 3, 8, 6, 59, tzinfo=NY))
    after = harbor.on_call(datetime(2026, 3, 8, 7, 0, tzinfo=NY))
    assert before.primary.id == "kim" and after.primary.id == "ortiz"  # day 6 and day 7


def test_explicit_shift_beats_the_rotation(example: Policy) -> None:
    christmas = example.on_call(datetime(2026, 12, 25, 3, 0, tzinfo=CHI))
    assert christmas.primary.id == "okafor" and christmas.source == "shift"
    assert christmas.until == datetime(2026, 12, 26, 8, 0, tzinfo=CHI)
    # reyes has the rotation that week, and hands over to the shift at its start
    before = example.on_call(datetime(2026, 12, 24, 11, 0, tzinfo=CHI))
    assert before.primary.id == "reyes"
    assert before.until == datetime(2026, 12, 24, 12, 0, tzinfo=CHI)


def test_on_call_person_by_sender_number(example: Policy) -> None:
    person = example.on_call_person("+15555550143")
    assert person is not None and person.name == "Dr. Ben Okafor"
    assert example.on_call_person("+15555550177") is None
