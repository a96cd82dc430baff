"""Hits: one matched rule in one doc, with the ConText modifiers that apply to it."""

from __future__ import annotations

from spacy.tokens import Doc

from .lexicon import Rule

if not Doc.has_extension("nd_hits"):
    Doc.set_extension("nd_hits", getter=lambda doc: doc.user_data.get("nd_hits"))


def hits_of(doc: Doc) -> list[Hit]:
    """The hits the components assigned (doc._.nd_hits, read without the underscore proxy)."""
    hits: list[Hit] = doc.user_data["nd_hits"]
    return hits


NO_MODS: frozenset[str] = frozenset()


def settle(hits: list[Hit]) -> None:
    """Join every hit's text now, so that reading a shared hit never writes to it."""
    for h in hits:
        _ = h.text


class Hit:
    """One matched rule in one doc, with the ConText modifiers that apply to it."""

    __slots__ = ("rule", "label", "code", "start", "end", "words", "mods", "sev", "count", "clause",
                 "neg_gap", "span", "why", "_text")  # fmt: skip

    def __init__(self, rule: Rule, start: int, end: int, words: list[str]) -> None:
        self.rule = rule
        self.label = rule.label
        self.code = rule.code
        self.start = start
        self.end = end
        self.words = words
        self.mods: frozenset[str] = NO_MODS  # replaced, not mutated: most hits never get one
        self.sev = False
        self.count: int | None = None
        self.clause = 0
        self.neg_gap = 99  # words between this hit and the nearest negation before it
        self.span = (start, end)  # widened by severity and counts ("throwing up 5 times")
        self.why = ""  # why the evidence is weak (evidence.weigh), for the reasons
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The caller's (normalised) words (joined once: read many times per hit)."""
        text = self._text
        if text is None:
            text = self._text = " ".join(self.words[self.start : self.end]).replace(" ,", ",")
        return text

    def copy(self) -> Hit:
        """A copy to mark and widen, leaving this hit as the pipeline made it (the memo's)."""
        new = Hit.__new__(Hit)
        new.rule = self.rule
        new.label = self.label
        new.code = self.code
        new.start = self.start
        new.end = self.end
        new.words = self.words
        new.mods = self.mods
        new.sev = self.sev
        new.count = self.count
        new.clause = self.clause
        new.neg_gap = self.neg_gap
        new.span = self.span
        new.why = self.why
        new._text = self._text
        return new

    def mark(self, mod: str) -> None:
        """Add a ConText modifier (NEG, HYPO, HIST, OTHER, RESOLVED ...)."""
        if mod not in self.mods:
            self.mods = self.mods | {mod}

    @property
    def quote(self) -> str:
        """The caller's words including what made it severe or counted."""
        return " ".join(self.words[self.span[0] : self.span[1]]).replace(" ,", ",")

    def __repr__(self) -> str:
        return f"Hit({self.rule.id!r}, {self.text!r}, {sorted(self.mods)})"

    @property
    def asserted(self) -> bool:
        """Present in the caller's own pet now: not negated, hypothetical, past or another's."""
        return not (self.mods & {"NEG", "HYPO", "HIST", "OTHER"})
