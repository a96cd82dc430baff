"""What the policy page shows of a clinic at a moment: open or closed, who is on call now and
who takes over next, the backup, the coming holidays and special days, the callback deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.policy import DAYS, OnCall, Policy
from tickets.models import DISPOSITIONS

HORIZON_DAYS = 365  # holidays and special days listed this far ahead


@dataclass(frozen=True)
class Day:
    day: date
    name: str  # the holiday's name, or the special day's hours ("08:00-12:00", "closed")


@dataclass(frozen=True)
class DeadlineRow:
    disposition: str
    rule: str  # as written in the policy file ("30 min after opening")
    due_now: datetime | None  # a ticket filed now would be due then (clinic zone)


@dataclass(frozen=True)
class Overview:
    policy: Policy
    at: datetime  # clinic zone
    open_now: bool
    closed_reason: str | None
    weekly: list[tuple[str, str]]  # (day, "08:00-18:00" / "08:00-12:00, 13:00-18:00" / closed)
    on_call: OnCall
    next_on_call: OnCall | None  # who takes over at on_call.until
    holidays: list[Day]  # public holidays that close the clinic
    worked_holidays: list[Day]  # public holidays the clinic works anyway (clinic.holidays.open_on)
    special_days: list[Day]
    deadlines: list[DeadlineRow]


def overview(policy: Policy, now: datetime) -> Overview:
    """The policy page's view of one clinic at `now` (aware)."""
    at = policy.local(now)
    on_call = policy.on_call(now)
    nxt = policy.on_call(on_call.until) if on_call.until is not None else None
    weekly: list[tuple[str, str]] = []
    holidays: list[Day] = []
    worked: list[Day] = []
    special: list[Day] = []
    hours = policy.schedule
    if hours is not None:
        for name in DAYS:
            spans = hours.weekly.get(name, ())
            weekly.append((name, ", ".join(str(s) for s in spans) or "closed"))
        for offset in range(HORIZON_DAYS):
            day = at.date() + timedelta(days=offset)
            raw = hours.holidays.get(day) if hours.holidays is not None else None
            if not raw:
                continue
            closing = hours.holiday(day)
            (holidays if closing else worked).append(Day(day, closing or str(raw)))
        for day, spans in sorted(hours.special.items()):
            if day >= at.date():
                special.append(Day(day, ", ".join(str(s) for s in spans) or "closed"))
    else:
        weekly = [(name, f"{a:%H:%M}-{b:%H:%M}") for name, (a, b) in policy.hours.items()]
    deadlines = []
    for disposition in reversed(DISPOSITIONS):
        rule = policy.deadlines.get(disposition) or policy.deadlines["routine"]
        deadlines.append(DeadlineRow(disposition, rule.text, policy.callback_due(disposition, now)))
    return Overview(
        policy=policy,
        at=at,
        open_now=policy.is_open(now),
        closed_reason=policy.closed_reason(now),
        weekly=weekly,
        on_call=on_call,
        next_on_call=nxt,
        holidays=holidays,
        worked_holidays=worked,
        special_days=special,
        deadlines=deadlines,
    )
