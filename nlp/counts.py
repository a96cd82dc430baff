"""Episodes the caller counted ('vomited 3 times', 'twice', '2 seizures'), for the disposition
rules and, only when the caller said the number, for the CSR summary."""

from __future__ import annotations

from .hits import Hit
from .tokenizer import load_jsonl

COUNT_WORDS = frozenset({"times", "time", "x", "episodes", "episode", "bouts", "rounds"})
CLOCK_WORDS = frozenset({"at", "since", "until", "till", "by", "from", "after", "before"})
# words that are a count said ('twice': 2); a repetition ('again', 'keeps') is no count said
SAID_COUNTS = {p: r["count"] for r in load_jsonl("context.jsonl") if "count" in r
               for p in r["phrases"]}  # fmt: skip


def count_near(words: list[str], hit: Hit) -> int | None:
    """'8 times', '3x', '2 seizures' -> 8, 3, 2 (and widen the hit's quote to include it)."""
    lo, hi = max(hit.start - 6, 0), min(hit.end + 8, len(words) - 1)
    best = None
    i = hit.start - 1
    one_plural = hit.end - hit.start == 1 and words[hit.start].endswith("s")
    # '2 seizures', not '4 legs paddling' nor 'since 2 vomits started'
    if i >= 0 and one_plural and words[i].isdigit() and (i == 0 or words[i - 1] not in CLOCK_WORDS):
        best = int(words[i])
        hit.span = (min(hit.span[0], i), hit.span[1])
    for i in range(lo, hi + 1):
        if words[i] not in COUNT_WORDS:
            continue
        for j in range(max(i - 3, 0), i):  # "6 or 7 times", "like 8 times"
            t = words[j]
            if t.isdigit():
                best = max(best or 0, int(t))
                hit.span = (min(hit.span[0], j), max(hit.span[1], i + 1))
    return best


def said_count(h: Hit) -> int | None:
    """The episodes the caller counted ('3 times', 'twice', '2 seizures'): the hit's count when its
    quote says that number; none read from a repetition ('again', 'keeps', 'a couple of times')."""
    n = h.count
    if not n:
        return None
    for w in h.words[h.span[0] : h.span[1]]:
        if (w.isdigit() and int(w) == n) or SAID_COUNTS.get(w) == n:
            return n
    return None
