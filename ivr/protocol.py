"""The red-flag screening protocol (ivr/protocol.yaml): screens, their order, what means worse."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROTOCOL_FILE = Path(__file__).with_name("protocol.yaml")
RED_FLAGS = frozenset({"bleeding", "breathing", "severe_gi", "toxin", "neuro",
                       "urinary_obstruction", "severe_pain", "foreign_body", "trauma", "labour",
                       "heatstroke", "eye_trauma"})  # fmt: skip


class ProtocolError(ValueError):
    """protocol.yaml does not say what the line needs (named screen, known red flag ...)."""


@dataclass(frozen=True)
class Screen:
    """One question about two or three related danger signs."""

    id: str
    red_flags: tuple[str, ...]
    ask: dict[str, str]  # channel -> words
    confirm: dict[str, str] | None = None
    about: tuple[str, ...] = ()
    bare_yes: str = "red_flag"  # what a bare "yes" means: the red flag, or "confirm" (which?)
    story: str = "confirm"  # an answer neither yes nor no: "confirm" once, or "engine" decides
    only_flags: frozenset[str] = frozenset()
    only_symptoms: frozenset[str] = frozenset()
    only_words: frozenset[str] = frozenset()

    def talks_about(self, text: str) -> bool:
        """Whether an answer mentions what this screen asks about (a stem anywhere in a word)."""
        words = " " + " ".join(re.findall(r"[a-z']+", text.lower())) + " "
        return any(" " + stem in words for stem in self.about)

    @property
    def conditional(self) -> bool:
        return bool(self.only_flags or self.only_symptoms or self.only_words)

    def applies(self, flags: Iterable[str], symptoms: Iterable[str], words: Iterable[str]) -> bool:
        """Whether this screen can matter for this call (unconditional screens always do)."""
        if not self.conditional:
            return True
        return bool(
            self.only_flags & set(flags)
            or self.only_symptoms & set(symptoms)
            or self.only_words & set(words)
        )


@dataclass(frozen=True)
class Worse:
    """Signs that, reported after the closing, mean the pet got worse (and the words for them)."""

    codes: frozenset[str]
    say: str


@dataclass(frozen=True)
class Protocol:
    screens: dict[str, Screen]
    order: tuple[tuple[frozenset[str], frozenset[str], tuple[str, ...]], ...]
    default: tuple[str, ...]
    worse: dict[str, tuple[Worse, ...]]
    confirms: dict[str, dict[str, str]]  # red flag -> its one direct question
    milder_is_no: frozenset[str] = frozenset()  # severe forms of a sign (a milder one is a no)

    def prompts(self) -> dict[str, dict[str, str]]:
        """The screens' words as prompt keys: screen.<id>, confirm.<id>."""
        out = {f"screen.{s.id}": s.ask for s in self.screens.values()}
        out.update({f"confirm.{s.id}": s.confirm for s in self.screens.values() if s.confirm})
        out.update({f"confirm.flag.{code}": words for code, words in self.confirms.items()})
        return out

    def confirm_key(self, code: str) -> str:
        """The prompt key of the question that confirms this red flag."""
        if code in self.confirms:
            return f"confirm.flag.{code}"
        screen = self.screen_for(code)
        return f"confirm.{screen.id}" if screen.confirm else f"screen.{screen.id}"

    def watching(self, complaint: str, said: set[str]) -> list[Worse]:
        """The signs the closing names for this complaint, minus those already reported."""
        rows = self.worse.get(complaint) or self.worse.get("default") or ()
        return [w for w in rows if not w.codes & said]

    def screen_for(self, code: str) -> Screen:
        """The screen that asks about a red-flag code."""
        for screen in self.screens.values():
            if code in screen.red_flags:
                return screen
        raise ProtocolError(f"no screen in {PROTOCOL_FILE.name} asks about {code!r}")

    def ordered(self, symptoms: list[str], species: str | None) -> list[Screen]:
        """Every screen, the complaint's first (the first symptom said decides), then the rest."""
        first: tuple[str, ...] = ()
        for code in [*symptoms, None]:
            for when, species_in, ids in self.order:
                if (code is not None and code in when) or (
                    code is None and species is not None and species in species_in
                ):
                    first = ids
                    break
            if first:
                break
        return [self.screens[i] for i in dict.fromkeys([*first, *self.default, *self.screens])]


