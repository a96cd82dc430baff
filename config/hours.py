"""Opening hours: weekly spans (which may run past midnight), holidays, closures, special days.

All arithmetic is on wall-clock dates in the clinic's zone, turned into UTC instants only at the
end, so spring-forward and fall-back days come out right.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.yamldoc import Doc, Path_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
CLOSED = ("closed", "none", "")


@dataclass(frozen=True)
class Span:
    """Open from `start` to `end` on the wall clock; `overnight` when `end` is the next day."""

    start: time
    end: time
    overnight: bool

    def instants(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The span as UTC instants when it starts on `day`."""
        begin = datetime.combine(day, self.start, tzinfo=tz)
        finish = datetime.combine(day + timedelta(days=int(self.overnight)), self.end, tzinfo=tz)
        return begin.astimezone(UTC), finish.astimezone(UTC)

    def __str__(self) -> str:
        end = "24:00" if self.overnight and self.end == time(0) else self.end.strftime("%H:%M")
        return f"{self.start:%H:%M}-{end}"


def parse_span(text: str) -> Span | None:
    m = _SPAN.match(text)
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        return None
    start, end = time(h1, m1), time(h2 % 24, m2)
    overnight = h2 == 24 or (h2, m2) <= (h1, m1)
    return Span(start, end, overnight)


def read_spans(doc: Doc, path: Path_, value: Any) -> tuple[Span, ...]:
    """`"08:00-18:00"`, a list of such spans, or `closed`; problems go to `doc`."""
    if value is None or value is False or (isinstance(value, str) and value.lower() in CLOSED):
        return ()
    items = value if isinstance(value, list) else [value]
    spans: list[Span] = []
    for i, item in enumerate(items):
        where = (*path, i) if isinstance(value, list) else path
        span = parse_span(str(item)) if isinstance(item, str) else None
        if span is None:
            doc.problem(
                where,
                f"{item!r} is not opening hours",
                'write "HH:MM-HH:MM" in quotes (e.g. "08:00-18:00", "22:00-02:00" past '
                'midnight), a list of them, or "closed"',
            )
            continue
        spans.append(span)
    return tuple(spans)


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Hours:
    """When the clinic is open, in its own zone."""

    tz: ZoneInfo
    weekly: dict[str, tuple[Span, ...]]
    special: dict[date, tuple[Span, ...]] = field(default_factory=dict)  # () = closed all day
    holidays: Any = None  # a holidays.HolidayBase, or None
    open_on: tuple[str, ...] = ()  # holiday names the clinic works anyway

    @property
    def never_open(self) -> bool:
        """No weekly hours and no special day with hours: the line is after hours all the time."""
        return not any(self.weekly.values()) and not any(self.special.values())

    def holiday(self, day: date) -> str | None:
        """The name of the public holiday that closes the clinic on `day`, if any."""
        if self.holidays is None:
            return None
        name = self.holidays.get(day)
        if not name:
            return None
        if any(keep.lower() in name.lower() for keep in self.open_on):
            return None
        return str(name)

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The spans that start on `day` (special day > holiday > weekly)."""
        if day in self.special:
            return self.special[day]
        if self.holiday(day):
            return ()
        return self.weekly.get(DAYS[day.weekday()], ())

    def intervals(self, start_day: date, days: int) -> Iterator[tuple[datetime, datetime]]:
        for offset in range(days):
            day = start_day + timedelta(days=offset)
            for span in self.spans_on(day):
                yield span.instants(day, self.tz)

    def current(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The open interval containing `at` (UTC instants), or None when closed."""
        day = at.astimezone(self.tz).date()
        for begin, end in self.intervals(day - timedelta(days=1), 2):
            if begin <= at < end:
                return begin, end
        return None

    def next_open(self, at: datetime, *, horizon: int = 400) -> datetime | None:
        """The first opening strictly after `at`, in the clinic zone."""
        if self.never_open:
            return None
        day = at.astimezone(self.tz).date()
        for begin, _ in self.intervals(day - timedelta(days=1), horizon):
            if begin > at:
                return begin.astimezone(self.tz)
        return None

    def last_close(self, at: datetime, *, horizon: int = 400) -> datetime | None:
        """The end of the last open interval that ended at or before `at`."""
        if self.never_open:
            return None
        day = at.astimezone(self.tz).date()
        for offset in range(horizon):
            d = day - timedelta(days=offset)
            ends = [end for _, end in self.intervals(d, 1) if end <= at]
            if ends:
                return max(ends).astimezone(self.tz)
        return None
