"""A clinic's nights, by its own hours in its own time zone (for the night report).

The night of day D runs from the clinic's last closing on D to its first opening on D+1. A day
the clinic is closed all day (Sunday, a holiday, an after-hours-only line) starts its night at
the policy's `callbacks.morning` (08:00 by default), and a night that runs into such a day ends
there. So consecutive nights never overlap, and every closed hour belongs to exactly one night.
A policy without hours (built in memory) uses 18:00-08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from config.policy import Policy

EVENING, MORNING = time(18), time(8)


def _at(policy: Policy, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=policy.tz).astimezone(UTC)


def _starts(policy: Policy, day: date) -> datetime:
    """When the night of `day` begins: the day's last closing, else its morning."""
    if policy.schedule is None:
        return _at(policy, day, EVENING)
    ends = [end for _, end in policy.schedule.intervals(day, 1)]
    return max(ends) if ends else _at(policy, day, policy.morning)


def _ends(policy: Policy, day: date) -> datetime:
    """When the night before `day` ends: the day's first opening, else its morning."""
    if policy.schedule is None:
        return _at(policy, day, MORNING)
    begins = [begin for begin, _ in policy.schedule.intervals(day, 1)]
    return min(begins) if begins else _at(policy, day, policy.morning)


def night(policy: Policy, day: date) -> tuple[datetime, datetime]:
    """The night of `day` as UTC instants [start, end)."""
    start = _starts(policy, day)
    return start, max(start, _ends(policy, day + timedelta(days=1)))


def nights(policy: Policy, first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of the night of `first` to the end of the night of `last`."""
    if last < first:
        first, last = last, first
    return night(policy, first)[0], night(policy, last)[1]


def last_night(policy: Policy, now: datetime) -> date:
    """The night that began most recently: last night in the morning, tonight after closing."""
    today = policy.local(now).date()
    return today if night(policy, today)[0] <= now else today - timedelta(days=1)
