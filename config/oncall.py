"""Who is on call: one number, a weekly or daily rotation with a handover time, explicit shifts."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.hours import DAYS, as_date
from config.phones import read_phone
from config.yamldoc import Doc, Path_, suggest

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
    backup: Person | None = None  # this shift's own backup, before on_call.backup


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
    """Who is paged when, and who is paged next when they do not answer.

    The backup of a page is the first of these that is not the primary (by phone number): the
    shift's own `backup`, `on_call.backup`, whoever the rotation (or `on_call.phone`) has on call
    at that time (for a shift), the next in turn, and last `fallback` (`clinic.manager_phone`).
    """

    people: dict[str, Person]
    default: Person | None
    rotation: Rotation | None
    shifts: tuple[Shift, ...]
    backup: Person | None
    fallback: Person | None = None

    def _regular(self, at: datetime, tz: ZoneInfo) -> tuple[Person, Person | None, datetime | None]:
        """Who the rotation (or `on_call.phone`) has on call at `at`, next in turn, until when."""
        if self.rotation is not None:
            return self.rotation.at(at.astimezone(tz), tz)
        assert self.default is not None
        return self.default, None, None

    def _backup(self, primary: Person, *candidates: Person | None) -> Person | None:
        for person in (*candidates, self.fallback):
            if person is not None and person.phone != primary.phone:
                return person
        return None

    def on_call(self, at: datetime, tz: ZoneInfo) -> OnCall:
        at = at.astimezone(UTC)
        regular, nxt, until = self._regular(at, tz)
        for shift in self.shifts:
            if shift.start <= at < shift.end:
                backup = self._backup(shift.person, shift.backup, self.backup, regular, nxt)
                return OnCall(shift.person, backup, shift.end.astimezone(tz), "shift")
        backup = self._backup(regular, self.backup, nxt)
        later = [s.start for s in self.shifts if at < s.start]
        ends = [until.astimezone(UTC)] if until is not None else []
        end = min([*ends, *later], default=None)
        source = "rotation" if self.rotation is not None else "single"
        return OnCall(regular, backup, end and end.astimezone(tz), source)

    def find(self, phone: str) -> Person | None:
        """The on-call person (of any shift or rotation, or a backup) with this number, if any."""
        everyone = [
            *self.people.values(),
            *([self.default] if self.default else []),
            *(p for s in self.shifts for p in (s.person, s.backup) if p is not None),
            *([self.backup] if self.backup else []),
            *([self.fallback] if self.fallback else []),
        ]
        return next((p for p in everyone if p.phone == phone), None)

    def uncovered(self, tz: ZoneInfo) -> list[tuple[Path_, Person]]:
        """Who would have nobody to escalate to, and where (the key under on_call): every turn
        of the rotation, and every shift at each handover of the rotation inside it."""
        out: list[tuple[Path_, Person]] = []
        if self.rotation is not None:
            for i, person in enumerate(self.rotation.order):
                after = self.rotation.order[(i + 1) % len(self.rotation.order)]
                if self._backup(person, self.backup, after) is None:
                    out.append((("rotation", "order", i), person))
        elif self.default is not None and self._backup(self.default, self.backup) is None:
            out.append((("phone",), self.default))
        for i, shift in enumerate(self.shifts):
            moments = [shift.start]
            if self.rotation is not None:  # the rotation may hand over during the shift
                local = shift.start.astimezone(tz)
                for _ in range(60):
                    _, _, local = self.rotation.at(local, tz)
                    if local.astimezone(UTC) >= shift.end:
                        break
                    moments.append(local.astimezone(UTC))
            for moment in moments:
                regular, nxt, _ = self._regular(moment, tz)
                if self._backup(shift.person, shift.backup, self.backup, regular, nxt) is None:
                    out.append((("shifts", i), shift.person))
                    break
        return out


def _person(doc: Doc, path: Path_, raw: Any, pid: str, *, keys: bool = True) -> Person | None:
    if not isinstance(raw, dict):
        doc.problem(path, "must be a mapping", 'write `{name: "Dr. Ana Reyes", phone: "+1…"}`')
        return None
    if keys:
        doc.known_keys(path, {"id", "name", "phone"})
    phone = read_phone(doc, (*path, "phone"), raw.get("phone"))  # E.164, national in region
    if phone is None:
        return None
    return Person(id=str(raw.get("id") or pid), name=str(raw.get("name") or pid), phone=phone)


def read_on_call(doc: Doc, tz: ZoneInfo, *, manager: str | None = None) -> OnCallPlan:
    """The on-call plan; `manager` (clinic.manager_phone) backs up whoever nobody else can."""
    base: Path_ = ("on_call",)
    doc.known_keys(
        base, {"phone", "name", "people", "rotation", "shifts", "backup", "callback_pin"}
    )
    people: dict[str, Person] = {}
    raw_people = doc.get((*base, "people"), {})
    if isinstance(raw_people, list):
        raw_people = {
            (str(p.get("id") or i) if isinstance(p, dict) else str(i)): p
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
        near = suggest(str(value), people, "")
        doc.problem(
            path,
            f"{value!r} is not one of on_call.people",
            "use an id from on_call.people: "
            + (", ".join(people) or "(none defined)")
            + ("; " + near.split(" (")[0] if near.startswith("did you mean") else ""),
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
    plan = OnCallPlan(people, default, rotation, tuple(shifts), backup)
    if doc.problems or (default is None and rotation is None):
        return plan
    return _escalation(doc, plan, tz, manager)


def _escalation(doc: Doc, plan: OnCallPlan, tz: ZoneInfo, manager: str | None) -> OnCallPlan:
    """Every page has someone to escalate to, or the file says what happens instead.

    A named backup that leaves someone uncovered (it is that person) is a problem; otherwise
    clinic.manager_phone covers the gaps, and a note says so (or that nobody is paged then).
    """
    gaps = plan.uncovered(tz)
    if not gaps:
        return plan
    named = plan.backup is not None or any(s.backup for s in plan.shifts)
    fallback = Person("manager", "the clinic manager", manager) if manager else None
    covered = replace(plan, fallback=fallback)
    for where, person in gaps:
        who = f"{person.name} (…{person.phone[-4:]})"
        path: Path_ = ("on_call", *where)
        if fallback is not None and fallback.phone != person.phone:
            doc.note(
                path,
                f"if {who} does not answer a page, the clinic manager (clinic.manager_phone "
                f"…{fallback.phone[-4:]}) is paged: nobody else is on call then",
            )
        elif named:
            doc.problem(
                path,
                f"leaves {who} with nobody to page when they do not answer (the backup is "
                "the same person)",
                "name a different `backup:` (on_call.backup, or `backup:` in the shift), "
                "or set clinic.manager_phone",
            )
        else:
            doc.note(
                path,
                f"nobody backs up {who}: when they do not answer a page, nobody else is paged "
                "(the ticket records escalation_failed); add on_call.backup or "
                "clinic.manager_phone to page someone then",
            )
    return covered


def _rotation(doc: Doc, path: Path_, ref: Any) -> Rotation | None:
    raw = doc.get(path)
    if raw is None:
        return None
    doc.known_keys(path, {"order", "every", "handover", "start"})
    raw_order = doc.get((*path, "order"), [])
    if not isinstance(raw_order, list):
        doc.problem((*path, "order"), "must be a list", "write `order: [ana, ben]` (ids of people)")
        raw_order = []
    order = [ref((*path, "order", i), v) for i, v in enumerate(raw_order)]
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
    doc.known_keys(path, {"person", "from", "to", "backup"})
    person = ref((*path, "person"), raw.get("person"))
    backup = ref((*path, "backup"), raw["backup"]) if raw.get("backup") is not None else None
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
        ends.append((when.replace(tzinfo=tz) if when.tzinfo is None else when).astimezone(UTC))
    if ends[1] <= ends[0]:
        doc.problem((*path, "to"), "is not after `from`", "swap them or fix the dates")
        return None
    return Shift(person, ends[0], ends[1], backup) if person else None
