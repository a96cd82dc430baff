"""The simulated owner of a call scenario: answers the line's questions from a fact sheet, by topic.

Pure (no I/O): `SimOwner.answer(question)` gives the owner's next words. The first answer is the
scenario's opening; after that each question is read for the fact topics it asks about, by
generic keyword cues (not the product's exact sentences), and the owner answers the facts of the
first three topics in the order the question names them. Nothing is volunteered. A yes/no
confirmation gets "yes", the callback number "yes", an offer to connect to the ER "no thanks".
See ../shared/triage/SCENARIOS.md for the scenario format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

FACT_KEYS = (
    "species",
    "name",
    "onset",
    "eating",
    "toileting",
    "behaviour",
    "surgery",
    "breathing",
    "collapse_or_seizure",
    "bleeding",
    "toxin_or_object",
    "urination_straining",
    "belly",
    "pain",
    "injury",
)
NOT_SURE = "I'm not sure"
YES = "yes"
DECLINE = "no thanks"
MAX_TOPICS = 3  # an owner asked about a long list keeps track of the first few only

# Cues match at the start of a word (\b before each); a cue may end in its own regex.
CUES: dict[str, tuple[str, ...]] = {
    "species": (r"kind of animal", r"what animal", r"type of animal", r"species", r"breed"),
    "name": (r"names?\b", r"called\b"),
    "onset": (r"when did", r"when was", r"how long", r"start", r"since when", r"began", r"begin"),
    "eating": (r"eat", r"drink", r"food", r"water", r"appetite", r"thirst", r"meal"),
    "toileting": (
        r"peeing and pooping",
        r"pee",
        r"urinat",
        r"poop",
        r"stool",
        r"bathroom",
        r"bowel",
        r"litter",
        r"diarrh",
    ),
    "behaviour": (
        r"acting",
        r"alert",
        r"weak",
        r"behav",
        r"like (?:him|her|it|them)sel(?:f|ves)",
        r"letharg",
        r"energy",
        r"quiet",
        r"responsive",
    ),
    "surgery": (
        r"surger",
        r"operation",
        r"procedure",
        r"stitches",
        r"incision",
        r"spay",
        r"neuter",
    ),
    "breathing": (r"breath", r"gums", r"pant"),
    "collapse_or_seizure": (
        r"collaps",
        r"seizure",
        r"fits?\b",
        r"stand",
        r"faint",
        r"unconscious",
        r"convuls",
        r"pass(?:ed)? out",
    ),
    "bleeding": (r"bleed", r"blood"),
    "toxin_or_object": (
        r"poison",
        r"toxi",
        r"swallow",
        r"eaten anything",
        r"ate anything",
        r"chocolate",
        r"medicine",
        r"medication",
        r"pills?\b",
        r"plants?\b",
        r"ate\b",
        r"got into",
        r"gotten into",
        r"ingest",
    ),
    "urination_straining": (
        r"strain",
        r"little or nothing",
        r"nothing comes? out",
        r"unable to pee",
        r"can'?t pee",
    ),
    "belly": (
        r"belly",
        r"abdom",
        r"stomach",
        r"swollen",
        r"bloat",
        r"retch",
        r"nothing coming up",
        r"dry heav",
    ),
    "pain": (r"pain", r"hurt", r"cr(?:y|ies|ied|ying)\b", r"touch", r"sore", r"whimper", r"yelp"),
    "injury": (
        r"injur",
        r"accident",
        r"fall",
        r"fell\b",
        r"fight",
        r"hit by",
        r"cars?\b",
        r"wound",
    ),
}
_CUE_RES = {topic: [re.compile(r"\b" + cue, re.I) for cue in cues] for topic, cues in CUES.items()}
# Within one clause, the first topic outranks the second ("straining to pee" is about straining,
# "eaten anything toxic" about a toxin, "blood in the stool" about bleeding).
OUTRANKS = (
    ("urination_straining", "toileting"),
    ("toxin_or_object", "eating"),
    ("bleeding", "toileting"),
)
_CLAUSE = re.compile(r"[,.;:?!]")
_NEGATIVE = re.compile(r"^\W*(?:no|nope|none|not|nothing)\b", re.I)
_CONFIRM = re.compile(r"\bis that (?:right|correct)\b|^\W*i heard\b|\bdid you (?:mean|say)\b", re.I)
_OFFER = re.compile(r"\bconnect|\btransfer|\bput you through\b", re.I)
_CALLBACK = re.compile(r"\bcall(?:ing)? you back\b|\bnumber ending\b|\bcallback number\b", re.I)
_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_INSTRUCTION = re.compile(r"^\W*(?:reply|press|say|text)\b", re.I)


@dataclass(frozen=True)
class Hit:
    topic: str
    start: int
    end: int
    clause: int


def _hits(question: str) -> list[Hit]:
    bounds = [m.start() for m in _CLAUSE.finditer(question)]
    hits = []
    for topic, patterns in _CUE_RES.items():
        for pattern in patterns:
            for m in pattern.finditer(question):
                clause = sum(1 for b in bounds if b < m.start())
                hits.append(Hit(topic, m.start(), m.end(), clause))
    return hits


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def topics_of(question: str) -> list[str]:
    """The fact topics a question asks about, in the order it names them (each once)."""
    hits = _hits(question)
    # Overlapping cues of different topics: the longer cue wins ("eaten anything" over "eat").
    kept = [
        h
        for h in hits
        if not any(
            o.topic != h.topic and _overlaps(o, h) and (o.end - o.start) > (h.end - h.start)
            for o in hits
        )
    ]
    for winner, loser in OUTRANKS:
        clauses = {h.clause for h in kept if h.topic == winner}
        kept = [h for h in kept if not (h.topic == loser and h.clause in clauses)]
    order: list[str] = []
    for h in sorted(kept, key=lambda h: (h.start, -h.end)):
        if h.topic not in order:
            order.append(h.topic)
    return order


def is_negative(fact: str) -> bool:
    """A fact that begins with "no" (nope, none, not, nothing) is a negative answer."""
    return bool(_NEGATIVE.match(fact))


def question_part(text: str) -> str:
    """The asking part of a reply: its questions and reply instructions (else all of it)."""
    sentences = [s for s in _SENTENCE.split(text.strip()) if s]
    asked = [s for s in sentences if s.rstrip().endswith("?") or _INSTRUCTION.match(s)]
    return " ".join(asked) if asked else text.strip()


def asks_something(text: str) -> bool:
    """Whether a text message expects an answer (a question, or "reply ..."): else it ends."""
    sentences = _SENTENCE.split(text.strip())
    return any(s.rstrip().endswith("?") or _INSTRUCTION.match(s) for s in sentences)


@dataclass(frozen=True)
class Answer:
    text: str
    kind: str  # opening | facts | confirm | callback | decline | unmapped
    topics: tuple[str, ...] = ()
    not_sure: bool = False


def answer_facts(topics: list[str], facts: Mapping[str, str | None]) -> tuple[str, bool]:
    """The owner's words for these topics (first three) and whether any was "not sure"."""
    parts: list[str] = []
    not_sure = False
    for topic in topics[:MAX_TOPICS]:
        fact = facts.get(topic)
        text = fact.strip() if isinstance(fact, str) and fact.strip() else NOT_SURE
        not_sure = not_sure or text == NOT_SURE
        if text.lower() not in (p.lower() for p in parts):
            parts.append(text)
    if parts and all(is_negative(p) for p in parts):
        return "no", not_sure
    return ", ".join(parts), not_sure


class SimOwner:
    """One owner: the opening first, then fact answers by topic; counts turns and "not sure"."""

    def __init__(self, opening: str, facts: Mapping[str, str | None]):
        self.opening, self.facts = opening, dict(facts)
        self.turns = 0
        self.not_sure = 0

    def answer(self, question: str) -> Answer:
        """What the owner says to the line's question (the whole asking text of one turn)."""
        self.turns += 1
        if self.turns == 1:
            return Answer(self.opening, "opening")
        asked = question_part(question)
        if _CONFIRM.search(asked):
            return Answer(YES, "confirm")
        if _OFFER.search(asked):
            return Answer(DECLINE, "decline")
        if _CALLBACK.search(asked):
            return Answer(YES, "callback")
        # "You mentioned X. Is that happening now?": the statement says what "that" is
        topics = topics_of(asked) or topics_of(question)
        if not topics:
            self.not_sure += 1
            return Answer(NOT_SURE, "unmapped", not_sure=True)
        text, not_sure = answer_facts(topics, self.facts)
        self.not_sure += int(not_sure)
        return Answer(text, "facts", tuple(topics[:MAX_TOPICS]), not_sure)
