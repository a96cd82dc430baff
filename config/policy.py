"""The clinic's on-call policy: loaded from YAML, validated, queried by the voice and SMS lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PolicyError(ValueError):
    """A policy file is broken; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class ER:
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class Policy:
    """One clinic's policy. Times passed in may be aware (any zone) or naive UTC."""

    clinic_id: str
    name: str
    phone: str
    timezone: str
    hours: dict[str, tuple[time, time]]
    er: ER
    on_call_phone: str
    front_desk: str | None = None
    source: str = "<memory>"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        """The clinic's wall clock at `at`."""
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo("UTC"))
        return at.astimezone(self.tz)

    def is_open(self, at: datetime) -> bool:
        local = self.local(at)
        span = self.hours.get(DAYS[local.weekday()])
        return bool(span and span[0] <= local.time() < span[1])

    def next_open(self, at: datetime) -> datetime:
        """The next opening time (aware, clinic zone) strictly after `at` when closed now."""
        local = self.local(at)
        for offset in range(0, 15):
            day: date = (local + timedelta(days=offset)).date()
            span = self.hours.get(DAYS[day.weekday()])
            if not span:
                continue
            opening = datetime.combine(day, span[0], tzinfo=self.tz)
            if opening > local:
                return opening
        raise PolicyError(f"{self.source}: clinic.hours has no opening in the next two weeks")

    def callback_due(self, disposition: str, at: datetime) -> datetime:
        """When the clinic promises to call back, for a ticket filed at `at`."""
        opening = at if self.is_open(at) else self.next_open(at)
        opening = self.local(opening)
        if disposition in ("emergency", "urgent"):
            return opening + timedelta(minutes=30)
        return opening.replace(hour=12, minute=0) if opening.hour < 12 else opening + timedelta(
            hours=2
        )


def _span(value: Any, where: str) -> tuple[time, time]:
    try:
        start, end = str(value).split("-")
        return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        raise PolicyError(f'{where}: "{value}" is not "HH:MM-HH:MM" (e.g. "08:00-18:00")') from None


def _need(data: dict[str, Any], dotted: str, source: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node or node[part] in (None, ""):
            raise PolicyError(f"{source}: missing required key `{dotted}`")
        node = node[part]
    return node


def parse_policy(data: Any, *, source: str = "<memory>") -> Policy:
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: the file must be a YAML mapping with clinic:, er:, on_call:")
    tzname = str(_need(data, "clinic.timezone", source))
    try:
        ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            f"{source}: clinic.timezone {tzname!r} is not an IANA zone (e.g. America/Chicago)"
        ) from None
    hours_raw = _need(data, "clinic.hours", source)
    if not isinstance(hours_raw, dict):
        raise PolicyError(f"{source}: clinic.hours must map weekdays (mon..sun) to HH:MM-HH:MM")
    hours: dict[str, tuple[time, time]] = {}
    for day, value in hours_raw.items():
        key = str(day).lower()[:3]
        if key not in DAYS:
            raise PolicyError(f"{source}: clinic.hours.{day} is not a weekday (mon..sun)")
        hours[key] = _span(value, f"{source}: clinic.hours.{day}")
    name = str(_need(data, "clinic.name", source))
    return Policy(
        clinic_id=str(data["clinic"].get("id") or Path(source).stem),
        name=name,
        phone=str(_need(data, "clinic.phone", source)),
        timezone=tzname,
        hours=hours,
        er=ER(
            name=str(_need(data, "er.name", source)),
            phone=str(_need(data, "er.phone", source)),
            address=str(_need(data, "er.address", source)),
        ),
        on_call_phone=str(_need(data, "on_call.phone", source)),
        front_desk=data["clinic"].get("front_desk"),
        source=source,
        raw=data,
    )


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise PolicyError(f"{path}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_policy(data, source=str(path))


class Policies:
    """Every clinic of one deployment, looked up by the number that was called."""

    def __init__(self, policies: list[Policy]):
        if not policies:
            raise PolicyError("no clinic policy files found")
        self.all = policies
        self._by_number = {p.phone: p for p in policies}
        self._by_id = {p.clinic_id: p for p in policies}

    def for_number(self, number: str | None) -> Policy | None:
        if number is None:
            return None
        return self._by_number.get(number)

    def by_id(self, clinic_id: str) -> Policy | None:
        return self._by_id.get(clinic_id)

    @property
    def default(self) -> Policy:
        return self.all[0]

    @classmethod
    def load(cls, path: Path) -> Policies:
        files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
        return cls([load_policy(f) for f in files])
