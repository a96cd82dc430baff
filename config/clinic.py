"""One clinic's policy and the pure questions asked of it: open? who is on call? page? due when?"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.hours import Hours
from config.oncall import OnCall, OnCallPlan, Person
from config.rules import (
    DEFAULT_DEADLINES,
    DEFAULT_MORNING,
    DEFAULT_RULES,
    ClientEntry,
    Deadline,
    PageDecision,
    Rule,
    parse_deadline,
)


@dataclass(frozen=True)
class ER:
    name: str
    phone: str
    address: str
    maps_url: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PoisonControl:
    name: str
    phone: str
    note: str | None = None


ASPCA_APCC = PoisonControl(
    "ASPCA Animal Poison Control Center", "+18884264435", "a consultation fee may apply"
)


@dataclass(frozen=True)
class Line:
    greeting: str | None = None  # None: the prompts file's greeting with the clinic's name
    language: str = "en-US"
    voice: str = "Polly.Joanna"


def _default_deadlines() -> dict[str, Deadline]:
    return {k: d for k, v in DEFAULT_DEADLINES.items() if (d := parse_deadline(v)) is not None}


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class Policy:
    """One clinic's policy. Times passed in may be aware (any zone) or naive UTC."""

    clinic_id: str
    name: str
    phone: str
    timezone: str
    hours: dict[str, tuple[time, time]]  # first span of each weekday (older callers)
    er: ER
    on_call_phone: str
    front_desk: str | None = None
    source: str = "<memory>"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    schedule: Hours | None = field(default=None, compare=False, repr=False)
    ers: tuple[ER, ...] = ()
    poison_control: PoisonControl = ASPCA_APCC
    line: Line = Line()
    plan: OnCallPlan | None = field(default=None, compare=False, repr=False)
    rules: tuple[Rule, ...] = DEFAULT_RULES
    clients: dict[str, tuple[ClientEntry, ...]] = field(default_factory=dict, repr=False)
    max_pages_per_night: int = 3
    ack_minutes: int = 15
    deadlines: dict[str, Deadline] = field(default_factory=_default_deadlines)
    manager_phone: str | None = None
    morning: time = DEFAULT_MORNING  # deadlines count from here when the clinic never opens
    region: str = "US"  # clinic.region: national numbers are read and written in it
    callback_pin: str | None = None  # on_call.callback_pin: staff key it before a call-back
    notes: tuple[str, ...] = field(default=(), compare=False, repr=False)  # `config check` prints

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def greeting(self) -> str | None:
        return self.line.greeting

    @property
    def language(self) -> str:
        return self.line.language

    @property
    def voice(self) -> str:
        return self.line.voice

    def local(self, at: datetime) -> datetime:
        """The clinic's wall clock at `at`."""
        return _utc(at).astimezone(self.tz)

    def _hours(self) -> Hours:
        assert self.schedule is not None, "policy built without a schedule"
        return self.schedule

    def is_open(self, at: datetime) -> bool:
        return self._hours().current(_utc(at)) is not None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the current open interval ends (clinic zone), None when closed now."""
        cur = self._hours().current(_utc(at))
        return cur[1].astimezone(self.tz) if cur else None

    def next_open(self, at: datetime) -> datetime | None:
        """The next opening (aware, clinic zone) strictly after `at`; None when the hours have
        none in the next year (an after-hours-only line: `hours: {}` or every day closed)."""
        return self._hours().next_open(_utc(at))

    def next_morning(self, at: datetime) -> datetime:
        """The first `morning` (callbacks.morning, clinic wall clock) strictly after `at`."""
        local = self.local(at)
        day = local.date()
        while (when := datetime.combine(day, self.morning, tzinfo=self.tz)) <= local:
            day += timedelta(days=1)
        return when

    def callbacks_start(self, at: datetime) -> datetime:
        """Where "after opening" and "next open day" deadlines count from: the next opening,
        or for a clinic that never opens, the next `morning`."""
        return self.next_open(at) or self.next_morning(at)

    def closed_reason(self, at: datetime) -> str | None:
        """Why the clinic is closed on this day beyond its weekly hours (holiday, closure)."""
        day = self.local(at).date()
        hours = self._hours()
        if day in hours.special:
            return "special hours" if hours.special[day] else "closed today (clinic closure)"
        name = hours.holiday(day)
        return f"public holiday: {name}" if name else None

    def night_start(self, at: datetime) -> datetime:
        """When the current closed period began (for counting tonight's pages)."""
        if self._hours().never_open:
            return self.next_morning(_utc(at) - timedelta(days=1))
        last = self._hours().last_close(_utc(at))
        return last if last is not None else self.local(_utc(at) - timedelta(hours=24))

    def callback_due(self, disposition: str, at: datetime) -> datetime:
        """When the clinic promises to call back, for a ticket filed at `at` (clinic zone).

        Defined for every time and every policy `config check` accepts: a clinic that never
        opens counts its deadlines from the next `callbacks.morning` (08:00 by default).
        """
        at = _utc(at)
        rule = self.deadlines.get(disposition) or self.deadlines["routine"]
        if rule.from_filing:
            return self.local(at + timedelta(minutes=rule.minutes))
        current = self._hours().current(at)
        if rule.by is None:
            base = at if current else self.callbacks_start(at)
            return self.local(base + timedelta(minutes=rule.minutes))
        if current:
            today = datetime.combine(self.local(at).date(), rule.by, tzinfo=self.tz)
            if today > at:
                return today
            at = current[1]
        opening = self.callbacks_start(at)
        by = datetime.combine(opening.date(), rule.by, tzinfo=self.tz)
        return by if by > opening else self.local(opening + timedelta(hours=2))

    # On call and paging ------------------------------------------------------------------------

    def on_call(self, at: datetime) -> OnCall:
        """Who is paged at `at`, and who is paged if they do not acknowledge."""
        if self.plan is None:
            return OnCall(
                Person("on-call", "the on-call vet", self.on_call_phone), None, None, "single"
            )
        return self.plan.on_call(_utc(at), self.tz)

    def on_call_person(self, phone: str) -> Person | None:
        """The on-call person (or backup) of this clinic with this number, if any."""
        if self.plan is not None:
            return self.plan.find(phone)
        return Person("on-call", "the on-call vet", phone) if phone == self.on_call_phone else None

    def client_lists(self, caller: str | None) -> list[str]:
        return [
            name for name, items in self.clients.items() if any(e.phone == caller for e in items)
        ]

    def _surgery_days(self, caller: str | None, at: datetime) -> int | None:
        today = self.local(at).date()
        days = [
            (today - e.surgery).days
            for items in self.clients.values()
            for e in items
            if e.phone == caller and e.surgery is not None and e.surgery <= today
        ]
        return min(days) if days else None

    def _matches(
        self, rule: Rule, disposition: str, flags: set[str], caller: str | None, at: datetime
    ) -> bool:
        if rule.dispositions and disposition not in rule.dispositions:
            return False
        if not set(rule.flags) <= flags:
            return False
        if rule.any_flags and not flags & set(rule.any_flags):
            return False
        if rule.lists and not set(rule.lists) & set(self.client_lists(caller)):
            return False
        if rule.surgery_within_days is not None:
            days = self._surgery_days(caller, at)
            return days is not None and days <= rule.surgery_within_days
        return True

    def page_decision(
        self,
        disposition: str,
        flags: Collection[str],
        caller: str | None,
        at: datetime,
        pages_tonight: int,
    ) -> PageDecision:
        """Whether to wake the on-call vet, by the first rule that matches, and why."""
        if self.is_open(at):
            return PageDecision(False, "the clinic is open: the front desk takes it")
        for i, rule in enumerate(self.rules):
            if not self._matches(rule, disposition, set(flags), caller, at):
                continue
            why = f"rule {i + 1} ({rule.describe()})"
            if rule.page == "no":
                return PageDecision(False, f"{why} says do not page", i)
            limit = self.max_pages_per_night
            if rule.page == "yes" and pages_tonight >= limit:
                return PageDecision(
                    False,
                    f"{why} would page, but {pages_tonight} of {limit} pages tonight are used",
                    i,
                )
            extra = " (even past the nightly limit)" if rule.page == "always" else ""
            return PageDecision(True, f"{why} says page{extra}", i)
        return PageDecision(False, f"no paging rule matches {disposition}")
