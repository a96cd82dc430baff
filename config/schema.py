"""The policy file schema: reads a Doc into a Policy, collecting every problem with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_pkg

from config.clinic import ASPCA_APCC, ER, Line, PoisonControl, Policy
from config.hours import DAYS, Hours, Span, as_date, read_spans
from config.oncall import read_on_call
from config.phones import read_phone, read_region
from config.rules import read_clients, read_deadlines, read_morning, read_rules
from config.yamldoc import Doc, Path_, PolicyError, suggest

TOP = {"clinic", "er", "poison_control", "on_call", "paging", "clients", "callbacks", "line"}
CLINIC = {
    "id",
    "name",
    "phone",
    "front_desk",
    "manager_phone",
    "region",
    "timezone",
    "hours",
    "holidays",
    "special_days",
}


def _text(doc: Doc, path: Path_, *, required: bool, example: str) -> str | None:
    value = doc.get(path)
    if value is None or value == "":
        if required:
            doc.problem(path, "is missing", f"add `{path[-1]}: {example}` under {path[0]}:")
        return None
    if isinstance(value, dict | list):
        doc.problem(path, "must be a single value", f"write `{path[-1]}: {example}`")
        return None
    return str(value)


def _phone(doc: Doc, path: Path_, *, required: bool) -> str | None:
    value = _text(doc, path, required=required, example='"+15555550100"')
    return None if value is None else read_phone(doc, path, value)  # E.164, national in region


def _zone(doc: Doc) -> ZoneInfo | None:
    name = _text(doc, ("clinic", "timezone"), required=True, example="America/Chicago")
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        doc.problem(
            ("clinic", "timezone"),
            f"{name!r} is not an IANA time zone",
            "use a name like America/Chicago or Europe/London",
        )
        return None


def _hours(doc: Doc, tz: ZoneInfo) -> Hours:
    path: Path_ = ("clinic", "hours")
    raw = doc.get(path)
    weekly: dict[str, tuple[Span, ...]] = {}
    if not isinstance(raw, dict):
        doc.problem(
            path,
            "must map weekdays to opening hours" if raw is not None else "is missing",
            'add `hours:` with lines like `mon: "08:00-18:00"` (days left out are closed)',
        )
        raw = {}
    for day, value in raw.items():
        key = str(day).lower()[:3]
        if key not in DAYS or str(day).lower() not in (key, _full(key)):
            doc.problem((*path, day), "is not a weekday", "use mon, tue, wed, thu, fri, sat, sun")
            continue
        weekly[key] = read_spans(doc, (*path, day), value)
    special: dict[Any, tuple[Span, ...]] = {}
    raw_special = doc.get(("clinic", "special_days"), {})
    for day, value in raw_special.items() if isinstance(raw_special, dict) else []:
        when = as_date(day)
        if when is None:
            doc.problem(
                ("clinic", "special_days", day),
                "is not a date",
                'write YYYY-MM-DD, e.g. 2026-12-24: "08:00-12:00" or 2026-08-14: closed',
            )
            continue
        special[when] = read_spans(doc, ("clinic", "special_days", day), value)
    table, open_on = _holidays(doc)
    return Hours(tz, weekly, special, table, open_on)


def _full(key: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[key]


def _holidays(doc: Doc) -> tuple[Any, tuple[str, ...]]:
    path: Path_ = ("clinic", "holidays")
    raw = doc.get(path)
    if raw is None:
        return None, ()
    if isinstance(raw, str):
        raw = {"country": raw}
    if not isinstance(raw, dict):
        doc.problem(path, "must name a country", "write `holidays: {country: US, subdivision: IL}`")
        return None, ()
    doc.known_keys(path, {"country", "subdivision", "open_on"})
    country, subdiv = str(raw.get("country") or ""), raw.get("subdivision")
    try:
        table = holidays_pkg.country_holidays(
            country, subdiv=None if subdiv is None else str(subdiv)
        )
    except NotImplementedError as exc:
        key = "subdivision" if "subdivision" in str(exc) else "country"
        doc.problem(
            (*path, key),
            str(exc),
            "use an ISO code the holidays package knows, e.g. country: US, subdivision: IL",
        )
        return None, ()
    open_on = raw.get("open_on") or []
    keep = tuple(str(n) for n in (open_on if isinstance(open_on, list) else [open_on]))
    names = _holiday_names(table)
    for i, name in enumerate(keep):
        if not any(name.lower() in known.lower() for known in names):
            where = (*path, "open_on", i) if isinstance(open_on, list) else (*path, "open_on")
            doc.problem(
                where,
                f"no holiday of {country}{'/' + str(subdiv) if subdiv else ''} is called "
                f"{name!r} (the clinic would close on it)",
                "write a holiday's name or part of it; " + suggest(name, names, "holidays"),
            )
    return table, keep


def _holiday_names(table: Any) -> set[str]:
    """Every holiday name of the table over 2020–2040 (names change, e.g. Juneteenth)."""
    every = holidays_pkg.country_holidays(
        table.country, subdiv=table.subdiv, years=range(2020, 2041)
    )
    return {part.strip() for names in every.values() for part in str(names).split(";")}


def _ers(doc: Doc) -> list[ER]:
    raw = doc.get(("er",))
    if raw is None:
        doc.problem(
            ("er",),
            "is missing",
            "add `er:` with the partner emergency hospital's name, phone and address",
        )
        return []
    items: list[Path_] = (
        [("er", i) for i in range(len(raw))] if isinstance(raw, list) else [("er",)]
    )
    out: list[ER] = []
    for path in items:
        doc.known_keys(
            path,
            {"name", "phone", "address", "maps_url", "note", "poison_control"}
            if path == ("er",)
            else {"name", "phone", "address", "maps_url", "note"},
        )
        name = _text(doc, (*path, "name"), required=True, example="Riverside Animal Emergency")
        phone = _phone(doc, (*path, "phone"), required=True)
        address = _text(doc, (*path, "address"), required=True, example='"1200 River Road"')
        if name and phone and address:
            out.append(
                ER(
                    name,
                    phone,
                    address,
                    _text(doc, (*path, "maps_url"), required=False, example="https://maps…"),
                    _text(doc, (*path, "note"), required=False, example="…"),
                )
            )
    return out


def _poison(doc: Doc) -> PoisonControl:
    path: Path_ = (
        ("poison_control",)
        if doc.get(("poison_control",)) is not None
        else ("er", "poison_control")
    )
    if doc.get(path) is None:
        return ASPCA_APCC
    doc.known_keys(path, {"name", "phone", "note"})
    name = _text(doc, (*path, "name"), required=True, example="ASPCA Animal Poison Control Center")
    phone = _phone(doc, (*path, "phone"), required=True)
    note = _text(doc, (*path, "note"), required=False, example="a fee may apply")
    return PoisonControl(name or "", phone or "", note)


def _int(doc: Doc, path: Path_, default: int) -> int:
    value = doc.get(path, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        doc.problem(path, f"{value!r} is not a whole number", f"write a number, e.g. {default}")
        return default
    return value


def _pin(doc: Doc) -> str | None:
    """on_call.callback_pin: digits a vet keys in before the line connects them to an owner."""
    path: Path_ = ("on_call", "callback_pin")
    value = doc.get(path)
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit() or not 4 <= len(value) <= 8:
        doc.problem(
            path,
            f"{value!r} is not a PIN of 4 to 8 digits"
            + (" (unquoted, YAML reads it as a number)" if isinstance(value, int) else ""),
            'write 4 to 8 digits in quotes, e.g. callback_pin: "4821"',
        )
        return None
    return value


def parse_doc(doc: Doc) -> Policy:
    """Every problem of the file at once, or the Policy."""
    if doc.problems:
        raise PolicyError(doc.problems)
    if not isinstance(doc.data, dict):
        doc.problem(
            (),
            "is empty or not a mapping" if doc.data is None else "is not a mapping",
            "start from config/clinics/example.yaml (clinic:, er:, on_call:)",
        )
        raise PolicyError(doc.problems)
    doc.known_keys((), TOP)
    doc.known_keys(("clinic",), CLINIC)
    doc.known_keys(("paging",), {"rules", "max_per_night", "ack_minutes"})
    doc.known_keys(("line",), {"greeting", "language", "voice"})
    if doc.get(("on_call",)) is None:
        doc.problem(("on_call",), "is missing", 'add `on_call:` with `phone: "+1…"` or a rotation')
    name = _text(doc, ("clinic", "name"), required=True, example="Maple Street Veterinary Clinic")
    region = read_region(doc)  # before any number: national ones are read in it
    phone = _phone(doc, ("clinic", "phone"), required=True)
    tz = _zone(doc)
    hours = _hours(doc, tz or ZoneInfo("UTC"))
    ers = _ers(doc)
    manager = _phone(doc, ("clinic", "manager_phone"), required=False)
    plan = read_on_call(doc, tz or ZoneInfo("UTC"), manager=manager)
    clients = read_clients(doc, ("clients",))
    rules = read_rules(doc, ("paging", "rules"), clients.keys())
    policy_kw = dict(
        front_desk=_phone(doc, ("clinic", "front_desk"), required=False),
        manager_phone=manager,
        poison_control=_poison(doc),
        deadlines=read_deadlines(doc, ("callbacks",)),
        morning=read_morning(doc, ("callbacks", "morning")),
        max_pages_per_night=_int(doc, ("paging", "max_per_night"), 3),
        ack_minutes=_int(doc, ("paging", "ack_minutes"), 15),
        callback_pin=_pin(doc),
        region=region,
        line=Line(
            greeting=_text(doc, ("line", "greeting"), required=False, example='"Hello …"'),
            language=_text(doc, ("line", "language"), required=False, example="en-US") or "en-US",
            voice=_text(doc, ("line", "voice"), required=False, example="Polly.Joanna")
            or "Polly.Joanna",
        ),
    )
    if doc.problems or not (name and phone and tz and ers):
        raise PolicyError(doc.problems or [f"{doc.source}: incomplete policy"])
    primary = plan.default or (plan.rotation.order[0] if plan.rotation else None)
    assert primary is not None
    clinic_id = _text(doc, ("clinic", "id"), required=False, example="maple-street")
    return Policy(
        clinic_id=clinic_id or Path(doc.source).stem,
        name=name,
        phone=phone,
        timezone=str(tz.key),
        hours={d: (s[0].start, s[0].end) for d, s in hours.weekly.items() if s},
        er=ers[0],
        ers=tuple(ers),
        on_call_phone=primary.phone,
        source=doc.source,
        raw=doc.data,
        schedule=hours,
        plan=plan,
        rules=rules,
        clients=clients,
        notes=tuple(doc.notes),
        **policy_kw,  # type: ignore[arg-type]
    )
