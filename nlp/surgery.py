"""Post-op (SPEC 3 and 5): a surgery in the last 14 days. A reproductive status ('my neutered cat',
'she's spayed') or an older surgery ('neutered as a puppy', 'spayed 3 years ago') is not one."""

from __future__ import annotations

from functools import lru_cache

from .hits import Hit
from .onset import OnsetParser
from .tokenizer import load_jsonl

POST_OP_H = 14 * 24  # SPEC 3: within 14 days of surgery
NEAR = 3  # a time or cue this many words or fewer from the surgery word, in its clause, dates it
BREAKS = frozenset({".", ",", "?", "!", ";", "and", "but", "so", "then", "now", "because"})
Cues = dict[str, list[tuple[tuple[str, ...], str]]]


@lru_cache(maxsize=1)
def _tables() -> tuple[OnsetParser, Cues]:
    """The time rules, and the when-cues of patterns/situation.jsonl by first word (longest
    first)."""
    rows = [r for r in load_jsonl("situation.jsonl") if "when" in r]
    cues: Cues = {}
    for r in rows:
        for seq in r["seqs"]:
            words = tuple(seq.split())
            cues.setdefault(words[0], []).append((words, r["when"]))
    for found in cues.values():
        found.sort(key=lambda c: -len(c[0]))
    return OnsetParser(), cues


def surgery_fact(h: Hit) -> str | None:
    """The fact a surgery word gives: 'post_op' (recent), 'no_surgery' (older: the question of a
    recent surgery is answered) or, with no time said, the rule's `undated` fact."""
    when = surgery_when(h)
    if when == "recent":
        return "post_op"
    if when == "old":
        return "no_surgery"
    if when is not None:  # planned, or in a past context
        return None
    undated: str | None = h.rule.data.get("undated")
    return undated


def surgery_when(h: Hit) -> str | None:
    """'recent', 'old' or 'planned' from the time or cue nearest the surgery word ('spayed last
    tuesday', '5 days ago she got spayed', 'neutered as a puppy'), 'past' in a past context
    further away ('back in the spring'), None when nothing says when ('my neutered cat')."""
    words = h.words
    lo = h.start
    while lo > max(h.start - 2 * NEAR, 0) and words[lo - 1] not in BREAKS:
        lo -= 1
    hi = h.end
    while hi < min(h.end + 2 * NEAR, len(words)) and words[hi] not in BREAKS:
        hi += 1
    found = [d for d in _said_when(words[lo:hi], h.start - lo, h.end - lo) if d[0] <= NEAR]
    if found:
        return min(found)[1]
    return "past" if "HIST" in h.mods else None


def _said_when(words: list[str], start: int, end: int) -> list[tuple[int, str]]:
    """(distance in words from the surgery word at words[start:end], when) of each time or cue
    around it."""
    parser, cues = _tables()

    def gap(first: int, last: int) -> int:  # words between [first, last) and the surgery word
        return start - last if last <= start else first - end if first >= end else 0

    out = [(gap(first, last), "recent" if hours <= POST_OP_H else "old")
           for first, last, hours in parser.times_in(words)]  # fmt: skip
    i, n = 0, len(words)
    while i < n:  # the longest cue at each word, left to right
        for seq, when in cues.get(words[i], ()):
            if tuple(words[i : i + len(seq)]) == seq:
                out.append((gap(i, i + len(seq)), when))
                i += len(seq) - 1
                break
        i += 1
    return out
