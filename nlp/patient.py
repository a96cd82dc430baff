"""Species and patient details: name, age, sex, reproductive status, breed, weight."""

from __future__ import annotations

import re
from collections.abc import Sequence

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc

from .hits import Hit, hits_of
from .tokenizer import doc_text, words_of
from .verdict import Patient

PET = (
    r"(?:dog|cat|puppy|kitten|pup|kitty|boy|girl|baby|bunny|rabbit|bird|ferret|horse|doggy"
    r"|lab|beagle)"
)
# (words one of which must be present, regex): the gate keeps the regexes off most texts.
NAME_RES = [
    (
        frozenset({"name", "names", "named", "called", "call"}),
        re.compile(r"\b(?:name is|names|named|called|call him|call her) (?P<name>[a-z]+)\b"),
    ),
    (
        frozenset({"my", "our"}),
        re.compile(rf"\b(?:my|our) (?:\w+ )?{PET}s? (?P<name>[a-z]+)\b"),
    ),
    (
        frozenset({"about"}),
        re.compile(r"\b(?:this is about|calling about|its about|about my) (?P<name>[a-z]+)\b"),
    ),
    (
        frozenset({"is"}),
        re.compile(r"\b(?P<name>[a-z]+) is (?:a|an|my|our) (?:\d+|little|young|old|senior)\b"),
    ),
]
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
NOT_NAMES = frozenset(STOP_WORDS) | {
    "is", "has", "was", "ate", "keeps", "got", "just", "threw", "seems", "been", "started",
    "had", "have", "having", "cant", "wont", "isnt", "hasnt", "doesnt", "didnt", "hes", "shes",
    "its", "im", "ok", "okay", "yes", "yeah", "no", "nope", "sure", "thanks", "please", "hi",
    "hello", "hey", "well", "so", "um", "like", "actually", "today", "tonight", "now", "still",
    "also", "really", "very", "sick", "old", "young", "little", "big", "male", "female", "and",
}  # fmt: skip


def species_of(docs: Sequence[Doc]) -> tuple[str | None, str | None]:
    """(species, breed): first mention about our own pet; breeds imply species."""
    first_any: str | None = None
    breed: str | None = None
    species: str | None = None
    for doc in docs:
        hits = hits_of(doc)
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
    return species or first_any, breed


def patient_of(docs: Sequence[Doc], known_words: frozenset[str]) -> Patient:
    """Patient details from every turn; the first value said wins."""
    p = Patient()
    he = she = 0
    for doc in docs:
        text = doc_text(doc)
        words = words_of(doc)
        present = set(words)
        if p.name is None:
            p.name = _after_pet(doc, words, known_words) or _name(text, present, known_words)
            if p.name is None and 1 <= len(words) <= 2 and len(docs) > 1:
                cand = words[-1]
                if cand.isalpha() and cand not in NOT_NAMES and cand not in known_words:
                    p.name = cand.capitalize()
        if p.age is None and not present.isdisjoint(AGE_UNITS):
            p.age = _age(text)
        if p.sex is None:
            he += sum(words.count(w) for w in ("he", "hes", "him", "his") if w in present)
            she += sum(words.count(w) for w in ("she", "shes", "her", "hers") if w in present)
        if p.weight is None and not present.isdisjoint(WEIGHT_UNITS):
            m = WEIGHT_RE.search(text)
            if m:
                kg = float(m["n"]) * (1.0 if m["u"].startswith("k") else 0.4536)
                p.weight = round(kg, 1)
        for h in hits_of(doc):
            h_: Hit = h
            if h_.label == "REPRO" and p.repro is None and "NEG" not in h_.mods:
                p.repro = h_.rule.data["repro"]
                if h_.text == "spayed" and p.sex is None:
                    p.sex = "female"
            elif h_.label == "SEX" and "OTHER" not in h_.mods:
                p.sex = p.sex or h_.rule.data["sex"]
                for word, repro in REPRO_WORDS:
                    if word in h_.text and p.repro is None:
                        p.repro = repro
    if p.sex is None and he != she:
        p.sex = "male" if he > she else "female"
    return p


def _after_pet(doc: Doc, words: list[str], known_words: frozenset[str]) -> str | None:
    """'my beagle Bella ...', 'dog, rex': the word right after our pet's species or breed."""
    for h in hits_of(doc):
        if h.label in ("SPECIES", "BREED") and "OTHER" not in h.mods:
            i = h.end + (h.end < len(words) and words[h.end] == ",")
            if i < len(words):
                cand = words[i]
                if cand.isalpha() and cand not in NOT_NAMES and cand not in known_words:
                    return cand.capitalize()
    return None


def _name(text: str, present: set[str], known_words: frozenset[str]) -> str | None:
    for gate, rx in NAME_RES:
        if present.isdisjoint(gate):
            continue
        for m in rx.finditer(text):
            cand = m["name"]
            if cand not in NOT_NAMES and cand not in known_words and not cand.isdigit():
                return cand.capitalize()
    return None


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
