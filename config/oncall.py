"""Who is on call: one number, a weekly or daily rotation with a handover time, explicit shifts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.hours import DAYS, as_date
from config.yamldoc import Doc, Path_

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_HANDOVER = re.compile(r"^\s*(?:(mon|tue|wed|thu|fri|sat|sun)\w*\s+)?(\d{1,2}):(\d{2})\s*$", re.I)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    phone: str  # personal number: paged, never read or sent to a caller


@dataclass(frozen=True)
class OnCall:
    primary: Person
    backup: Person | None
    until: datetime | None  # the next handover (clinic zone), None when it never changes
    source: str  # "single" | "rotation" | "shift"


@dataclass(frozen=True)
class Shift:
    person: Person
    start: datetime  # UTC
    end: datetime  # UTC


@dataclass(frozen=True)
class Rotation:
    """`order[i]` is on call in the i-th period after `anchor` (a handover instant, wall clock)."""

    order: tuple[Person, ...]
    every_days: int  # 7 (weekly) or 1 (daily)
    handover_day: int | None  # weekday of the weekly handover
    handover: time
    anchor: date

    def period_start(self, local: datetime) -> date:
        """The date of the last handover at or before `local` (wall clock)."""
        day = local.date()
        if self.handover_day is not None:
            day -= timedelta(days=(day.weekday() - self.handover_day) % 7)
        if datetime.combine(day, self.handover) > local.replace(tzinfo=None):
            day -= timedelta(days=self.every_days)
        return day

    def at(self, local: datetime, tz: ZoneInfo) -> tuple[Person, Person | None, datetime]:
        start = self.period_start(local)
        n = (start - self.anchor).days // self.every_days
        primary = self.order[n % len(self.order)]
        nxt = self.order[(n + 1) % len(self.order)] if len(self.order) > 1 else None
        until = datetime.combine(start + timedelta(days=self.every_days), self.handover, tzinfo=tz)
        return primary, nxt, until


@dataclass(frozen=True)
class OnCallPlan:
    people: dict[str, Person]
    default: Person | None
    rotation: Rotation | None
    shifts: tuple[Shift, ...]
    backup: Person | None

    def on_call(self, at: datetime, tz: ZoneInfo) -> OnCall:
        at = at.astimezone(UTC)
        for shift in self.shifts:
            if shift.start <= at < shift.end:
                backup = self.backup if self.backup != shift.person else None
                return OnCall(shift.person, backup, shift.end.astimezone(tz), "shift")
        if self.rotation is not None:
            primary, nxt, until = self.rotation.at(at.astimezone(tz), tz)
            backup = self.backup if self.backup is not None else nxt
            if backup == primary:
                backup = nxt if nxt != primary else None
            until_utc = until.astimezone(UTC)
            later = [s.start for s in self.shifts if at < s.start < until_utc]
            end = min([until_utc, *later]).astimezone(tz)
            return OnCall(primary, backup, end, "rotation")
        assert self.default is not None
        backup = self.backup if self.backup != self.default else None
        nxt_shift = min((s.start for s in self.shifts if s.start > at), default=None)
        return OnCall(self.default, backup, nxt_shift and nxt_shift.astimezone(tz), "single")

    def find(self, phone: str) -> Person | None:
        """The on-call person (of any shift or rotation) with this number, if any."""
        for person in self.people.values():
            if person.phone == phone:
                return person
        return None


def _person(doc: Doc, path: Path_, raw: Any, pid: str, *, keys: bool = True) -> Person | None:
    if not isinstance(raw, dict):
        doc.problem(path, "must be a mapping", 'write `{name: "Dr. Ana Reyes", phone: "+1…"}`')
        return None
    if keys:
        doc.known_keys(path, {"id", "name", "phone"})
    phone = str(raw.get("phone") or "")
    if not E164.match(phone):
        doc.problem(
            (*path, "phone"),
            f"{phone!r} is not an E.164 number" if phone else "phone is missing",
            'write it like "+15555550142" in quotes',
        )
        return None
    return Person(id=str(raw.get("id") or pid), name=str(raw.get("name") or pid), phone=phone)


def read_on_call(doc: Doc, tz: ZoneInfo) -> OnCallPlan:
    base: Path_ = ("on_call",)
    doc.known_keys(base, {"phone", "name", "people", "rotation", "shifts", "backup"})
    people: dict[str, Person] = {}
    raw_people = doc.get((*base, "people"), {})
    if isinstance(raw_people, list):
        raw_people = {
            str(p.get("id") or i): p if isinstance(p, dict) else {}
            for i, p in enumerate(raw_people)
        }
    if not isinstance(raw_people, dict):
        doc.problem(
            (*base, "people"),
            "must map an id to {name, phone}",
            'write `people: {ana: {name: "Dr. Ana Reyes", phone: "+1…"}}`',
        )
        raw_people = {}
    for pid, raw in raw_people.items():
        person = _person(doc, (*base, "people", pid), raw, pid)
        if person:
            people[pid] = person

    def ref(path: Path_, value: Any) -> Person | None:
        if isinstance(value, dict):
            return _person(doc, path, value, str(value.get("id") or "backup"))
        if str(value) in people:
            return people[str(value)]
        doc.problem(
            path,
            f"{value!r} is not one of on_call.people",
            "use an id from on_call.people: " + (", ".join(people) or "(none defined)"),
        )
        return None

    default: Person | None = None
    phone = doc.get((*base, "phone"))
    if phone is not None:
        name = doc.get((*base, "name")) or "the on-call vet"
        default = _person(doc, base, {"phone": phone, "name": name}, "on-call", keys=False)
    rotation = _rotation(doc, (*base, "rotation"), ref)
    shifts: list[Shift] = []
    for i, raw in enumerate(doc.get((*base, "shifts"), []) or []):
        shift = _shift(doc, (*base, "shifts", i), raw, ref, tz)
        if shift:
            shifts.append(shift)
    if default is None and rotation is None and doc.get(base) is not None and phone is None:
        if people:
            default = next(iter(people.values()))
        else:
            doc.problem(
                base,
                "names nobody to page",
                'add `phone: "+1…"` (one person always on call) or people + rotation',
            )
    backup_raw = doc.get((*base, "backup"))
    backup = ref((*base, "backup"), backup_raw) if backup_raw is not None else None
    return OnCallPlan(people, default, rotation, tuple(shifts), backup)


def _rotation(doc: Doc, path: Path_, ref: Any) -> Rotation | None:
    raw = doc.get(path)
    if raw is None:
        return None
    doc.known_keys(path, {"order", "every", "handover", "start"})
    order = [ref((*path, "order", i), v) for i, v in enumerate(doc.get((*path, "order"), []))]
    every = str(doc.get((*path, "every"), "week")).lower()
    if every not in ("week", "day"):
        doc.problem((*path, "every"), f"{every!r} is not a rotation period", "write week or day")
    m = _HANDOVER.match(str(doc.get((*path, "handover"), "mon 08:00")))
    if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        doc.problem(
            (*path, "handover"),
            "is not a handover time",
            'write "mon 08:00" (weekly) or "08:00" (daily), in quotes',
        )
        return None
    start = as_date(doc.get((*path, "start"), "2026-01-05"))
    if start is None:
        doc.problem((*path, "start"), "is not a date", "write YYYY-MM-DD, e.g. 2026-01-05")
        return None
    if not order or None in order:
        if not order:
            doc.problem((*path, "order"), "is empty", "list the ids of on_call.people in turn")
        return None
    day = DAYS.index(m.group(1).lower()[:3]) if m.group(1) else None
    if every == "week" and day is None:
        day = start.weekday()
    anchor = start
    if day is not None:
        anchor = start - timedelta(days=(start.weekday() - day) % 7)
    return Rotation(
        tuple(order),
        7 if every == "week" else 1,
        day if every == "week" else None,
        time(int(m.group(2)), int(m.group(3))),
        anchor,
    )


def _shift(doc: Doc, path: Path_, raw: Any, ref: Any, tz: ZoneInfo) -> Shift | None:
    if not isinstance(raw, dict):
        doc.problem(
            path,
            "must be a mapping",
            'write `{person: ana, from: "2026-12-24 18:00", to: "2026-12-26 08:00"}`',
        )
        return None
    doc.known_keys(path, {"person", "from", "to"})
    person = ref((*path, "person"), raw.get("person"))
    ends: list[datetime] = []
    for key in ("from", "to"):
        value = raw.get(key)
        try:
            when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            doc.problem(
                (*path, key),
                f"{value!r} is not a date and time",
                'write "YYYY-MM-DD HH:MM" (clinic time), in quotes',
            )
            return None
        ends.append(when.replace(tzinfo=tz).astimezone(UTC))
    if ends[1] <= ends[0]:
        doc.problem((*path, "to"), "is not after `from`", "swap them or fix the dates")
        return None
    return Shift(person, ends[0], ends[1]) if person else None
