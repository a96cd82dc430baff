"""Onset and duration: "since yesterday morning", "about an hour ago", "since 5pm" -> hours."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .tokenizer import load_jsonl

UNIT_H = {"minute": 1 / 60, "hour": 1.0, "day": 24.0, "night": 24.0, "week": 168.0,
          "weekend": 48.0, "month": 730.0, "year": 8760.0}  # fmt: skip
QTY = {"a": 1.0, "an": 1.0, "couple": 2.0, "few": 3.0, "several": 4.0, "half": 0.5}
PART_H = {"noon": 12, "midday": 12, "lunchtime": 12, "lunch": 12, "dinnertime": 18, "dinner": 18,
          "supper": 18, "breakfast": 8, "bedtime": 22, "midnight": 0, "morning": 8,
          "afternoon": 14, "evening": 18, "night": 22, "": 12, "tonight": 19,
          "overnight": 22, "all night": 22, "today": 8, "earlier today": 8, "this am": 8,
          "this pm": 14, "after breakfast": 8, "at breakfast": 8, "after lunch": 12,
          "at lunch": 12, "at lunchtime": 12, "after dinner": 18, "at dinner": 18,
          "at dinnertime": 18, "when i got home": 18, "when we got home": 18}  # fmt: skip
_DIGIT = re.compile(r"\d")
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


_ANY_CLOCK = datetime(2026, 1, 1, 12, 0)  # whether _hours() reads a match never depends on now
# (rule id, kind, the regex match, its offset in the snippet): a time said, clock not yet applied
TimeMatch = tuple[str, str, re.Match[str], int]


@dataclass(frozen=True, slots=True)
class Onset:
    """When the problem started: the caller's words and hours before the call."""

    text: str
    hours: float


class OnsetParser:
    """Finds time expressions with the regex rules of patterns/onset.jsonl."""

    def __init__(self) -> None:
        self.rules = [
            (r["id"], r["kind"], re.compile(r["regex"]), [frozenset(g) for g in r.get("needs", [])])
            for r in load_jsonl("onset.jsonl")
        ]
        self.elsewhere = Elsewhere(load_jsonl("onset_elsewhere.jsonl"))
        # Words that anchor a time expression; the regexes only see the text around them,
        # and only the rules anchored by a word in that text are tried.
        self.anchors = frozenset().union(*(needs[-1] for _i, _k, _r, needs in self.rules if needs))
        self.by_anchor: dict[str, list[int]] = {}
        for i, (_id, _kind, _rx, needs) in enumerate(self.rules):
            for word in needs[-1]:
                self.by_anchor.setdefault(word, []).append(i)

    def find(self, text: str, now: datetime, words: list[str]) -> list[tuple[Onset, str, int]]:
        """All onsets in a text with their rule id and character offset (in their snippet)."""
        return onsets_at(self.matches(words), now)

    def matches(self, words: list[str], *, every: bool = False) -> tuple[TimeMatch, ...]:
        """The time expressions in a text's words, before they are read against the clock: those
        of the problem, or with `every` also those of a plan or another event ('wait till monday',
        'spayed last tuesday')."""
        out: list[TimeMatch] = []
        for snippet, present in self._snippets(words):
            if _DIGIT.search(snippet):
                present.add("#")
            self._scan(snippet, present, out, every)
        return tuple(out)

    def times_in(self, words: list[str]) -> list[tuple[int, int, float]]:
        """(first word, end word, hours before now) of each time said in a few words without
        punctuation, of the problem or not; read at any clock (how long ago, not a date)."""
        out = []
        for _rule, kind, m, s in self.matches(words, every=True):
            hours = _hours(kind, m, _ANY_CLOCK)
            if hours is not None:
                first = len(m.string[:s].split())
                out.append((first, first + len(m.group(0).split()), max(hours, 0.0)))
        return out

    def _snippets(self, words: list[str]) -> list[tuple[str, set[str]]]:
        """Windows of words around each time anchor (merged), as text."""
        anchors = self.anchors
        spans: list[list[int]] = []
        # the anchor and number words present, tested once per distinct word, then one set
        # lookup per word (no attribute call per word: this ran on every word of every text)
        keys = {w for w in set(words) if w in anchors or w[0].isdigit()}
        if not keys:
            return []
        for i in [i for i, w in enumerate(words) if w in keys]:
            lo, hi = max(i - 8, 0), i + 4
            if spans and lo <= spans[-1][1]:
                spans[-1][1] = hi
            else:
                spans.append([lo, hi])
        out = []
        for lo, hi in spans:
            text = " ".join(words[lo:hi])
            for p in ".,?!;":
                text = text.replace(" " + p, p)
            # a window that starts mid-sentence must not look like a sentence start
            text = text if lo == 0 or words[lo - 1] in ".?!" else "~ " + text
            out.append((text, set(words[lo:hi])))
        return out

    def _scan(self, text: str, present: set[str], out: list[TimeMatch], every: bool) -> None:
        taken: list[tuple[int, int]] = []
        by_anchor = self.by_anchor
        cands: set[int] = set()
        for word in present & self.anchors:
            cands.update(by_anchor[word])
        for i in sorted(cands):
            rule_id, kind, rx, needs = self.rules[i]
            if present.isdisjoint(needs[0]):
                continue  # (at most two groups of needed words per rule; the last one anchors)
            for m in rx.finditer(text):
                s, e = m.span()
                if any(s < te and ts < e for ts, te in taken):
                    continue
                if _hours(kind, m, _ANY_CLOCK) is None:  # a 25 o'clock, an unknown kind
                    continue
                taken.append((s, e))
                if every or not self.elsewhere.said_of(text, m):
                    out.append((rule_id, kind, m, s))


