"""Evidence strength: whether a red-flag word is plainly about this pet, now (SPEC section 6).

Rows of patterns/evidence.jsonl look at the words around each hit: `drop` rows remove a hit that
is certainly not the sign (a pet named Oreo, a chocolate lab, "the size of a grape", the caller's
own breathing); `doubt` rows mark a hit DOUBT (past, another animal, a question, an idiom). A text
longer than LONG_STORY words marks every hit DOUBT: in a long story a word is easily misplaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .hits import Hit
from .tokenizer import load_jsonl
from .turn import Turn
from .verdict import Evidence

LONG_STORY = 150  # words
NEAR = 12  # words either side of a hit that `near` cues look at (speech has no full stops)
BOUNDARY = frozenset({".", "?", "!", ";"})
CLAUSE_START = frozenset({".", "?", "!", ";", ",", "and", "but", "so", "well", "hi", "hey", "ok",
                          "okay", "um", "uh", "yeah", "oh", "because", "cause"})  # fmt: skip
Seqs = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Cue:
    """One row of evidence.jsonl."""

    id: str
    kind: str  # drop | doubt
    why: str
    labels: frozenset[str]
    codes: frozenset[str]
    rules: frozenset[str]
    before: Seqs
    after: Seqs
    near: Seqs
    unless_before: Seqs
    inside: Seqs
    anywhere: Seqs
    unless_anywhere: Seqs
    needs_more: bool  # the text goes on after the hit ("my cat lily" alone is the flower)
    sentence_start: bool
    words: frozenset[str]  # the hit's own words must be one of these (empty: any)

    def looks_at(self, h: Hit) -> bool:
        if self.rules:
            return h.rule.id in self.rules
        if self.codes:
            return h.label == "SYM" and (h.code or "") in self.codes
        return h.label in self.labels

    def fires(self, h: Hit, words: list[str], lo: int, hi: int) -> bool:
        if self.words and h.text not in self.words:
            return False
        if self.sentence_start and not (h.start == 0 or words[h.start - 1] in CLAUSE_START):
            return False
        if self.before and not _ends_with(words[lo : h.start], self.before):
            return False
        if self.unless_before and _ends_with(words[lo : h.start], self.unless_before):
            return False
        if self.after and not _starts_with(words[h.end : hi], self.after):
            return False
        if self.inside and not _contains(words[h.start : h.end], self.inside):
            return False
        if self.anywhere and not _contains(words, self.anywhere):
            return False
        if self.unless_anywhere and _contains(words, self.unless_anywhere):
            return False
        if self.needs_more and sum(w.isalpha() for w in words[h.end :]) < 2:
            return False
        if not self.near:
            return True
        return _contains(words[max(lo, h.start - NEAR) : min(hi, h.end + NEAR)], self.near)


def _ends_with(words: list[str], seqs: Seqs) -> bool:
    return any(len(s) <= len(words) and tuple(words[len(words) - len(s) :]) == s for s in seqs)


def _starts_with(words: list[str], seqs: Seqs) -> bool:
    return any(tuple(words[: len(s)]) == s for s in seqs)


def _contains(words: list[str], seqs: Seqs) -> bool:
    joined = " " + " ".join(words) + " "
    return any(" " + " ".join(s) + " " in joined for s in seqs)


def _seqs(rows: list[list[str]] | None) -> Seqs:
    return tuple(tuple(r) for r in rows or ())


@lru_cache(maxsize=1)
def cues() -> tuple[Cue, ...]:
    """The rows of patterns/evidence.jsonl, drop rows first."""
    out = [
        Cue(
            id=row["id"],
            kind=row["kind"],
            why=row["why"],
            labels=frozenset(row.get("labels", ())),
            codes=frozenset(row.get("codes", ())),
            rules=frozenset(row.get("rules", ())),
            before=_seqs(row.get("before")),
            after=_seqs(row.get("after")),
            near=_seqs(row.get("near")),
            unless_before=_seqs(row.get("unless_before")),
            inside=_seqs(row.get("inside")),
            anywhere=_seqs(row.get("anywhere")),
            unless_anywhere=_seqs(row.get("unless_anywhere")),
            needs_more=bool(row.get("needs_more")),
            sentence_start=bool(row.get("sentence_start")),
            words=frozenset(row.get("words", ())),
        )
        for row in load_jsonl("evidence.jsonl")
    ]
    return tuple(sorted(out, key=lambda c: c.kind != "drop"))


LOOKED_AT = frozenset({"SYM", "TOXIN", "OBJECT", "EXPO"})


def weigh(words: list[str], hits: list[Hit]) -> None:
    """Mark each hit DROP (not the sign) or DOUBT (maybe not) by the words around it."""
    long_story = sum(w.isalpha() for w in words) > LONG_STORY
    table = cues()
    for h in hits:
        if h.label not in LOOKED_AT:
            continue
        lo, hi = _sentence(words, h)
        for cue in table:
            if cue.looks_at(h) and cue.fires(h, words, lo, hi):
                if cue.kind == "old":
                    h.mark("OLD")
                    h.mark("RESOLVED")
                    break
                h.mark("DROP" if cue.kind == "drop" else "DOUBT")
                h.why = cue.why
                break
        else:
            if long_story:
                h.mark("DOUBT")
                h.why = "a long story"


def _sentence(words: list[str], h: Hit) -> tuple[int, int]:
    lo = h.start
    while lo > 0 and words[lo - 1] not in BOUNDARY:
        lo -= 1
    hi = h.end
    while hi < len(words) and words[hi] not in BOUNDARY:
        hi += 1
    return lo, min(hi + 1, len(words))  # the sentence's own "?" belongs to it


NOT_SAID = frozenset({"NEG", "DROP"})


def strength_of(
    red_flags: list[str], quotes: dict[str, list[str]], turns: Sequence[Turn]
) -> list[Evidence]:
    """Each red flag's evidence: clear unless every hit behind its words is DOUBT-marked."""
    out = []
    for code in red_flags:
        said = [q for q in quotes.get(code, []) if q]
        behind = [
            h
            for t in turns
            for h in t.hits
            if h.label in LOOKED_AT
            and not h.mods & NOT_SAID
            and any(h.text in q or q in h.quote for q in said)
        ]
        doubtful = bool(behind) and all("DOUBT" in h.mods for h in behind)
        why = next((h.why for h in behind if h.why), "") if doubtful else ""
        text = said[0] if said else ""
        out.append(Evidence(code, "doubtful" if doubtful else "clear", text, why))
    return out


