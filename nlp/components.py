"""The two pipeline components: the phrase lexicon matcher and the ConText-style modifier."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .lexicon import Rule, expand, load_rules, vocabulary
from .tokenizer import NormalisingTokenizer

TARGETS = frozenset({"SYM", "TOXIN", "OBJECT", "CONCERN", "SPECIES", "BREED", "CTX", "INTENT"})
MODIFIERS = frozenset({"NEG", "HYPO", "HIST", "RESOLVED", "OTHER", "HEDGE", "CHRONIC", "WORSE"})

if not Doc.has_extension("nd_hits"):
    Doc.set_extension("nd_hits", default=None)


@dataclass(slots=True)
class Hit:
    """One matched rule in one doc, with the ConText modifiers that apply to it."""

    rule: Rule
    start: int
    end: int
    text: str
    mods: set[str] = field(default_factory=set)
    sev: bool = False
    count: int | None = None
    clause: int = 0

    @property
    def label(self) -> str:
        """The rule's label (SYM, TOXIN, NEG ...)."""
        return self.rule.label

    @property
    def asserted(self) -> bool:
        """Present in the caller's own pet now: not negated, hypothetical, past or another's."""
        return not (self.mods & {"NEG", "HYPO", "HIST", "OTHER"})


class LexiconMatcher:
    """Finds every phrase rule (PhraseMatcher on the normalised words); longest wins per layer."""

    def __init__(self, nlp: Language) -> None:
        self.rules: dict[int, Rule] = {}
        self.matcher = PhraseMatcher(nlp.vocab)
        rules = load_rules()
        tok = nlp.tokenizer
        if isinstance(tok, NormalisingTokenizer):
            tok.normaliser.add_vocabulary(vocabulary(rules))
            norm = tok.normaliser
        else:  # pragma: no cover - the engine always installs the normalising tokenizer
            raise TypeError("nd_lexicon needs the nightdesk normalising tokenizer")
        vocab = nlp.vocab
        for rule, phrases in rules:
            key = vocab.strings.add(rule.id)
            self.rules[key] = rule
            seqs = [s for p in phrases for s in expand(p, norm)]
            self.matcher.add(rule.id, [Doc(vocab, words=s) for s in seqs])

    def __call__(self, doc: Doc) -> Doc:
        found = sorted(self.matcher(doc), key=lambda m: (m[1] - m[2], m[1]))
        taken: dict[int, bytearray] = {}
        hits: list[Hit] = []
        rules = self.rules
        for key, start, end in found:
            rule = rules[key]
            used = taken.get(rule.layer)
            if used is None:
                used = taken[rule.layer] = bytearray(len(doc))
            if any(used[start:end]):
                continue
            used[start:end] = b"\x01" * (end - start)
            hits.append(Hit(rule, start, end, doc[start:end].text))
        hits.sort(key=lambda h: h.start)
        doc._.nd_hits = hits
        return doc


@Language.factory("nd_lexicon", assigns=["doc._.nd_hits"])
def make_lexicon(nlp: Language, name: str) -> LexiconMatcher:
    """Phrase rules from nlp/patterns/*.jsonl."""
    return LexiconMatcher(nlp)


def _blocked(stops: list[int], lo: int, hi: int) -> bool:
    """True when a scope terminator starts in [lo, hi)."""
    i = bisect_left(stops, lo)
    return i < len(stops) and stops[i] < hi


@Language.component("nd_context", requires=["doc._.nd_hits"], assigns=["doc._.nd_hits"])
def context(doc: Doc) -> Doc:
    """ConText: mark targets negated / hypothetical / historical / other-animal / resolved ..."""
    hits: list[Hit] = doc._.nd_hits
    stops = [h.start for h in hits if h.label == "TERM"]
    hard = [h.start for h in hits if h.label == "TERM" and h.rule.data.get("hard")]
    own = [h.start for h in hits if h.label == "OWN"]
    targets = [h for h in hits if h.label in TARGETS]
    clause = 0
    for h in hits:
        if h.label == "TERM":
            clause += 1
        h.clause = clause
    for trig in hits:
        label = trig.label
        if label not in MODIFIERS:
            if label in ("SEV", "REPEAT", "ONCE"):
                _attach_quantity(trig, targets, stops)
            continue
        ends = hard if label == "RESOLVED" else stops
        direction, window = trig.rule.direction, trig.rule.window
        for t in targets:
            if t.start >= trig.end and direction in ("fwd", "both"):
                if t.start - trig.end > window or _blocked(ends, trig.end, t.start):
                    continue
                if label == "OTHER" and _blocked(own, trig.end, t.start + 1):
                    continue
            elif t.end <= trig.start and direction in ("bwd", "both"):
                if trig.start - t.end > window or _blocked(ends, t.end, trig.start):
                    continue
            else:
                continue
            t.mods.add(label)
    return doc


def _attach_quantity(q: Hit, targets: list[Hit], stops: list[int]) -> None:
    """Give a severity / repetition phrase to the nearest symptom in its clause."""
    best: Hit | None = None
    gap = q.rule.window + 1
    for t in targets:
        if t.label != "SYM":
            continue
        d = q.start - t.end if t.end <= q.start else t.start - q.end
        if d < 0 or d >= gap:
            continue
        lo, hi = (t.end, q.start) if t.end <= q.start else (q.end, t.start)
        if _blocked(stops, lo, hi):
            continue
        best, gap = t, d
    if best is None:
        return
    if q.label == "SEV":
        best.sev = True
    elif q.label == "ONCE":
        best.count = best.count or 1
    else:
        best.count = max(best.count or 0, 2)