class Elsewhere:
    """The rows of onset_elsewhere.jsonl: words right before a time that make it the time of
    something else than the problem, a plan ('wait till monday', 'the appointment at 9') or
    another event ('spayed 5 days ago', 'we've had her for 5 years')."""

    def __init__(self, rows: list[dict]) -> None:
        def words(kind: str) -> frozenset[str]:
            return frozenset(w for r in rows if r["kind"] == kind for w in r["words"])

        self.by_last: dict[str, list[tuple[str, ...]]] = {}  # cues by their last word
        for r in rows:
            for cue in r.get("before", ()):
                seq = tuple(cue.split())
                self.by_last.setdefault(seq[-1], []).append(seq)
        self.next = frozenset(w for r in rows for w in r.get("after", ()))
        self.fillers = words("filler")
        self.breaks = words("clause_break")

    def said_of(self, text: str, m: re.Match[str]) -> bool:
        """True when the words of the time's clause before it end with a cue (and fillers), or
        one of the next few words of its clause is an event ('5 days ago she got spayed')."""
        for w in text[m.end() :].split()[:4]:
            if w in self.next:
                return True
            if w[-1] in ".,?!;" or w in self.breaks:
                break
        clause: list[str] = []
        for w in reversed(text[: m.start()].split()[-6:]):
            if w[-1] in ".,?!;~" or w in self.breaks:
                break
            clause.append(w)
        clause.reverse()
        lead = m.group(0).split()[0]  # the time's own preposition ('until 8', 'on monday')
        if lead in self.fillers:
            clause.append(lead)
        end = len(clause)
        while end > 0:  # a cue ends at `end`, and only fillers follow it
            for cue in self.by_last.get(clause[end - 1], ()):
                if len(cue) <= end and tuple(clause[end - len(cue) : end]) == cue:
                    return True
            if clause[end - 1] not in self.fillers:
                break
            end -= 1
        return False


def onsets_at(found: Sequence[TimeMatch], now: datetime) -> list[tuple[Onset, str, int]]:
    """Time expressions read against the clock: (onset, rule id, offset in its snippet)."""
    out: list[tuple[Onset, str, int]] = []
    for rule_id, kind, m, s in found:
        hours = _hours(kind, m, now)
        if hours is not None:  # (never None: matches() kept only the readable ones)
            out.append((Onset(m.group(0).strip(), round(max(hours, 0.0), 1)), rule_id, s))
    return out


def _qty(raw: str) -> float:
    """'a couple of' -> 2, '3' -> 3, 'an' -> 1."""
    words = [w for w in raw.replace(" of", "").split() if w not in ("a", "an")]
    if not words:
        return 1.0
    if words[0][0].isdigit():
        return float(words[0])
    return QTY.get(words[0], 1.0)


def _at(now: datetime, days_back: int, hour: float) -> float:
    """Hours between now and `hour` o'clock `days_back` days ago."""
    base = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_back)
    return (now - (base + timedelta(hours=hour))).total_seconds() / 3600


def _hours(kind: str, m: re.Match[str], now: datetime) -> float | None:
    g = m.groupdict()
    if kind == "zero":
        return 0.0
    if kind == "span":
        unit = (g.get("unit") or "day").rstrip("s") or "day"
        n = _qty(g.get("n") or "")
        if " and a half" in m.group(0):
            n += 0.5
        return n * UNIT_H.get(unit, 24.0)
    if kind == "clock":
        h, mins = int(g["h"]), int(g.get("m") or 0)
        ampm = (g.get("ampm") or "").replace(" ", "")
        if h > 23 or mins > 59:
            return None
        if ampm == "pm" and h < 12:
            h += 12
        elif ampm == "am" and h == 12:
            h = 0
        cands = [h] if ampm in ("am", "pm") or h >= 13 else [h, h + 12]
        diffs = [_at(now, 0, c + mins / 60) for c in cands]
        diffs = [d if d >= 0 else d + 24 for d in diffs]
        return min(diffs)
    if kind == "part":
        rel, part = g.get("rel") or "", g.get("part") or ""
        back = 2 if rel.startswith("day before") else 1 if rel in ("yesterday", "last") else 0
        hour = PART_H.get(part, 12)
        if back == 0 and now.hour < 5 and part in ("tonight", "evening", "all night", "overnight"):
            back = 1
        if part == "overnight" and back == 0:
            back = 1 if now.hour < 22 else 0
        hours = _at(now, back, hour)
        return hours if hours >= 0 else max(_at(now, 0, 0), 0.0)
    if kind == "weekday":
        day = g["day"]
        target = 5 if day == "weekend" else DAYS.index(day)
        back = (now.weekday() - target) % 7 or 7
        return _at(now, back, PART_H.get(g.get("part") or "", 12))
    return None