# the red flag a hit's sign can raise (a hit's symptom code, or its label for agents)
FLAG_OF = {"collapse": "neuro", "seizure": "neuro", "unable_to_stand": "neuro",
           "paralysis": "neuro", "disoriented": "neuro", "breathing_difficulty": "breathing",
           "choking": "breathing", "pale_gums": "breathing", "bleeding": "bleeding",
           "blood_in_vomit": "severe_gi", "blood_in_stool": "severe_gi", "vomiting": "severe_gi",
           "retching": "severe_gi", "diarrhea": "severe_gi", "bloated_abdomen": "severe_gi",
           "straining_to_urinate": "urinary_obstruction", "unable_to_urinate":
           "urinary_obstruction", "frequent_urination": "urinary_obstruction",
           "blood_in_urine": "urinary_obstruction", "pain": "severe_pain", "wound": "trauma",
           "eye_problem": "eye_trauma", "heatstroke": "heatstroke",
           "labour_problem": "labour", "TOXIN": "toxin", "EXPO": "toxin",
           "OBJECT": "foreign_body"}  # fmt: skip


def deny(hits: list[Hit], denied: frozenset[str]) -> None:
    """The doubtful words behind a red flag the caller denied when asked no longer count."""
    for h in hits:
        if "DOUBT" in h.mods and FLAG_OF.get(h.code or h.label) in denied:
            h.mark("DROP")
