"""Evidence strength: whether a red-flag word is plainly about this pet, now (SPEC section 6).

Rows of patterns/evidence.jsonl look at the words around each hit: `drop` rows remove a hit that
is certainly not the sign (a pet named Oreo, a chocolate lab, "the size of a grape", the caller's
own breathing); `doubt` rows mark a hit DOUBT (past, another animal, a question, an idiom). A text
longer than LONG_STORY words marks every hit DOUBT: in a long story a word is easily misplaced.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from .hits import Hit
from .tokenizer import load_jsonl
from .turn import Turn
from .verdict import Evidence

LONG_STORY = 150  # words
NEAR = 12  # words either side of a hit that `near` cues look at (speech has no full stops)
BOUNDARY = frozenset({".", "?", "!", ";"})
CLAUSE_START = frozenset({".", "?", "!", ";", ",", "and", "but", "so", "well", "hi", "hey", "ok",
                          "okay", "um", "uh", "yeah", "oh", "because", "cause"})  # fmt: skip
Seqs = tuple[str, ...]  # word sequences, each joined with a space either side: " size of "


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
    near_first: frozenset[str] = frozenset()  # the first two words of each `near`: a pre-check
    any_first: frozenset[str] = frozenset()  # the same for `anywhere`
    rank: int = 0  # its place in the table (drop rows first): the first cue that fires wins

    def looks_at(self, h: Hit) -> bool:
        if self.rules:
            return h.rule.id in self.rules
        if self.codes:
            return h.label == "SYM" and (h.code or "") in self.codes
        return h.label in self.labels

    def fires(self, h: Hit, at: _Around) -> bool:
        if self.words and h.text not in self.words:
            return False
        words = at.words
        if self.sentence_start and not (h.start == 0 or words[h.start - 1] in CLAUSE_START):
            return False
        if self.before and not at.before.endswith(self.before):
            return False
        if self.unless_before and at.before.endswith(self.unless_before):
            return False
        if self.after and not at.after.startswith(self.after):
            return False
        if self.inside and not _found(self.inside, at.inside):
            return False
        if self.anywhere and not _found(self.anywhere, at.whole):
            return False
        if self.unless_anywhere and _found(self.unless_anywhere, at.whole):
            return False
        if self.needs_more and sum(w.isalpha() for w in words[h.end :]) < 2:
            return False
        return not self.near or _found(self.near, at.near)


class _Around:
    """The words around one hit, each part joined once, when a cue first asks for it."""

    def __init__(self, words: list[str], whole: str, h: Hit, stops: list[int]) -> None:
        self.words, self.whole, self.h = words, whole, h
        self.lo, self.hi = _sentence(words, h, stops)

    @cached_property
    def before(self) -> str:
        return _pad(self.words[self.lo : self.h.start])

    @cached_property
    def after(self) -> str:
        return _pad(self.words[self.h.end : self.hi])

    @cached_property
    def inside(self) -> str:
        return _pad(self.words[self.h.start : self.h.end])

    @cached_property
    def near_words(self) -> frozenset[str]:
        """The words near the hit and each pair of them: a phrase's first one or two words."""
        h = self.h
        ws = self.words[max(self.lo, h.start - NEAR) : min(self.hi, h.end + NEAR)]
        return frozenset(ws).union(f"{a} {b}" for a, b in zip(ws, ws[1:], strict=False))

    @cached_property
    def near(self) -> str:
        h = self.h
        return _pad(self.words[max(self.lo, h.start - NEAR) : min(self.hi, h.end + NEAR)])


@lru_cache(maxsize=256)
def _pattern(phrases: Seqs) -> re.Pattern[str]:
    """One regex for a cue's phrases: a C loop instead of a Python one per phrase."""
    return re.compile("|".join(re.escape(p) for p in phrases))


def _found(phrases: Seqs, text: str) -> bool:
    return _pattern(phrases).search(text) is not None


def _pad(words: list[str]) -> str:
    return " " + " ".join(words) + " "


def _seqs(rows: list[list[str]] | None) -> Seqs:
    return tuple(_pad(list(r)) for r in rows or ())


