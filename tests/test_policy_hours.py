"""Opening hours: DST days, holidays, closures, special days and spans past midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.policy import Policy, parse_policy

CHI = ZoneInfo("America/Chicago")
NY = ZoneInfo("America/New_York")

SUNDAY_CLINIC = """
clinic:
  name: Sunday Night Clinic
  phone: "+15555550300"
  timezone: America/Chicago
  hours:
    sat: "22:00-03:30"
    sun: "08:00-12:00"
    mon: "08:00-18:00"
er: {name: City ER, phone: "+15555550399", address: "1 Main St"}
on_call: {phone: "+15555550342"}
"""


@pytest.fixture(scope="module")
def sunday() -> Policy:
    return parse_policy(SUNDAY_CLINIC, source="sunday.yaml")


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_spring_forward_night_is_one_hour_shorter(sunday: Policy) -> None:
    # 2026-03-08: 02:00 CST jumps to 03:00 CDT. Sat 22:00 CST (04:00Z) .. Sun 03:30 CDT (08:30Z).
    assert not sunday.is_open(utc(2026, 3, 8, 3, 59))
    assert sunday.is_open(utc(2026, 3, 8, 4, 0))
    assert sunday.is_open(utc(2026, 3, 8, 8, 29))
    assert not sunday.is_open(utc(2026, 3, 8, 8, 30))
    # Sunday opens at 08:00 CDT = 13:00Z (it was 14:00Z the week before)
    assert sunday.next_open(utc(2026, 3, 8, 9, 0)) == datetime(2026, 3, 8, 8, 0, tzinfo=CHI)
    assert sunday.next_open(utc(2026, 3, 8, 9, 0)) == utc(2026, 3, 8, 13, 0)  # same instant
    assert sunday.next_open(utc(2026, 3, 1, 9, 0)) == utc(2026, 3, 1, 14, 0)


def test_spring_forward_deadline_is_wall_clock(example: Policy) -> None:
    filed = datetime(2026, 3, 7, 20, 0, tzinfo=CHI)  # Saturday evening, CST
    due = example.callback_due("urgent", filed)
    assert due == datetime(2026, 3, 9, 8, 30, tzinfo=CHI)
    assert due.utcoffset() == timedelta(hours=-5)
    assert due.astimezone(UTC) == utc(2026, 3, 9, 13, 30)


def test_fall_back_night_is_one_hour_longer(sunday: Policy) -> None:
    # 2026-11-01: 02:00 CDT falls back to 01:00 CST. Sat 22:00 CDT (03:00Z) .. 03:30 CST (09:30Z)
    assert sunday.is_open(utc(2026, 11, 1, 3, 0))
    assert sunday.is_open(utc(2026, 11, 1, 6, 30))  # 01:30 CDT, the first 01:30
    assert sunday.is_open(utc(2026, 11, 1, 7, 30))  # 01:30 CST, the second 01:30
    assert sunday.is_open(utc(2026, 11, 1, 9, 29))
    assert not sunday.is_open(utc(2026, 11, 1, 9, 30))
    assert sunday.closes_at(utc(2026, 11, 1, 6, 30)) == datetime(2026, 11, 1, 3, 30, tzinfo=CHI)


def test_fall_back_deadline_and_night_start(example: Policy) -> None:
    filed = datetime(2026, 10, 31, 20, 0, tzinfo=CHI)  # Saturday evening, CDT
    due = example.callback_due("routine", filed)
    assert due.astimezone(UTC) == utc(2026, 11, 2, 18, 0)  # Monday 12:00 CST
    assert example.night_start(utc(2026, 11, 1, 12, 0)) == datetime(2026, 10, 31, 13, 0, tzinfo=CHI)


def test_holiday_from_the_package_closes_the_clinic(example: Policy) -> None:
    thanksgiving = datetime(2026, 11, 26, 10, 0, tzinfo=CHI)  # a Thursday
    assert not example.is_open(thanksgiving)
    assert example.closed_reason(thanksgiving) == "public holiday: Thanksgiving Day"
    assert example.next_open(thanksgiving) == datetime(2026, 11, 27, 8, 0, tzinfo=CHI)
    assert example.callback_due("urgent", thanksgiving) == datetime(2026, 11, 27, 8, 30, tzinfo=CHI)


def test_holiday_the_clinic_works_is_open(example: Policy) -> None:
    veterans_day = datetime(2026, 11, 11, 10, 0, tzinfo=CHI)  # open_on: Veterans
    assert example.is_open(veterans_day)
    assert example.closed_reason(veterans_day) is None


def test_custom_closure_and_special_hours(example: Policy) -> None:
    training = datetime(2027, 2, 5, 10, 0, tzinfo=CHI)  # a Friday, closed: staff training
    assert not example.is_open(training)
    assert example.closed_reason(training) == "closed today (clinic closure)"
    assert example.next_open(training) == datetime(2027, 2, 6, 9, 0, tzinfo=CHI)
    eve = datetime(2026, 12, 24, 11, 59, tzinfo=CHI)  # Thursday, special hours 08:00-12:00
    assert example.is_open(eve)
    assert not example.is_open(eve.replace(hour=12, minute=0))
    # Christmas Day is a holiday, the 26th a Saturday: next opening Sat 09:00
    assert example.next_open(eve.replace(hour=13)) == datetime(2026, 12, 26, 9, 0, tzinfo=CHI)


def test_hours_across_midnight(harbor: Policy) -> None:
    # Friday "18:00-02:00": open into Saturday morning; Saturday "22:00-02:00" into Sunday.
    assert harbor.is_open(datetime(2026, 11, 20, 23, 0, tzinfo=NY))
    assert harbor.is_open(datetime(2026, 11, 21, 1, 59, tzinfo=NY))
    assert not harbor.is_open(datetime(2026, 11, 21, 2, 0, tzinfo=NY))
    assert harbor.next_open(datetime(2026, 11, 21, 2, 0, tzinfo=NY)) == datetime(
        2026, 11, 21, 22, 0, tzinfo=NY
    )
    assert harbor.is_open(datetime(2026, 11, 22, 0, 30, tzinfo=NY))  # Sunday, from Saturday
    assert not harbor.is_open(datetime(2026, 11, 22, 10, 0, tzinfo=NY))  # Sunday: closed


def test_several_spans_a_day(harbor: Policy) -> None:
    monday = datetime(2026, 11, 23, 13, 30, tzinfo=NY)  # lunch break 13:00-14:00
    assert harbor.is_open(monday.replace(hour=12))
    assert not harbor.is_open(monday)
    assert harbor.next_open(monday) == datetime(2026, 11, 23, 14, 0, tzinfo=NY)


def test_naive_times_are_utc(example: Policy) -> None:
    assert example.local(datetime(2026, 11, 23, 14, 0)) == datetime(2026, 11, 23, 8, 0, tzinfo=CHI)
    assert example.is_open(datetime(2026, 11, 23, 14, 0))


@pytest.mark.parametrize(
    ("disposition", "filed", "due"),
    [
        ("emergency", datetime(2026, 11, 23, 23, 0), datetime(2026, 11, 24, 8, 30)),
        ("urgent", datetime(2026, 11, 23, 23, 0), datetime(2026, 11, 24, 8, 30)),
        ("routine", datetime(2026, 11, 23, 23, 0), datetime(2026, 11, 24, 12, 0)),
        ("routine", datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 24, 12, 0)),  # open now
        ("routine", datetime(2026, 11, 24, 15, 0), datetime(2026, 11, 25, 12, 0)),  # after noon
        ("urgent", datetime(2026, 11, 24, 15, 0), datetime(2026, 11, 24, 15, 30)),  # open now
        ("routine", datetime(2026, 11, 20, 19, 0), datetime(2026, 11, 21, 12, 0)),  # Saturday
    ],
)
def test_callback_deadlines(
    example: Policy, disposition: str, filed: datetime, due: datetime
) -> None:
    got = example.callback_due(disposition, filed.replace(tzinfo=CHI))
    assert got == due.replace(tzinfo=CHI)


def test_routine_deadline_when_the_day_starts_after_noon(harbor: Policy) -> None:
    thursday_late = datetime(2026, 11, 19, 23, 0, tzinfo=NY)  # next opening: Friday 18:00
    assert harbor.callback_due("routine", thursday_late) == datetime(2026, 11, 20, 20, 0, tzinfo=NY)