def _words(entry: Any) -> dict[str, str]:
    if isinstance(entry, str):
        return {"voice": entry, "sms": entry}
    return {"voice": str(entry["voice"]), "sms": str(entry.get("sms") or entry["voice"])}


@lru_cache(maxsize=2)
def load(path: Path = PROTOCOL_FILE) -> Protocol:
    """Read and check the protocol file (every red flag has a screen; names are known)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    screens: dict[str, Screen] = {}
    for sid, row in raw["screens"].items():
        flags = tuple(row["red_flags"])
        unknown = set(flags) - RED_FLAGS
        if unknown:
            raise ProtocolError(f"{path.name}: screen {sid!r} names unknown red flags {unknown}")
        only = row.get("only_if") or {}
        screens[sid] = Screen(
            id=sid,
            red_flags=flags,
            ask=_words(row["ask"]),
            confirm=_words(row["confirm"]) if row.get("confirm") else None,
            about=tuple(str(w).lower() for w in row.get("about") or ()),
            bare_yes=str(row.get("bare_yes") or "red_flag"),
            story=str(row.get("story") or "confirm"),
            only_flags=frozenset(only.get("flags", ())),
            only_symptoms=frozenset(only.get("symptoms", ())),
            only_words=frozenset(only.get("words", ())),
        )
    missing = RED_FLAGS - {f for s in screens.values() for f in s.red_flags}
    if missing:
        raise ProtocolError(f"{path.name}: no screen asks about {sorted(missing)}")
    order = []
    for row in raw.get("order", ()):
        ids = tuple(row["first"])
        for i in ids:
            if i not in screens:
                raise ProtocolError(f"{path.name}: order names unknown screen {i!r}")
        order.append((frozenset(row.get("when", ())), frozenset(row.get("species", ())), ids))
    default = tuple(raw.get("default") or screens)
    worse = {
        complaint: tuple(Worse(frozenset(w["codes"]), str(w["say"])) for w in rows)
        for complaint, rows in (raw.get("worse") or {}).items()
    }
    confirms = {str(code): _words(words) for code, words in (raw.get("confirm") or {}).items()}
    unknown_codes = set(confirms) - RED_FLAGS
    if unknown_codes:
        raise ProtocolError(f"{path.name}: confirm names unknown red flags {unknown_codes}")
    milder = frozenset(str(c) for c in raw.get("milder_is_no") or ())
    if milder - RED_FLAGS:
        raise ProtocolError(
            f"{path.name}: milder_is_no names unknown red flags {milder - RED_FLAGS}"
        )
    return Protocol(screens, tuple(order), default, worse, confirms, milder)


# the complaint a verdict is about, for the closing's "if ... go to the ER" (first symptom wins)
COMPLAINT = {"vomiting": "vomiting", "retching": "vomiting", "diarrhea": "diarrhea",
             "straining_to_urinate": "urinary", "frequent_urination": "urinary",
             "blood_in_urine": "urinary", "wound": "wound", "incision_problem": "incision",
             "not_eating": "not_eating"}  # fmt: skip


def _said(verdict: dict[str, Any]) -> tuple[str, set[str]]:
    codes = [
        str(s.get("code"))
        for s in verdict.get("symptoms") or []
        if isinstance(s, dict) and not s.get("negated")
    ]
    complaint = next((COMPLAINT[c] for c in codes if c in COMPLAINT), "default")
    return complaint, set(codes)


def watch_for(verdict: dict[str, Any]) -> list[Worse]:
    """What the closing tells the owner to watch for (never a sign they already reported)."""
    complaint, said = _said(verdict)
    return load().watching(complaint, said)


def watch_codes(verdict: dict[str, Any]) -> set[str]:
    """The symptom codes that, reported after the closing, mean the pet got worse."""
    return {c for w in watch_for(verdict) for c in w.codes}