_LOCK = threading.Lock()  # webhooks run in threads: the table is built once, by one of them


def cues() -> tuple[Cue, ...]:
    """The rows of patterns/evidence.jsonl, drop rows first (built once per process)."""
    with _LOCK:
        return _cues()


@lru_cache(maxsize=1)
def _cues() -> tuple[Cue, ...]:
    table = load_jsonl("evidence.jsonl")
    lists = {r["id"]: r.get("words", r.get("phrases")) for r in table if r["kind"] == "list"}

    def row_of(r: dict) -> dict:  # "list.name_like" in a row stands for that shared list
        return {k: lists[v] if isinstance(v, str) and v in lists else v for k, v in r.items()}

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
            near_first=frozenset(" ".join(map(str, r[:2])) for r in row.get("near", ()) if r),
            any_first=frozenset(" ".join(map(str, r[:2])) for r in row.get("anywhere", ()) if r),
        )
        for row in map(row_of, table)
        if row["kind"] != "list"
    ]
    ordered = sorted(out, key=lambda c: c.kind != "drop")
    return tuple(replace(c, rank=i) for i, c in enumerate(ordered))


LOOKED_AT = frozenset({"SYM", "TOXIN", "OBJECT", "EXPO"})
AGENT_LABELS = frozenset({"TOXIN", "OBJECT", "EXPO"})


@lru_cache(maxsize=1)
def _index() -> tuple[
    dict[str, tuple[Cue, ...]], dict[str, tuple[Cue, ...]], dict[str, tuple[Cue, ...]]
]:
    """The cues by the rule id, symptom code and label they look at (in table order)."""
    by_rule: dict[str, list[Cue]] = {}
    by_code: dict[str, list[Cue]] = {}
    by_label: dict[str, list[Cue]] = {}
    for cue in cues():
        if cue.rules:
            for r in cue.rules:
                by_rule.setdefault(r, []).append(cue)
        elif cue.codes:
            for c in cue.codes:
                by_code.setdefault(c, []).append(cue)
        else:
            for label in cue.labels:
                by_label.setdefault(label, []).append(cue)
    return (
        {k: tuple(v) for k, v in by_rule.items()},
        {k: tuple(v) for k, v in by_code.items()},
        {k: tuple(v) for k, v in by_label.items()},
    )


@lru_cache(maxsize=4096)
def _candidates_of(rule_id: str, label: str, code: str) -> tuple[Cue, ...]:
    """The cues that look at a hit of this rule, label and code, in table order."""
    by_rule, by_code, by_label = _index()
    found = [*by_rule.get(rule_id, ()), *by_label.get(label, ())]
    if label == "SYM":
        found += by_code.get(code, ())
    return tuple(sorted(found, key=lambda c: c.rank))


@lru_cache(maxsize=4096)
def _named(rule_id: str, code: str) -> tuple[Cue, ...]:
    """The cues that name this rule or symptom code itself (a sign that raises no red flag,
    "kennel cough" in "the kennel cough vaccine", is weighed by these only)."""
    by_rule, by_code, _ = _index()
    return tuple(sorted((*by_rule.get(rule_id, ()), *by_code.get(code, ())), key=lambda c: c.rank))


@lru_cache(maxsize=4096)
def _plan(rule_id: str, label: str, code: str) -> tuple[tuple[Cue, ...], frozenset[str] | None]:
    """The cues for a hit of this rule, label and code, and (when every one of them needs a
    phrase near the hit) the first words of those phrases: none near, none can fire."""
    cands = _candidates_of(rule_id, label, code)
    if all(c.near for c in cands):
        return cands, frozenset().union(*(c.near_first for c in cands))
    return cands, None


