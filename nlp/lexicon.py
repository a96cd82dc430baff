"""Compile the phrase rules of nlp/patterns/*.jsonl into PhraseMatcher keys and rule metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

from .tokenizer import PATTERNS, Normaliser, load_jsonl

BASE_FILES = ("symptoms.jsonl", "context.jsonl", "exposures.jsonl", "patient.jsonl",
              "situation.jsonl")  # fmt: skip
# Concept-class vocabularies (crush, weapons, antifreeze, heat sources ...): phrase rows and
# co-occurrence rows ("head"/"with") in one file per concept family.
CONCEPTS = tuple(sorted(p.name for p in PATTERNS.glob("concepts_*.jsonl")))
FILES = BASE_FILES + CONCEPTS
COMBO_FILES = ("combos.jsonl", *CONCEPTS)
# Spans of one layer may not overlap (the longest wins); different layers are independent.
LAYER = {
    "SPECIES": 1,
    "OWN": 4,
    "TERM": 5,
    "SUBJ": 6,
    "SEX": 2,
    "REPRO": 2,
    "CTX": 3,
    "INTENT": 3,
    "CONCERN": 3,
}
DEFAULT_WINDOW = {"NEG": 5, "HYPO": 10, "HIST": 8, "RESOLVED": 10, "OTHER": 12, "HEDGE": 6}


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern rule: an id, a label and what a match of it means."""

    id: str
    label: str
    code: str | None = None
    tags: frozenset[str] = frozenset()
    direction: str = "fwd"
    window: int = 0
    layer: int = 0
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def inflect(word: str) -> list[str]:
    """A stem plus its regular inflections (vomit -> vomits, vomited, vomiting; puke -> puking)."""
    if word.endswith("e"):
        return [word, word + "s", word + "d", word[:-1] + "ing"]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word, word[:-1] + "ies", word[:-1] + "ied", word + "ing"]
    forms = [word, word + "s", word + "ed", word + "ing"]
    if word.endswith(("s", "sh", "ch", "x", "z")):
        forms.append(word + "es")
    vowels = "aeiou"
    cvc = word[-1] not in vowels + "wxy" and word[-2] in vowels and word[-3:-2] not in vowels
    if len(word) <= 5 and cvc:  # stop -> stopped, drag -> dragging
        forms += [word + word[-1] + "ed", word + word[-1] + "ing"]
    return forms


def expand(phrase: str, normaliser: Normaliser) -> list[list[str]]:
    """Word sequences matched by a phrase: "a|b" alternatives, "[x]" optional, "w+" inflections."""
    slots: list[list[str]] = []
    for part in phrase.split():
        optional = part.startswith("[") and part.endswith("]")
        if optional:
            part = part[1:-1]
        alts: list[str] = []
        for alt in part.split("|"):
            alts.extend(inflect(alt[:-1]) if alt.endswith("+") and len(alt) > 1 else [alt])
        slots.append(alts + ([""] if optional else []))
    seqs = []
    for combo in product(*slots):
        words: list[str] = []
        for w in combo:
            if w:
                words.extend(normaliser.word(w, fuzzy=False) if w.isalpha() else (w,))
        if words:
            seqs.append(words)
    return seqs


def load_rules() -> list[tuple[Rule, list[str]]]:
    """Every rule with its raw phrases."""
    out = []
    for name in FILES:
        for row in load_jsonl(name):
            if "phrases" not in row:
                continue  # a word list (SUBJ), or a co-occurrence row of a concept file
            label = row.get("label", "SYM")
            rule = Rule(
                id=row["id"],
                label=label,
                code=row.get("code"),
                tags=frozenset(row.get("tags", ())),
                direction=row.get("dir", "fwd"),
                window=int(row.get("window", DEFAULT_WINDOW.get(label, 0))),
                layer=LAYER.get(label, 0),
                data={k: v for k, v in row.items() if k not in {"id", "label", "phrases"}},
            )
            out.append((rule, list(row["phrases"])))
    for row in _combo_rows():
        for role in ("head", "with"):
            part = Rule(id=f"{row['id']}#{role}", label="PART", layer=-1, data={"combo": row["id"]})
            out.append((part, list(row[role])))
    return out


def _combo_rows() -> list[dict[str, Any]]:
    """Co-occurrence rows of combos.jsonl and the concept files."""
    return [row for name in COMBO_FILES for row in load_jsonl(name) if "head" in row]


def load_words(label: str) -> frozenset[str]:
    """Words of the word-list rows with this label (context.jsonl)."""
    words: set[str] = set()
    for row in load_jsonl("context.jsonl"):
        if row.get("label") == label:
            words.update(row.get("words", ()))
    return frozenset(words)


def load_combos() -> dict[str, Rule]:
    """Co-occurrence rules (patterns/combos.jsonl), keyed by id."""
    combos = {}
    for row in _combo_rows():
        label = row.get("label", "SYM")
        combos[row["id"]] = Rule(
            id=row["id"],
            label=label,
            code=row.get("code"),
            tags=frozenset(row.get("tags", ())),
            direction=row.get("dir", "fwd"),
            window=int(row.get("scope", row["window"])),  # scope of a modifier made by a combo
            data={k: v for k, v in row.items() if k not in {"id", "label", "head", "with"}},
        )
    return combos


def vocabulary(rules: list[tuple[Rule, list[str]]]) -> tuple[set[str], set[str]]:
    """(words written in the phrase rules, their inflected forms) for typo correction."""
    words: set[str] = set()
    forms: set[str] = set()
    for _rule, phrases in rules:
        for phrase in phrases:
            for part in phrase.replace("[", " ").replace("]", " ").split():
                for alt in part.split("|"):
                    words.add(alt.rstrip("+"))
                    if alt.endswith("+"):
                        forms.update(inflect(alt[:-1]))
    return words, forms
