"""Paging rules (who is woken for what, as data) and callback deadlines per disposition."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from config.hours import as_date
from config.phones import read_phone
from config.yamldoc import Doc, Path_, suggest

DISPOSITIONS = ("routine", "urgent", "emergency")
# The triage engine's flags (nlp's Verdict.flags; tests/test_policy_names.py keeps them equal).
FLAGS = ("infectious", "post_op", "young", "senior", "pregnant")
PAGE_MODES = {
    "always": "always",
    "yes": "yes",
    "true": "yes",
    "no": "no",
    "never": "no",
    "false": "no",
}


@dataclass(frozen=True)
class PageDecision:
    page: bool
    reason: str
    rule: int | None = None  # index into paging.rules, None for the built-in fallback


@dataclass(frozen=True)
class ClientEntry:
    phone: str
    surgery: date | None = None
    note: str = ""


@dataclass(frozen=True)
class Rule:
    """Matches when every condition given holds; `page` is always (beats the limit), yes or no."""

    page: str
    dispositions: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # all of them
    any_flags: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()  # caller on any of these client lists
    surgery_within_days: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.reason:
            return self.reason
        parts = ["/".join(self.dispositions) or "any disposition"]
        if self.flags:
            parts.append("with " + " and ".join(self.flags))
        if self.any_flags:
            parts.append("with " + " or ".join(self.any_flags))
        if self.lists:
            parts.append("caller on " + " or ".join(self.lists))
        if self.surgery_within_days is not None:
            parts.append(f"surgery within {self.surgery_within_days} days")
        return " ".join(parts)


DEFAULT_RULES = (
    Rule("no", ("routine",), reason="routine questions wait for the morning"),
    Rule("always", ("urgent",), flags=("post_op",), reason="urgent post-op patient"),
    Rule("yes", ("emergency",), flags=("post_op",), reason="emergency in a post-op patient"),
    Rule("yes", ("emergency",), reason="emergency"),
)


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _nearest(name: str, valid: Collection[str]) -> str:
    """The "; did you mean `x`?" to append to a fix, or "" when no valid name is close."""
    fix = suggest(name, valid, "")
    return "; " + fix.split(" (")[0] if fix.startswith("did you mean") else ""


def read_rules(doc: Doc, path: Path_, lists: Collection[str]) -> tuple[Rule, ...]:
    raw = doc.get(path)
    if raw is None:
        return DEFAULT_RULES
    if not isinstance(raw, list):
        doc.problem(
            path, "must be a list of rules", "write `- {disposition: routine, page: never}`"
        )
        return DEFAULT_RULES
    keys = {
        "disposition",
        "flags",
        "any_flags",
        "caller_on",
        "surgery_within_days",
        "page",
        "reason",
    }
    rules: list[Rule] = []
    for i, item in enumerate(raw):
        where = (*path, i)
        if not isinstance(item, dict):
            doc.problem(where, "must be a mapping", "write `- {disposition: urgent, page: yes}`")
            continue
        doc.known_keys(where, keys)
        mode = PAGE_MODES.get(str(item.get("page")).lower())
        if mode is None:
            doc.problem(
                (*where, "page"),
                f"{item.get('page')!r} is not a paging choice",
                "write always (even past the nightly limit), yes, or never"
                + _nearest(str(item.get("page")), ("always", "yes", "never")),
            )
            continue
        disp = _strs(item.get("disposition"))
        for d in disp:
            if d not in DISPOSITIONS:
                doc.problem(
                    (*where, "disposition"),
                    f"{d!r} is not a disposition",
                    "use routine, urgent or emergency" + _nearest(d, DISPOSITIONS),
                )
        for key in ("flags", "any_flags"):
            for flag in _strs(item.get(key)):
                if flag not in FLAGS:
                    doc.problem(
                        (*where, key),
                        f"{flag!r} is not a flag the triage engine sets (the rule would never "
                        "match)",
                        suggest(flag, FLAGS, "flags"),
                    )
        for name in _strs(item.get("caller_on")):
            if name not in lists:
                doc.problem(
                    (*where, "caller_on"),
                    f"no client list named {name!r}",
                    "define it under clients: or use one of: "
                    + (", ".join(lists) or "-")
                    + _nearest(name, lists),
                )
        within = item.get("surgery_within_days")
        if within is not None and (not isinstance(within, int) or within < 0):
            doc.problem(
                (*where, "surgery_within_days"),
                f"{within!r} is not a number of days",
                "write a whole number, e.g. 14",
            )
            within = None
        rules.append(
            Rule(
                mode,
                disp,
                _strs(item.get("flags")),
                _strs(item.get("any_flags")),
                _strs(item.get("caller_on")),
                within,
                str(item.get("reason") or ""),
            )
        )
    return tuple(rules)


def read_clients(doc: Doc, path: Path_) -> dict[str, tuple[ClientEntry, ...]]:
    """Named client lists: phones, or {phone, surgery: DATE, note}."""
    raw = doc.get(path, {})
    if not isinstance(raw, dict):
        doc.problem(path, "must map a list name to phone numbers", 'write `vip: ["+1…"]`')
        return {}
    out: dict[str, tuple[ClientEntry, ...]] = {}
    for name, items in raw.items():
        if items is not None and not isinstance(items, list):
            doc.problem(
                (*path, name),
                "must be a list of phone numbers",
                f'write `{name}: ["+15555550123"]` (a dash line per number also works)',
            )
        entries: list[ClientEntry] = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            where = (*path, name, i)
            entry = item if isinstance(item, dict) else {"phone": item}
            surgery = as_date(entry["surgery"]) if entry.get("surgery") is not None else None
            phone = read_phone(doc, where, entry.get("phone"))  # E.164, national in region
            if phone is None:
                continue
            if entry.get("surgery") is not None and surgery is None:
                doc.problem((*where, "surgery"), "is not a date", "write YYYY-MM-DD")
            else:
                entries.append(ClientEntry(phone, surgery, str(entry.get("note") or "")))
        out[name] = tuple(entries)
    return out


# Callback deadlines ---------------------------------------------------------------------------

_AFTER = re.compile(
    r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?)\s+after\s+(opening|filing)\s*$", re.I
)
_BY = re.compile(r"^\s*by\s+(\d{1,2}):(\d{2})\s+next\s+open\s+day\s*$", re.I)


@dataclass(frozen=True)
class Deadline:
    """`minutes` after opening (or after filing), or `by` a wall time on the next open day."""

    text: str
    minutes: int = 0
    from_filing: bool = False
    by: time | None = None


DEFAULT_DEADLINES = {
    "emergency": "30 min after opening",
    "urgent": "30 min after opening",
    "routine": "by 12:00 next open day",
}


def parse_deadline(text: str) -> Deadline | None:
    m = _AFTER.match(text)
    if m:
        unit = 60 if m.group(2).lower().startswith("h") else 1
        return Deadline(text, minutes=int(m.group(1)) * unit, from_filing=m.group(3) == "filing")
    m = _BY.match(text)
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return Deadline(text, by=time(int(m.group(1)), int(m.group(2))))
    return None


DEFAULT_MORNING = time(8, 0)
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def read_morning(doc: Doc, path: Path_) -> time:
    """`callbacks.morning`: where deadlines count from when the clinic never opens."""
    raw = doc.get(path)
    if raw is None:
        return DEFAULT_MORNING
    m = _CLOCK.match(str(raw))
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        doc.problem(path, f"{raw!r} is not a time of day", 'write "HH:MM" in quotes, e.g. "08:00"')
        return DEFAULT_MORNING
    return time(int(m.group(1)), int(m.group(2)))


def read_deadlines(doc: Doc, path: Path_) -> dict[str, Deadline]:
    doc.known_keys(path, {*DISPOSITIONS, "morning"})
    out: dict[str, Deadline] = {}
    for disp in DISPOSITIONS:
        text = str(doc.get((*path, disp), DEFAULT_DEADLINES[disp]))
        parsed = parse_deadline(text)
        if parsed is None:
            doc.problem(
                (*path, disp),
                f"{text!r} is not a deadline",
                'write "30 min after opening", "2 hours after filing" or "by 12:00 next open day"',
            )
            parsed = parse_deadline(DEFAULT_DEADLINES[disp])
        assert parsed is not None
        out[disp] = parsed
    return out