def weigh(words: list[str], hits: list[Hit]) -> None:
    """Mark each hit DROP (not the sign) or DOUBT (maybe not) by the words around it."""
    long_story = len(words) > LONG_STORY and sum(w.isalpha() for w in words) > LONG_STORY
    whole = ""
    stops: list[int] | None = None
    text_words: frozenset[str] = frozenset()
    for h in hits:
        label = h.label
        flaggable = label in AGENT_LABELS or (label == "SYM" and (h.code or "") in FLAG_OF)
        if not flaggable and not (label == "SYM" and _named(h.rule.id, h.code or "")):
            continue  # words that can raise a red flag are weighed, others only by rows naming them
        if stops is None:
            whole, stops = _pad(words), _stops(words)
            text_words = frozenset(words).union(
                f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
            )
        at = _Around(words, whole, h, stops)
        cands, firsts = _plan(h.rule.id, label, h.code or "")
        if not flaggable:
            cands, firsts, long_story = _named(h.rule.id, h.code or ""), None, False
        near = text_words  # a phrase not in the text at all is not near the hit either
        if firsts is not None and near.isdisjoint(firsts):
            if long_story:
                h.mark("DOUBT")
                h.why = "a long story"
            continue  # no cue's phrase starts anywhere near: none can fire
        for cue in cands:
            if cue.near and near.isdisjoint(cue.near_first):
                continue  # the cheapest no, without a call
            if cue.anywhere and text_words.isdisjoint(cue.any_first):
                continue  # none of its phrases is in the text at all
            if cue.fires(h, at):
                if cue.kind == "old":
                    h.mark("OLD")
                    h.mark("RESOLVED")
                    h.mark("DOUBT")  # not plainly now: a rule that still raises it asks first
                    h.mark("FAR")
                    h.why = cue.why
                    break
                h.mark("DROP" if cue.kind == "drop" else "DOUBT")
                if cue.id.startswith("distance."):
                    h.mark("FAR")  # the sign itself is plain; only whose or when is in doubt
                h.why = cue.why
                break
        else:
            if long_story:
                h.mark("DOUBT")
                h.why = "a long story"


def _stops(words: list[str]) -> list[int]:
    """Where the sentences end (the index of each full stop, "?", "!" or ";")."""
    return [i for i, w in enumerate(words) if w in BOUNDARY]


def _sentence(words: list[str], h: Hit, stops: list[int]) -> tuple[int, int]:
    """The hit's sentence: [after the stop before it, up to and with the stop after it]."""
    k = bisect_left(stops, h.start)
    lo = stops[k - 1] + 1 if k > 0 else 0
    j = bisect_left(stops, h.end)
    hi = stops[j] + 1 if j < len(stops) else len(words)  # the sentence's own "?" belongs to it
    return lo, hi


NOT_SAID = frozenset({"NEG", "DROP"})


def strength_of(
    red_flags: list[str], quotes: dict[str, list[str]], turns: Sequence[Turn]
) -> list[Evidence]:
    """Each red flag's evidence: clear unless every hit behind its words is DOUBT-marked."""
    out: list[Evidence] = []
    if not red_flags:
        return out
    said_hits = [
        (h, h.text, h.quote)
        for t in turns
        for h in t.hits
        if h.label in LOOKED_AT and not h.mods & NOT_SAID
    ]
    for code in red_flags:
        said = [q for q in quotes.get(code, []) if q]
        behind = [
            h
            for h, text, quote in said_hits
            if FLAG_OF.get(h.code or "" if h.label == "SYM" else h.label) == code
            and any(text in q or q in quote for q in said)
        ]  # only the hits that can raise this red flag: "bit" (a verb) is not a wound
        if not behind:  # a red flag a context raises with a sign ("fireplace" + "collapsed"):
            # as sure as the signs told with it
            behind = [h for h, _, _ in said_hits if h.label == "SYM" and (h.code or "") in FLAG_OF]
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
    """The words behind a red flag the caller denied when asked no longer count: its doubtful
    signs, and any poison or object named (a sign itself, "vomiting", still counts for what it
    is: denying a bloat is not denying the vomiting)."""
    for h in hits:
        if FLAG_OF.get(h.code or h.label) not in denied:
            continue
        if h.label == "SYM" and "FAR" in h.mods:
            h.mark("RESOLVED")  # a sign told at a distance, denied now: it is history, not gone
        elif "DOUBT" in h.mods or h.label != "SYM":
            h.mark("DROP")
