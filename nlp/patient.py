"""Species and patient details: name, age, sex, reproductive status, breed, weight."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .hits import Hit
from .names import name_of, short_name
from .verdict import Patient

AGE_UNITS = frozenset(
    {
        "year",
        "years",
        "yr",
        "yrs",
        "month",
        "months",
        "mo",
        "mos",
        "week",
        "weeks",
        "wk",
        "wks",
        "yo",
    }  # fmt: skip
)
AGE_RE = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?|a|an|a couple|a few)(?P<half> and a half)? ?"
    r"(?P<u>years?|yrs?|months?|mos?|weeks?|wks?|yo|y o)"
    r"(?P<old> old| of age|(?=\b))"
)
# A bare "8 weeks" is an age only after these ("shes 8 weeks"); "about a week ago" is a duration.
AGE_CTX = re.compile(
    r"\b(?:(?:is|hes|shes|its)(?: about| almost| only)?|just turned|turned|aged?) $"
)
WEIGHT_RE = re.compile(r"\b(?P<n>\d+(?:\.\d+)?) ?(?P<u>lbs?|pounds|kgs?|kilos?|kilograms)\b")
REPRO_WORDS = (("spayed", "neutered"), ("neutered", "neutered"), ("intact", "intact"))
WEIGHT_UNITS = frozenset({"lb", "lbs", "pounds", "kg", "kgs", "kilo", "kilos", "kilograms"})
UNIT_Y = {"y": 1.0, "m": 1 / 12, "w": 1 / 52}


class SpeciesSaid(NamedTuple):
    """What one text says of the species: any animal's, our pet's breed, our pet's species."""

    any: str | None
    breed: str | None
    own: str | None


def species_said(hits: list[Hit]) -> SpeciesSaid:
    """The first species, breed and own species of one text (breeds imply species)."""
    first_any: str | None = None
    breed: str | None = None
    species: str | None = None
    # "the flea drops for the dog on my cat": the animal a product is for is not the patient
    products = [(h.start, h.end) for h in hits if h.label == "TOXIN"]
    for h in hits:
        if h.label not in ("SPECIES", "BREED"):
            continue
        if any(a <= h.start and h.end <= b for a, b in products):
            continue
        sp = h.rule.data.get("species")
        first_any = first_any or sp
        if "OTHER" in h.mods:
            continue
        if h.label == "BREED" and breed is None:
            breed = h.text
        if species is None:
            species = sp
    return SpeciesSaid(first_any, breed, species)


def species_of(said: Sequence[SpeciesSaid]) -> tuple[str | None, str | None]:
    """(species, breed): first mention about our own pet; breeds imply species."""
    first_any: str | None = None
    breed: str | None = None
    species: str | None = None
    for s in said:
        first_any = first_any or s.any
        breed = s.breed if breed is None else breed
        species = s.own if species is None else species
    return species or first_any, breed


@dataclass(frozen=True, slots=True)
class PatientSaid:
    """The patient details one text gives, before the turns are merged (first value wins)."""

    name: str | None  # where the sentence gives a name (names.name_of)
    short: str | None  # a one- or two-word answer that may be just the name ('max')
    age: float | None
    he: int  # pronouns: the sex when no word says it
    she: int
    weight: float | None
    marks: tuple[tuple[str, str, tuple[str, ...]], ...]  # ('repro'|'sex', value, implied)


def patient_said(
    text: str, words: list[str], hits: list[Hit], known: frozenset[str]
) -> PatientSaid:
    """Patient details of one text (known: the rule words, never a pet's name)."""
    present = set(words)
    short = short_name(words, known) if 1 <= len(words) <= 2 else None
    age = None if present.isdisjoint(AGE_UNITS) else _age(text)
    he = sum(words.count(w) for w in ("he", "hes", "him", "his") if w in present)
    she = sum(words.count(w) for w in ("she", "shes", "her", "hers") if w in present)
    weight = None
    if not present.isdisjoint(WEIGHT_UNITS):
        m = WEIGHT_RE.search(text)
        if m:
            kg = float(m["n"]) * (1.0 if m["u"].startswith("k") else 0.4536)
            weight = round(kg, 1)
    marks: list[tuple[str, str, tuple[str, ...]]] = []
    for h in hits:
        if h.label == "REPRO" and "NEG" not in h.mods:
            marks.append(("repro", h.rule.data["repro"], ("female",) if h.text == "spayed" else ()))
        elif h.label == "SEX" and "OTHER" not in h.mods:
            implied = tuple(repro for word, repro in REPRO_WORDS if word in h.text)
            marks.append(("sex", h.rule.data["sex"], implied))
    name = name_of(words, hits, known)
    return PatientSaid(name, short, age, he, she, weight, tuple(marks))


def patient_of(said: Sequence[PatientSaid]) -> Patient:
    """Patient details from every turn; the first value said wins."""
    p = Patient()
    he = she = 0
    for s in said:
        if p.name is None:
            p.name = s.name
            if p.name is None and len(said) > 1:
                p.name = s.short
        if p.age is None:
            p.age = s.age
        if p.sex is None:
            he += s.he
            she += s.she
        if p.weight is None:
            p.weight = s.weight
        for kind, value, implied in s.marks:
            if kind == "repro":
                if p.repro is None:
                    p.repro = value
                    if implied and p.sex is None:  # "spayed": a female
                        p.sex = implied[0]
            else:
                p.sex = p.sex or value
                for repro in implied:  # "neutered male"
                    if p.repro is None:
                        p.repro = repro
    if p.sex is None and he != she:
        p.sex = "male" if he > she else "female"
    return p


def _age(text: str) -> float | None:
    for m in AGE_RE.finditer(text):
        unit = m["u"]
        bare = not m["old"].strip() and unit not in ("yo", "y o")
        if bare and (not AGE_CTX.search(text[: m.start()]) or text.startswith(" ago", m.end())):
            continue
        raw = m["n"]
        n = float(raw) if raw[0].isdigit() else {"a couple": 2.0, "a few": 3.0}.get(raw, 1.0)
        if m["half"]:
            n += 0.5
        key = "y" if unit.startswith("y") else "m" if unit.startswith("mo") else "w"
        return round(n * UNIT_Y[key], 2)
    return None
