"""The clinics' on-call policies: loaded from YAML files, validated, looked up by called number.

The schema is documented in config/clinics/example.yaml; `nightdesk config check FILE` reports
every problem of a file with its line and the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from config.clinic import ER, Line, PoisonControl, Policy
from config.hours import DAYS
from config.oncall import OnCall, Person
from config.rules import PageDecision
from config.schema import parse_doc
from config.yamldoc import PolicyError, load_doc

log = logging.getLogger(__name__)

__all__ = [
    "DAYS",
    "ER",
    "Line",
    "OnCall",
    "PageDecision",
    "Person",
    "Policies",
    "Policy",
    "PolicyError",
    "PoisonControl",
    "check_files",
    "check_report",
    "load_policy",
    "parse_policy",
]


def parse_policy(data: Any, *, source: str = "<memory>") -> Policy:
    """A Policy from already-parsed data (no line numbers in the messages)."""
    if isinstance(data, str):
        return parse_doc(load_doc(data, source))
    return parse_doc(load_doc(yaml.safe_dump(data, sort_keys=False), source))


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PolicyError(f"{path}: cannot read ({reason})") from None
    return parse_doc(load_doc(text, str(path)))


def policy_files(path: Path) -> list[Path]:
    return sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]


def check_files(paths: list[Path]) -> list[str]:
    """Every problem of these files (and of them together: numbers and ids unique); [] if fine."""
    return check_report(paths)[0]


def check_report(paths: list[Path]) -> tuple[list[str], list[str]]:
    """`nightdesk config check`: the problems, and the notes of the files that have none (what
    the line will do that a reader may not expect, e.g. who is paged when nobody else can be)."""
    problems: list[str] = []
    loaded: list[Policy] = []
    for file in [f for p in paths for f in policy_files(p)]:
        if not file.exists():
            problems.append(f"{file}: no such file — fix: check the path")
            continue
        try:
            loaded.append(load_policy(file))
        except PolicyError as exc:
            problems.extend(exc.problems)
    problems.extend(_clashes(loaded))
    return problems, [note for policy in loaded for note in policy.notes]


def _clashes(policies: list[Policy]) -> list[str]:
    out: list[str] = []
    seen_phone: dict[str, Policy] = {}
    seen_id: dict[str, Policy] = {}
    for p in policies:
        if p.phone in seen_phone:
            out.append(
                f"{p.source}: clinic.phone {p.phone} is also the number of "
                f"{seen_phone[p.phone].source} — fix: give each clinic its own number"
            )
        if p.clinic_id in seen_id:
            out.append(
                f"{p.source}: clinic.id {p.clinic_id!r} is also used by "
                f"{seen_id[p.clinic_id].source} — fix: give each clinic its own id"
            )
        seen_phone.setdefault(p.phone, p)
        seen_id.setdefault(p.clinic_id, p)
    return out


class Policies:
    """Every clinic of one deployment, looked up by the number that was called."""

    def __init__(self, policies: list[Policy]):
        if not policies:
            raise PolicyError("no clinic policy files found — fix: add one (see example.yaml)")
        clashes = _clashes(policies)
        if clashes:
            raise PolicyError(clashes)
        self.all = policies
        self._by_number = {p.phone: p for p in policies}
        self._by_id = {p.clinic_id: p for p in policies}

    def for_number(self, number: str | None) -> Policy | None:
        """The clinic whose number was called (Twilio's `To`), None for an unknown number."""
        if not number:
            log.warning("call or text without a called number")
            return None
        found = self._by_number.get(number.strip())
        if found is None:
            log.warning("no clinic policy for the called number …%s", number.strip()[-4:])
        return found

    def by_id(self, clinic_id: str) -> Policy | None:
        return self._by_id.get(clinic_id)

    @property
    def default(self) -> Policy:
        return self.all[0]

    @classmethod
    def load(cls, path: Path) -> Policies:
        return cls([load_policy(f) for f in policy_files(path)])
